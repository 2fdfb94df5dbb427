"""Charts as SVG text for the PDFs (WeasyPrint draws inline SVG): grouped bars, lines and pies from the
chart shapes of shapes.chart(), in ECharts' palette, text in the embedded CJK font. Pure: no I/O."""
from __future__ import annotations

import math
from xml.sax.saxutils import escape

from markupsafe import Markup

from server.services.stats.shapes import NO_DATA

PALETTE = ("#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc")
FONT = 'font-family="WenQuanYi Micro Hei, sans-serif"'
W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 40, 70


def _text(x, y, s, size=11, anchor="middle", extra="") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT}{extra}>'
            f"{escape(str(s))}</text>")


def _short(s: str, n: int = 9) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 1
    step = 10 ** math.floor(math.log10(top))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= top:
            return m * step
    return 10 * step


def _legend(series: list[dict]) -> str:
    out, x = [], LEFT
    for i, s in enumerate(series):
        out.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(_text(x + 16, 20, s["name"], 11, "start"))
        x += 28 + 12 * len(s["name"])
    return "".join(out)


def _axes(chart: dict, top: float) -> list[str]:
    unit = chart.get("unit") or ""
    out = [f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="#333"/>']
    for k in range(5):
        v = top * k / 4
        y = H - BOTTOM - (H - TOP - BOTTOM) * k / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(_text(LEFT - 6, y + 4, f"{v:g}{unit}", 10, "end"))
    return out


def _categories(chart: dict, slot: float) -> list[str]:
    out = []
    rotate = len(chart["categories"]) > 6
    for i, name in enumerate(chart["categories"]):
        x, y = LEFT + slot * (i + 0.5), H - BOTTOM + 14
        extra = f' transform="rotate(-35 {x:.1f} {y:.1f})"' if rotate else ""
        out.append(_text(x, y, _short(name), 10, "end" if rotate else "middle", extra))
    return out


def _bars(chart: dict) -> list[str]:
    values = [v or 0 for s in chart["series"] for v in s["data"]]
    top = _nice(max(values + [chart.get("floor") or 0]))
    slot = (W - LEFT - RIGHT) / max(len(chart["categories"]), 1)
    width = slot * 0.8 / max(len(chart["series"]), 1)
    out = _axes(chart, top)
    for j, s in enumerate(chart["series"]):
        for i, v in enumerate(s["data"]):
            if not v:
                continue
            h = (H - TOP - BOTTOM) * v / top
            x = LEFT + slot * i + slot * 0.1 + width * j
            out.append(f'<rect x="{x:.1f}" y="{H - BOTTOM - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                       f'fill="{PALETTE[j % len(PALETTE)]}"/>')
    if chart.get("floor") is not None:
        y = H - BOTTOM - (H - TOP - BOTTOM) * chart["floor"] / top
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#c0392b" '
                   f'stroke-dasharray="6 4"/>')
        out.append(_text(W - RIGHT, y - 4, f"底线 {chart['floor']:g}{chart.get('unit') or ''}", 10, "end",
                         ' fill="#c0392b"'))
    return out + _categories(chart, slot)


def _lines(chart: dict) -> list[str]:
    values = [v or 0 for s in chart["series"] for v in s["data"]]
    top = _nice(max(values))
    n = max(len(chart["categories"]), 1)
    slot = (W - LEFT - RIGHT) / n
    out = _axes(chart, top)
    for j, s in enumerate(chart["series"]):
        points = [(LEFT + slot * (i + 0.5), H - BOTTOM - (H - TOP - BOTTOM) * (v or 0) / top)
                  for i, v in enumerate(s["data"])]
        color = PALETTE[j % len(PALETTE)]
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in points]
    return out + _categories(chart, slot)


def _pie(chart: dict) -> list[str]:
    pairs = [(c, v) for c, v in zip(chart["categories"], chart["series"][0]["data"]) if v]
    total = sum(v for _, v in pairs)
    cx, cy, r = 150, H / 2 + 10, 110
    out, angle = [], -math.pi / 2
    for i, (name, v) in enumerate(pairs):
        sweep = 2 * math.pi * v / total
        color = PALETTE[i % len(PALETTE)]
        if len(pairs) == 1:
            out.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{color}"/>')
        else:
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(angle + sweep), cy + r * math.sin(angle + sweep)
            large = 1 if sweep > math.pi else 0
            out.append(f'<path d="M{cx},{cy} L{x1:.1f},{y1:.1f} A{r},{r} 0 {large} 1 {x2:.1f},{y2:.1f} Z" '
                       f'fill="{color}" stroke="#fff"/>')
        angle += sweep
        y = 50 + 22 * i
        out.append(f'<rect x="300" y="{y - 10}" width="12" height="12" fill="{color}"/>')
        out.append(_text(318, y, f"{name}：{v:,}（{100 * v / total:.1f}%）", 11, "start"))
    return out


def render(chart: dict) -> Markup:
    """The chart as an inline <svg> (safe markup: every text in it is escaped)."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
            f'class="chart" role="img" aria-label="{escape(chart["title"], {chr(34): "&quot;"})}">')
    if chart["empty"]:
        body = [f'<rect x="1" y="1" width="{W - 2}" height="{H - 2}" fill="#f5f6f8" stroke="#ccc"/>',
                _text(W / 2, H / 2, f"{chart['title']}：{NO_DATA}", 14)]
    elif chart["kind"] == "pie":
        body = _pie(chart)
    else:
        body = (_bars(chart) if chart["kind"] == "bar" else _lines(chart)) + [_legend(chart["series"])]
    return Markup(head + "".join(body) + "</svg>")

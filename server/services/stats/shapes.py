"""The plain shapes every figure is handed on in: cells, tables and charts (page, workbook and PDF alike).

A cell is {"v": number or None, "t": its text, "link": the drill-down arguments or None}. A share with
nothing to divide by has no value and reads "暂无数据" — never 0% nor 100%.
"""
from __future__ import annotations

NO_DATA = "暂无数据"


def num(value, link: dict | None = None) -> dict:
    value = int(value or 0)
    return {"v": value, "t": f"{value:,}", "link": link}


def pct(part, whole, link: dict | None = None) -> dict:
    """part/whole as a percentage with one decimal, or 暂无数据 when whole is 0."""
    if not whole:
        return {"v": None, "t": NO_DATA, "link": None}
    value = round(100 * (part or 0) / whole, 1)
    return {"v": value, "t": f"{value:.1f}%", "link": link}


def text(value) -> dict:
    return {"v": None, "t": str(value if value is not None else ""), "link": None}


def table(key: str, title: str, columns: list[str], rows: list[list[dict]], *, note: str = "",
          total: list[dict] | None = None) -> dict:
    """A table; `empty` says whether any count in it is above zero (else the page shows 暂无数据)."""
    counted = [c for row in rows + ([total] if total else []) for c in row[1:] if isinstance(c.get("v"), (int, float))]
    return {"key": key, "title": title, "columns": columns, "rows": rows, "total": total, "note": note,
            "empty": not rows or not any(c["v"] for c in counted)}


def chart(key: str, title: str, kind: str, categories: list[str], series: list[dict], *, table_key: str,
          unit: str = "", floor: float | None = None) -> dict:
    """A chart of `kind` bar / line / pie; each series {"name", "data": [numbers or None]}; `floor` draws a
    reference line (the 3% floor); `table_key` names the table that holds the same numbers."""
    values = [v for s in series for v in s["data"] if v]
    return {"key": key, "title": title, "kind": kind, "categories": categories, "series": series,
            "table": table_key, "unit": unit, "floor": floor, "empty": not values}


def section(key: str, title: str, *, headline: list[dict] | None = None, tables: list[dict] | None = None,
            charts: list[dict] | None = None, note: str = "") -> dict:
    """One part of the page: headline figures ({"label", "cell", "badge"}), tables and their charts."""
    return {"key": key, "title": title, "headline": headline or [], "tables": tables or [], "charts": charts or [],
            "note": note}


def headline(label: str, cell: dict, badge: tuple[str, str] | None = None) -> dict:
    """A headline figure; `badge` is (css class, text) such as ("ok", "达到 3% 底线")."""
    return {"label": label, "cell": cell, "badge": badge}

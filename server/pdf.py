"""Printable documents: a Jinja template and a plain-dict context in, PDF bytes out (WeasyPrint).

Pure: no Flask, no database. Every resource the HTML asks for goes through `SafeFetcher`, which reads
only regular files under the app's own static folder and the media folder (no network, no other
files, no symlinks leading out). All text is autoescaped. The CJK font is the system's
WenQuanYi Micro Hei (Debian package fonts-wqy-microhei), embedded as a subset in every PDF.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import mimetypes
import os
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

import jinja2
import weasyprint
from PIL import Image, ImageOps
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

SERVER_DIR = Path(__file__).resolve().parent
STATIC_DIR = SERVER_DIR / "static"
TEMPLATE_DIR = SERVER_DIR / "templates" / "pdf"
CSS_PATH = STATIC_DIR / "css" / "pdf.css"

# Bump when a change outside the template and CSS files alters the output (e.g. context formatting).
LAYOUT_REVISION = 1
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")  # China has no daylight saving time
PRINT_MAX_SIDE_PX = 1000
ALLOWED_TYPES = {"text/css", "image/jpeg", "image/png", "image/webp", "image/gif", "image/svg+xml"}


class ResourceRefused(ValueError):
    """A URL the fetcher will not read."""


class SafeFetcher(URLFetcher):
    """Fetch only file:// URLs that resolve to a regular file inside one of `roots`; refuse the rest."""

    def __init__(self, roots: Iterable[str | os.PathLike]):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)
        self.roots = [Path(os.path.realpath(r)) for r in roots if r]
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        try:
            path = self._checked_path(url)
        except ResourceRefused:
            self.refused.append(url)
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.fetched.append(url)
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def _checked_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"只允许读取本系统的静态文件和媒体文件：{url}")
        raw = unquote(parts.path)
        if "\x00" in raw or any(seg == ".." for seg in raw.replace("\\", "/").split("/")):
            raise ResourceRefused(f"路径中不允许出现“..”：{url}")
        real = Path(os.path.realpath(raw))  # follows symlinks: one pointing out lands outside the roots
        if not any(real == root or root in real.parents for root in self.roots):
            raise ResourceRefused(f"文件不在静态目录或媒体目录内：{url}")
        if not real.is_file():
            raise ResourceRefused(f"不是普通文件：{url}")
        content_type = mimetypes.guess_type(real.name)[0]
        if content_type not in ALLOWED_TYPES and not _is_media_blob(real):
            raise ResourceRefused(f"不支持的文件类型：{url}")
        return real


def _is_media_blob(path: Path) -> bool:
    """Content-addressed media files may have no extension: accept them when they are images."""
    with path.open("rb") as fh:
        head = fh.read(12)
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def to_china_time(value):
    """A timezone-aware datetime (or ISO string) shown in China time; dates pass through."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value or ":" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(CHINA_TZ)
    return value


def cn_date(value, empty: str = "____年__月__日") -> str:
    """2024年5月3日 (from a date, datetime or ISO string)."""
    if value in (None, ""):
        return empty
    v = to_china_time(value)
    return f"{v.year}年{v.month}月{v.day}日"


def cn_datetime(value, empty: str = "____年__月__日__时__分") -> str:
    """2024年5月3日 09时30分 in China time."""
    if value in (None, ""):
        return empty
    v = to_china_time(value)
    if not isinstance(v, dt.datetime):
        return cn_date(v)
    return f"{v.year}年{v.month}月{v.day}日 {v.hour:02d}时{v.minute:02d}分"


def cn_time(value) -> str:
    """09时30分 in China time."""
    v = to_china_time(value)
    return f"{v.hour:02d}时{v.minute:02d}分" if isinstance(v, dt.datetime) else ""


def coord(value, positive: str, negative: str) -> str:
    """35.486400°N style, from a signed decimal degree."""
    if value is None:
        return ""
    return f"{abs(float(value)):.6f}°{positive if float(value) >= 0 else negative}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,  # every value is escaped, whatever the template's file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(cn_date=cn_date, cn_datetime=cn_datetime, cn_time=cn_time)
    env.globals.update(lat=lambda v: coord(v, "N", "S"), lon=lambda v: coord(v, "E", "W"),
                       css_url=path2url(str(CSS_PATH)))
    return env


ENV = _environment()


def template_version() -> str:
    """A digest of every template and the stylesheet, so that a layout change invalidates the cache."""
    h = hashlib.sha256(f"{LAYOUT_REVISION}|weasyprint {weasyprint.__version__}|print {PRINT_MAX_SIDE_PX}".encode())
    for path in sorted(TEMPLATE_DIR.glob("*.html")) + [CSS_PATH]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def render_html(template: str, context: dict, media: Mapping[str, str] | None = None) -> str:
    """Fill a template from templates/pdf/ with `context`; `media` maps an image's SHA-256 to its file."""
    media = dict(media or {})

    def media_src(sha256: str) -> str | None:
        path = media.get(sha256)
        return path2url(path) if path else None
    return ENV.get_template(template).render(**context, media_src=media_src)


def html_to_pdf(html: str, *, roots: Iterable[str | os.PathLike] = (), fetcher: SafeFetcher | None = None) -> bytes:
    """Render HTML to PDF, reading resources only from the static folder and the given folders."""
    fetcher = fetcher or SafeFetcher([STATIC_DIR, *roots])
    document = weasyprint.HTML(string=html, base_url=path2url(str(STATIC_DIR)), url_fetcher=fetcher)
    return document.write_pdf()


def render_pdf(template: str, context: dict, *, media: Mapping[str, str] | None = None,
               roots: Iterable[str | os.PathLike] = ()) -> bytes:
    """Template + context → PDF bytes; images come from `media` (SHA-256 → a file inside one of `roots`)."""
    return html_to_pdf(render_html(template, context, media), roots=roots)


def print_copy(data: bytes, *, max_side: int = PRINT_MAX_SIDE_PX, quality: int = 82) -> bytes:
    """A JPEG of a photo sized for print (≈ 240 dpi in the 84 mm appendix), upright, without metadata."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale, much faster
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        im.save(out, "JPEG", quality=quality)
    return out.getvalue()

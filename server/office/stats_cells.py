"""The figures of the statistics page as HTML: each cell's link to the records behind it, and table rows.

A province-scale page has some two thousand cells, most of them links. A Jinja macro call and an urlencode
per cell took most of the page's render time, so the rows are rendered here, once per table, and each link's
query string reuses the filters' part, quoted once per page. Every text and URL goes through
markupsafe.escape, as `{{ }}` would.
"""
from __future__ import annotations

from urllib.parse import quote_plus

from markupsafe import Markup, escape

from server.services.stats.filters import Filters


class Cells:
    """Links and table rows of one page, for filters `f`; `url` is that of the records page."""

    def __init__(self, url: str, f: Filters):
        self._url = url
        self._quoted: dict[str, str] = {}
        self._filters = f.args()
        self._pairs = {key: self._pair(key, value) for key, value in self._filters.items()}
        self._query = "&".join(self._pairs.values())

    def _q(self, value) -> str:
        text = str(value)
        out = self._quoted.get(text)
        if out is None:
            out = self._quoted[text] = quote_plus(text)
        return out

    def _pair(self, key, value) -> str:
        return f"{self._q(key)}={self._q(value)}"

    def href(self, link: dict) -> str:
        """The URL of the records behind a figure: f"{url}?{urlencode(f.args(**link))}", byte for byte (a
        link's key that is also a filter replaces the filter's value in its place; empty values are left out)."""
        extra = {key: value for key, value in link.items() if value not in (None, "")}
        if not extra:
            return f"{self._url}?{self._query}"
        if self._filters.keys().isdisjoint(extra):
            tail = "&".join(self._pair(key, value) for key, value in extra.items())
            return f"{self._url}?{self._query}&{tail}" if self._query else f"{self._url}?{tail}"
        pairs = dict(self._pairs)
        pairs.update((key, self._pair(key, value)) for key, value in extra.items())
        return f"{self._url}?{'&'.join(pairs.values())}"

    def cell(self, c: dict, tag: str = "td") -> str:
        """One cell: a number is class "num"; a figure with a link is an <a> to its records."""
        num = ' class="num"' if c["v"] is not None else ""
        if c["link"]:
            return f'<{tag}{num}><a href="{escape(self.href(c["link"]))}">{escape(c["t"])}</a></{tag}>'
        return f"<{tag}{num}>{escape(c['t'])}</{tag}>"

    def rows(self, rows: list[list[dict]]) -> Markup:
        """<tr>s of `rows`, the first cell of each a row header <th>."""
        cell = self.cell
        return Markup("".join(f"<tr>{cell(row[0], 'th')}{''.join(cell(c) for c in row[1:])}</tr>" for row in rows))

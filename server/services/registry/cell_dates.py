"""Date cells as offices type them (2024-03-01, 2024/3/1, 2024年3月1日, 20240308, an Excel serial), and a
licence's validity, which may be 长期 (no end date)."""
from __future__ import annotations

import datetime as dt
import re

from server.services.registry.cell_types import CellError, ColumnType, cell_text, nfkc

LONG_TERM = "长期"
LONG_TERM_WORDS = {"长期", "长期有效", "永久", "永久有效", "无期限", "无固定期限"}
UNKNOWN_WORDS = {"—", "-", "－", "/", "无", "未知"}  # a licence whose validity the office does not know
_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_LIST_SPLIT = re.compile(r"[、,，;；\n\r]+")  # not "/": 2024/3/1 is one date
_EXCEL_DAY_ZERO = dt.date(1899, 12, 30)


def _bad(text, hint: str = "") -> CellError:
    return CellError(f"“{text}”不是有效日期，请写成 2024-03-01 这样的格式{hint}")


def _from_number(raw: int | float) -> dt.date:
    if float(raw).is_integer() and 1900_01_01 <= raw <= 2999_12_31:  # 20240308 typed into a number cell
        m = _COMPACT.fullmatch(str(int(raw)))
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise _bad(int(raw)) from None
    if 1 <= raw < 2958466:  # an Excel serial day number (cell not formatted as a date)
        return _EXCEL_DAY_ZERO + dt.timedelta(days=int(raw))
    raise _bad(raw)


def parse_date(raw, long_term_error: str | None = None) -> dt.date:
    """A date from a cell; CellError says what to type. `long_term_error` is the message for 长期."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _from_number(raw)
    text = nfkc(cell_text(raw))
    if text.replace(" ", "") in LONG_TERM_WORDS and long_term_error:
        raise CellError(long_term_error)
    m = _PATTERN.match(text) or _COMPACT.fullmatch(text)
    try:
        if not m:
            raise ValueError
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _bad(text) from None


class Date(ColumnType):
    def __init__(self, long_term_error: str | None = None):
        self.long_term_error = long_term_error

    def parse(self, raw, ctx):
        return parse_date(raw, self.long_term_error)

    def empty(self):
        return None


class LicenceDates(ColumnType):
    """许可证有效期至: a date, 长期, or — (not known) for each licence number, in the same order."""

    def parse(self, raw, ctx) -> list[str]:
        if not isinstance(raw, str) and raw is not None:
            return [parse_date(raw).isoformat()]
        out = []
        for part in _LIST_SPLIT.split(cell_text(raw, multiline=True)):
            part = nfkc(part).replace(" ", "")
            if not part:
                continue
            if part in UNKNOWN_WORDS:
                out.append("")
            elif part in LONG_TERM_WORDS:
                out.append(LONG_TERM)
            else:
                try:
                    out.append(parse_date(part).isoformat())
                except CellError:
                    raise _bad(part, "；没有截止日期的填“长期”") from None
        return out

    def empty(self):
        return []

    def cell(self, value):
        return "、".join(v or "—" for v in value) if any(value or []) else ""

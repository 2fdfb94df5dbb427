"""Stream the cell values of an .xlsx workbook with ElementTree, about three times faster than openpyxl.

openpyxl builds an object per cell and per string; an office sheet of 10,000 rows only needs values.
Values come out as openpyxl's read-only, data-only mode gives them (str, int, float, bool, datetime),
and cells styled with the Chinese Excel date formats 27–36 and 50–58 (such as yyyy年m月d日), which
openpyxl leaves as numbers, come out as dates. Anything unexpected raises XlsxUnreadable, and the
caller falls back to openpyxl.
"""
from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from typing import Iterator
from xml.etree import ElementTree as ET

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
MAX_PART_BYTES = 300 * 1024 * 1024  # uncompressed; a larger part is a zip bomb or not an office sheet
ZH_CN_DATE_FORMATS = set(range(27, 37)) | set(range(50, 59))  # locale formats such as yyyy年m月d日
_CELL_REF = re.compile(r"([A-Z]+)(\d+)$")


class XlsxUnreadable(Exception):
    """The workbook is not laid out as this reader expects; use openpyxl instead."""


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise XlsxUnreadable(f"{name} is {info.file_size} bytes uncompressed")
    return zf.read(name)


def _text(node) -> str:
    """The text of a shared or inline string: its runs' <t>, leaving out phonetic guides (<rPh>)."""
    if node.find(f"{MAIN}r") is None:
        t = node.find(f"{MAIN}t")
        return (t.text or "") if t is not None else ""
    return "".join(t.text or "" for r in node.iterfind(f"{MAIN}r") for t in r.iterfind(f"{MAIN}t"))


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    root = ET.fromstring(_read(zf, "xl/sharedStrings.xml"))
    return [_text(si) for si in root.iterfind(f"{MAIN}si")]


def _date_styles(zf: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell styles (cellXfs) whose number format shows a date."""
    if "xl/styles.xml" not in zf.namelist():
        return set()
    root = ET.fromstring(_read(zf, "xl/styles.xml"))
    custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in root.iterfind(f"{MAIN}numFmts/{MAIN}numFmt")}
    dates = set()
    for i, xf in enumerate(root.iterfind(f"{MAIN}cellXfs/{MAIN}xf")):
        fmt_id = int(xf.get("numFmtId", "0"))
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id))
        if (code and is_date_format(code)) or (code is None and fmt_id in ZH_CN_DATE_FORMATS):
            dates.add(i)
    return dates


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        n = n * 26 + ord(ch) - 64
    return n - 1


class _Sheet:
    def __init__(self, zf, path, shared, date_styles, epoch):
        self.zf, self.path, self.shared, self.date_styles, self.epoch = zf, path, shared, date_styles, epoch

    def _value(self, c):
        kind = c.get("t", "n")
        if kind == "inlineStr":
            node = c.find(f"{MAIN}is")
            return (_text(node) or None) if node is not None else None  # as openpyxl reads an empty one
        v = c.find(f"{MAIN}v")
        if v is None or v.text is None:
            return None
        text = v.text
        if kind == "s":
            return self.shared[int(text)]
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            return dt.datetime.fromisoformat(text.strip().rstrip("Z"))
        number = float(text) if any(ch in text for ch in ".eE") else int(text)
        if self.date_styles and int(c.get("s", "0")) in self.date_styles:
            return from_excel(number, self.epoch)
        return number

    def rows(self) -> Iterator[tuple[int, list]]:
        """(row number as Excel shows it, values by column) for each row present in the sheet."""
        if self.zf.getinfo(self.path).file_size > MAX_PART_BYTES:
            raise XlsxUnreadable(f"{self.path} too large")
        try:
            yield from self._rows()
        except (KeyError, ValueError, IndexError, EOFError, ET.ParseError, zipfile.BadZipFile) as err:
            raise XlsxUnreadable(f"{self.path}: {err}") from err

    def _rows(self) -> Iterator[tuple[int, list]]:
        row_no, cells = 0, {}
        for _event, el in ET.iterparse(self.zf.open(self.path), events=("end",)):
            if el.tag == f"{MAIN}c":
                ref = _CELL_REF.match(el.get("r", ""))
                col = _column_index(ref.group(1)) if ref else (max(cells) + 1 if cells else 0)
                cells[col] = self._value(el)
                el.clear()
            elif el.tag == f"{MAIN}row":
                row_no = int(el.get("r")) if el.get("r") else row_no + 1
                values = [None] * (max(cells) + 1) if cells else []
                for col, value in cells.items():
                    values[col] = value
                yield row_no, values
                cells = {}
                el.clear()


def sheets(data: bytes) -> list[tuple[str, Iterator[tuple[int, list]]]]:
    """(title, row iterator) for each worksheet, in the workbook's order; XlsxUnreadable if odd."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        book = ET.fromstring(_read(zf, "xl/workbook.xml"))
        if not book.tag.startswith(MAIN):
            raise XlsxUnreadable(f"workbook namespace {book.tag}")
        rels = ET.fromstring(_read(zf, "xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(PKG_REL)}
        pr = book.find(f"{MAIN}workbookPr")
        epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
        shared, date_styles = _shared_strings(zf), _date_styles(zf)
        out = []
        for s in book.iterfind(f"{MAIN}sheets/{MAIN}sheet"):
            target = targets[s.get(REL_ID)]
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            out.append((s.get("name", ""), _Sheet(zf, path, shared, date_styles, epoch).rows()))
        return out
    except (KeyError, ValueError, IndexError, ET.ParseError, zipfile.BadZipFile) as err:
        raise XlsxUnreadable(str(err)) from err

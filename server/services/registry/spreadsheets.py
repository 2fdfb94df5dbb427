"""Office sheets as bytes: find the table in an .xlsx, .xls or CSV file, and write .xlsx and CSV files.

Real office sheets carry merged title rows above the header, several sheets, trailing empty rows,
CSV saved by Excel in GBK, and names that do not say what they are (WPS .et, an .xls that is really an
.xlsx, no extension at all): the content decides how a file is read, and what cannot be read is said
in Chinese.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from server.errors import ValidationError
from server.services.registry import xls_reader, xlsx_reader

HEADER_SCAN_ROWS = 30
MAX_DATA_ROWS = 100_000
REPORT_SHEET = "错误清单"  # the error report's listing; never read as a table
SKIP_SHEETS = {"填写说明", "说明", REPORT_SHEET}
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_MARKUP = re.compile(rb"^\s*(<!doctype\s+html|<html|<table|<\?xml|<workbook)", re.I)
ACCEPTED = "Excel（.xlsx、.xls）、WPS（.et）或 CSV 文件"
BAD_XLSX = "无法读取该 Excel 文件：文件可能已损坏，或不是 .xlsx 格式，请用 Excel 打开后另存为 .xlsx 再导入"
BAD_XLS = "无法读取该 Excel 文件：文件可能已损坏，或不是 Excel 格式，请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
LOCKED = "该 Excel 文件设置了打开密码，请在 Excel 或 WPS 中取消密码（或另存为不加密的 .xlsx）后再导入"


class FileProblem(ValidationError):
    """The file as a whole cannot be read (type, encoding, no header, empty)."""

    code = "bad_import_file"


@dataclass
class Table:
    """The part of a sheet under its header row; row numbers are the ones Excel shows."""

    header_row: int
    headers: dict[int, str]  # column index -> header text as written in the file
    rows: list[tuple[int, list]] = field(default_factory=list)
    sheet: str | None = None
    above: list[tuple[int, list]] = field(default_factory=list)  # the rows above the header (titles)
    kind: str = ""  # xlsx | xls | csv
    seq_columns: set[int] = field(default_factory=set)  # 序号 columns, found by the importer


def _xlsx_sheets(data: bytes) -> Iterable[tuple[str, list[tuple[int, tuple]]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise FileProblem(BAD_XLSX) from err
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some generators write a wrong <dimension>; read what is there
            yield ws.title, ((n, row) for n, row in enumerate(ws.iter_rows(values_only=True), start=1))
    finally:
        wb.close()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    for encoding in ("utf-8", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("无法识别 CSV 文件的编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入")


def _csv_rows(data: bytes) -> list[tuple[int, tuple]]:
    text = _decode(data)
    sample = "\n".join(text.splitlines()[:HEADER_SCAN_ROWS])
    delimiter = max(",\t;", key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(n, tuple(row)) for n, row in enumerate(reader, start=1)]
    except csv.Error as err:
        raise FileProblem(f"CSV 文件格式有误（{err}），请检查引号是否成对") from err


def _is_blank(row: Iterable) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _is_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]


def sniff(data: bytes, filename: str) -> str:
    """How to read the file (xlsx, xls or csv), from its first bytes; the name only decides for text."""
    ext = os.path.splitext(filename or "")[1].lower()
    if not data:
        raise FileProblem("文件是空的，请选择填好数据的文件")
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if _MARKUP.match(data[:512].lstrip(b"\xef\xbb\xbf")):
        raise FileProblem("该文件实际上是网页（HTML）或 XML 格式的表格，不是 Excel 文件：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入")
    if ext in (".xlsx", ".xlsm"):
        raise FileProblem(BAD_XLSX)
    if ext in (".csv", ".txt") or (ext in ("", ".xls", ".et") and _is_text(data)):
        return "csv"  # a system's "Excel" export is often tab- or comma-separated text named .xls
    if ext in (".xls", ".et"):
        raise FileProblem(BAD_XLS)
    shown = ext or "（无扩展名）"
    raise FileProblem(f"不支持的文件类型“{shown}”，请上传 {ACCEPTED}")


def _scan(sheets, lookup: Callable[[Any], Any]) -> Table | None:
    """The first table whose header row names the key column and one more known column."""
    for title, rows in sheets:
        if title.strip() in SKIP_SHEETS:
            continue
        above = []
        for scanned, (n, row) in enumerate(rows, start=1):
            cols = [lookup(v) if v is not None else None for v in row]
            if any(c is not None and c.is_key for c in cols) and sum(c is not None for c in cols) >= 2:
                headers = {i: str(v).strip() for i, v in enumerate(row) if v is not None and str(v).strip()}
                return Table(n, headers, _data_rows(rows), title or None, above)
            above.append((n, list(row)))
            if scanned >= HEADER_SCAN_ROWS:
                break
    return None


def _scan_xlsx(data: bytes, lookup) -> Table | None:
    try:
        return _scan(xlsx_reader.sheets(data), lookup)
    except xlsx_reader.XlsxUnreadable:  # laid out in a way the fast reader does not know
        sheets = _xlsx_sheets(data)
        try:
            return _scan(sheets, lookup)
        finally:
            sheets.close()


def _scan_xls(data: bytes, lookup) -> Table | None:
    try:
        sheets = xls_reader.sheets(data)
    except xls_reader.XlsUnreadable as err:
        raise FileProblem(LOCKED if err.encrypted else BAD_XLS) from err
    return _scan(sheets, lookup)


def find_table(data: bytes, filename: str, lookup: Callable[[Any], Any], key_label: str) -> Table:
    """The first sheet's table whose header row names the key column; FileProblem otherwise.

    `lookup` gives a header cell's column (with .is_key), or None for a header it does not know.
    """
    kind = sniff(data, filename)
    if kind == "xlsx":
        table = _scan_xlsx(data, lookup)
    elif kind == "xls":
        table = _scan_xls(data, lookup)
    else:
        rows = _csv_rows(data)
        if all(_is_blank(r) for _, r in rows):
            raise FileProblem("文件是空的，请选择填好数据的文件")
        table = _scan([("", iter(rows))], lookup)
    if table is None:
        raise FileProblem(f"找不到表头行：请确认表格前 {HEADER_SCAN_ROWS} 行中有一行列名，且包含“{key_label}”列"
                          "（可下载导入模板对照）")
    table.kind = kind
    return table


def _data_rows(rows: Iterable[tuple[int, tuple]]) -> list[tuple[int, list]]:
    out = []
    for n, row in rows:
        if _is_blank(row):
            continue
        out.append((n, list(row)))
        if len(out) > MAX_DATA_ROWS:
            raise FileProblem(f"文件超过 {MAX_DATA_ROWS} 行数据，请分成几个文件分批导入")
    return out


def safe_cell(value: Any, ws, cell_cls):
    """Strings that Excel would run as formulas stay text; dates get a date format."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith("="):
            cell = cell_cls(ws, value=value)
            cell.data_type = "s"
            return cell
    elif isinstance(value, dt.date):
        cell = cell_cls(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def write_xlsx(title: str, headers: list[str], rows: Iterable[list], widths: list[int] | None = None) -> bytes:
    """A one-sheet .xlsx (streamed, so 100,000 rows are fine) with a bold header row."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for i, w in enumerate(widths or []):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = w
    ws.freeze_panes = "A2"
    head = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([safe_cell(v, ws, WriteOnlyCell) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_cell(value: Any) -> str:
    """A CSV cell: dates as 2024-03-01; text that Excel would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def write_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    """CSV in UTF-8 with a BOM (so Excel opens it as Unicode) and CRLF line ends: the one CSV writer every
    export uses (registries, publications, the task zips' indexes), so no export lets a formula through."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")

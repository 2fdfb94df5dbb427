"""Office-style sheets for the registry import tests: title rows above the header, as offices make them."""
from __future__ import annotations

import csv
import io

import openpyxl

from tests.factories import make_uscc

TITLE = "阳城县交通运输局检查对象名录库（2024年）"
TARGET_HEAD = ["统一社会信用代码", "单位名称", "行业类别", "所属乡镇", "联系电话", "信用等级（交通）", "信用等级（市场监管）"]
INSPECTOR_HEAD = ["姓名", "执法证号", "发证日期", "有效期至", "所属部门", "资质标签", "在岗状态"]
ITEM_HEAD = ["事项编号", "抽查事项", "事项类别（一般/重点）", "检查依据", "检查方式", "检查对象类别", "检查要点"]


def xlsx_bytes(rows: list[list], title_rows: tuple[str, ...] = (TITLE,), sheet: str = "Sheet1",
               trailing_blank_rows: int = 0) -> bytes:
    """An .xlsx whose title rows are merged across the table's width, then `rows` (header first)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    width = max(len(r) for r in rows)
    for title in title_rows:
        ws.append([title])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    for row in rows:
        ws.append(row)
    for _ in range(trailing_blank_rows):
        ws.append(["", None, "  "])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def target_row(n: int, over: dict | None = None) -> list:
    """A valid target row in TARGET_HEAD's order; `over` replaces cells by header name."""
    row = dict(zip(TARGET_HEAD, [make_uscc(n), f"阳城县第{n}运输有限公司", "道路普通货物运输", "凤城镇",
                                 "0356-4221234", "A", "B"]))
    row.update(over or {})
    return [row[h] for h in TARGET_HEAD]


def read_xlsx(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet of an .xlsx as lists of row tuples."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


# --- old Excel (.xls): a minimal BIFF8 writer ------------------------------------------------------
# No maintained Python library writes .xls (xlwt stopped in 2017), so the tests build their .xls files
# here: a BIFF8 workbook stream (text as LABEL records, numbers and dates as NUMBER records, a date
# style on XF 1, merged title cells) inside an OLE2 compound file, the container Excel 97–2003 and WPS
# (.et) write. xlrd reads these as it reads theirs; the fields follow [MS-XLS] and [MS-CFB].

import datetime as _dt  # noqa: E402
import struct  # noqa: E402

_SECTOR = 512
_END, _FREE, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _unicode(text: str, len_bytes: int) -> bytes:
    encoded = text.encode("utf-16-le")
    return struct.pack("<H" if len_bytes == 2 else "<B", len(text)) + b"\x01" + encoded


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def _xf(format_index: int, cell: bool) -> bytes:
    kind = 0x0001 if cell else 0xFFF5  # a cell XF (parent style 0) or a style XF
    return _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, format_index, kind, 0x20, 0, 0, 0, 0, 0, 0x20C0))


def _cell(r: int, c: int, value) -> bytes:
    if isinstance(value, (_dt.date, _dt.datetime)):
        day = value if isinstance(value, _dt.datetime) else _dt.datetime(value.year, value.month, value.day)
        serial = (day - _dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return _record(0x0203, struct.pack("<HHHd", r, c, 16, serial))  # XF 16: the date style
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _record(0x0203, struct.pack("<HHHd", r, c, 15, float(value)))
    return _record(0x0204, struct.pack("<HHH", r, c, 15) + _unicode(str(value), 2))


def _sheet_stream(rows: list[list], merges: list[tuple[int, int, int, int]]) -> bytes:
    width = max((len(r) for r in rows), default=1)
    out = [_bof(0x0010), _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))]
    for r, row in enumerate(rows):
        out.extend(_cell(r, c, v) for c, v in enumerate(row) if v not in (None, ""))
    if merges:
        out.append(_record(0x00E5, struct.pack("<H", len(merges)) + b"".join(struct.pack("<HHHH", *m) for m in merges)))
    out.append(_record(0x000A, b""))
    return b"".join(out)


def _workbook_stream(sheets: list[tuple[str, list[list], list]], password: bool = False) -> bytes:
    fonts = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _unicode("Arial", 1))
    styles = b"".join(_xf(0, False) for _ in range(15)) + _xf(0, True) + _xf(14, True)  # 14: the built-in m/d/yy
    head = _bof(0x0005) + (_record(0x002F, b"\x01\x00" + b"\x01\x00" * 2 + b"\0" * 48) if password else b"")
    head += _record(0x0042, struct.pack("<H", 1200)) + _record(0x0022, struct.pack("<H", 0))
    head += fonts * 5 + styles
    bodies = [_sheet_stream(rows, merges) for _title, rows, merges in sheets]
    bound_len = sum(4 + 6 + len(_unicode(title, 1)) for title, _r, _m in sheets)
    offset = len(head) + bound_len + 4
    bounds = b""
    for (title, _r, _m), body in zip(sheets, bodies):
        bounds += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(title, 1))
        offset += len(body)
    return head + bounds + _record(0x000A, b"") + b"".join(bodies)


def _compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding one stream, kept out of the mini stream."""
    stream = stream.ljust(max(len(stream), 4096), b"\0")
    data_sectors = -(-len(stream) // _SECTOR)
    fat_sectors = 1
    while (data_sectors + 1 + fat_sectors) > fat_sectors * 128:
        fat_sectors += 1
    dir_sector = data_sectors
    fat = [i + 1 for i in range(data_sectors - 1)] + [_END, _END] + [_FATSECT] * fat_sectors
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    difat = list(range(dir_sector + 1, dir_sector + 1 + fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, fat_sectors, dir_sector, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<109I", *difat))

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (entry_name.encode("utf-16-le") + b"\0\0") if entry_name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, _NOSTREAM, _NOSTREAM, child)
                + b"\0" * 16 + struct.pack("<I", 0) + b"\0" * 16 + struct.pack("<III", start, size, 0))

    directory = (entry("Root Entry", 5, 1, _END, 0) + entry(name, 2, _NOSTREAM, 0, len(stream))
                 + entry("", 0, _NOSTREAM, 0, 0) * 2)
    body = stream.ljust(data_sectors * _SECTOR, b"\0") + directory + struct.pack(f"<{len(fat)}I", *fat)
    return header + body


def xls_bytes(rows: list[list], title_rows: tuple[str, ...] = (TITLE,), sheet: str = "Sheet1",
              sheets_before: tuple[tuple[str, list[list]], ...] = (), password: bool = False) -> bytes:
    """An Excel 97–2003 .xls, laid out like xlsx_bytes: merged title rows, then `rows` (header first);
    `sheets_before` are (title, rows) sheets in front of it, such as a 填写说明; `password` marks it
    encrypted (a FILEPASS record), as a workbook with an open password is."""
    width = max(len(r) for r in rows)
    merges = [(i, i, 0, width - 1) for i in range(len(title_rows))]
    body = [[t] for t in title_rows] + rows
    sheets = [(t, r, []) for t, r in sheets_before] + [(sheet, body, merges)]
    return _compound_file(_workbook_stream(sheets, password))


def encrypted_xlsx_bytes() -> bytes:
    """What Excel saves for an .xlsx with an open password: an OLE2 file holding an EncryptedPackage."""
    return _compound_file(b"\0" * 5000, name="EncryptedPackage")


def office_sheet(head: list[str], rows: list[list], numbered_to: int = 0, footer: bool = True) -> list[list]:
    """Rows as a county office's sheet has them: a 序号 column numbered to `numbered_to` (past the last
    filled row), then the footer: 填表人, 审核人, and 填表日期 with the date in the next cell, then a note."""
    out = [["序号"] + head] + [[i] + row for i, row in enumerate(rows, start=1)]
    out += [[i] for i in range(len(rows) + 1, numbered_to + 1)]
    if footer:
        out += [[], ["填表人：王丽", None, "审核人：赵建国", None, "填表日期：", "2024年3月8日"],
                ["注：1. 行业类别按道路运输经营许可证填写；2. 联系电话填手机号。"]]
    return out

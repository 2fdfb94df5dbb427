"""Old Excel workbooks (.xls, BIFF in an OLE2 compound file, as Excel 97–2003 and WPS .et save them) read with
xlrd, giving values as the .xlsx readers do: text, numbers (whole numbers as int), dates, booleans."""
from __future__ import annotations

import io
from typing import Iterator

ENCRYPTED_XLSX = "EncryptedPackage".encode("utf-16-le")  # a password-protected .xlsx is an OLE2 file too


class XlsUnreadable(Exception):
    """The file is not a workbook xlrd can read; `encrypted` says whether it has an open password."""

    def __init__(self, message: str, encrypted: bool = False):
        super().__init__(message)
        self.encrypted = encrypted


def _value(cell, datemode: int):
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, datemode)
        except (xlrd.XLDateError, ValueError, OverflowError):
            return value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#错误")
    return value


def _rows(sheet, datemode: int) -> Iterator[tuple[int, list]]:
    for r in range(sheet.nrows):
        yield r + 1, [_value(c, datemode) for c in sheet.row(r)]


def sheets(data: bytes) -> list[tuple[str, Iterator[tuple[int, list]]]]:
    """(title, row iterator) for each worksheet, in the workbook's order; XlsUnreadable if it cannot be read."""
    import xlrd

    if ENCRYPTED_XLSX in data[:1 << 16] or ENCRYPTED_XLSX in data[-(1 << 16):]:
        raise XlsUnreadable("encrypted OOXML package", encrypted=True)
    try:
        book = xlrd.open_workbook(file_contents=data, logfile=io.StringIO(), on_demand=False)
    except Exception as err:  # noqa: BLE001 -- xlrd raises many kinds (XLRDError, CompDocError, struct.error, …) on bad input
        raise XlsUnreadable(str(err), encrypted="encrypted" in str(err).lower()) from err
    return [(s.name, _rows(s, book.datemode)) for s in book.sheets()]

"""The error report of a refused import: the office's own sheet back as .xlsx, each bad cell filled red with a
comment saying what is wrong, and a 错误清单 sheet listing them. Rows keep their numbers, so the report
matches the page, and the fixed file imports as it is."""
from __future__ import annotations

import io
import os
from collections import defaultdict

from openpyxl.utils import get_column_letter

from server.services.registry.import_report import ImportReport
from server.services.registry.spreadsheets import REPORT_SHEET, Table, safe_cell

BAD_FILL = "FFC7CE"  # Excel's own "bad" cell style: light red fill, dark red text
BAD_TEXT = "9C0006"
AUTHOR = "导入校验"
GUIDE = ("红色单元格有错误，鼠标停在单元格上可看到原因（批注）。请在原工作表中改正后保存，"
         "再导入此文件；本工作表不会被导入。")


def _cells_by_problem(report: ImportReport) -> dict[tuple[int, int], list[str]]:
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    for p in report.problems:
        found[(p.row, p.col if p.col is not None else 0)].append(p.message)
    return found


def _rows(table: Table):
    """Every row the sheet had up to its last filled one, numbered as in the file (blank rows too)."""
    header = max(table.headers) + 1 if table.headers else 0
    head_row = [table.headers.get(i) for i in range(header)]
    ordered = list(table.above) + [(table.header_row, head_row)] + list(table.rows)
    last = 0
    for n, cells in ordered:
        for blank in range(last + 1, n):
            yield blank, []
        yield n, cells
        last = n


def _sheet(wb, table: Table, report: ImportReport, title: str) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    bad = _cells_by_problem(report)
    fill, font, bold = PatternFill("solid", fgColor=BAD_FILL), Font(color=BAD_TEXT), Font(bold=True)
    ws = wb.create_sheet(title[:31])
    for i in table.headers:
        ws.column_dimensions[get_column_letter(i + 1)].width = max(10, min(40, len(table.headers[i]) * 2 + 4))
    for n, cells in _rows(table):
        width = max([len(cells)] + [c + 1 for (r, c) in bad if r == n])
        row = []
        for c in range(width):
            value = cells[c] if c < len(cells) else None
            cell = safe_cell(value, ws, WriteOnlyCell)
            messages = bad.get((n, c))
            if (messages or n == table.header_row) and not isinstance(cell, Cell):
                cell = WriteOnlyCell(ws, value=cell)
            if n == table.header_row:
                cell.font = bold
            if messages:
                cell.fill, cell.font = fill, font
                cell.comment = Comment("\n".join(messages), AUTHOR, width=260, height=90)
            row.append(cell)
        ws.append(row)


def _listing(wb, report: ImportReport) -> None:
    ws = wb.create_sheet(REPORT_SHEET)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 10, 8
    ws.column_dimensions["C"].width, ws.column_dimensions["D"].width = 24, 80
    ws.append([report.summary()])
    ws.append([GUIDE])
    ws.append([])
    ws.append(["行号", "列", "列名", "问题"])
    for p in report.problems:
        ws.append([p.row, get_column_letter(p.col + 1) if p.col is not None else "", p.column, p.message])


def build(report: ImportReport) -> tuple[bytes, str]:
    """(the report as .xlsx bytes, its download name) for a report with problems."""
    import openpyxl

    table = report.table
    wb = openpyxl.Workbook(write_only=True)
    _sheet(wb, table, report, table.sheet or report.label)
    _listing(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    stem = os.path.splitext(os.path.basename(report.filename or ""))[0] or report.label
    return buf.getvalue(), f"{stem}-错误报告.xlsx"

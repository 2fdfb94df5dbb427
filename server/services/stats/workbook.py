"""The statistics as an .xlsx: a sheet per section with its tables, and native Excel charts (openpyxl's
chart module) drawn from a data block beside each table, so the clerk can restyle or re-plot them."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from server.services.kernel.workdays import local_text
from server.models.types import utcnow
from server.services.stats import report
from server.services.stats.filters import Filters
from server.services.stats.shapes import NO_DATA

BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
PERCENT = '0.0"%"'


def _value(ws, row: int, col: int, cell: dict, percent: bool) -> None:
    target = ws.cell(row=row, column=col)
    if cell.get("v") is None:
        target.value = cell.get("t") or ""
        if target.value == NO_DATA:
            target.alignment = Alignment(horizontal="center")
        return
    target.value = cell["v"]
    if percent or str(cell.get("t", "")).endswith("%"):
        target.number_format = PERCENT


def _table(ws, row: int, table: dict) -> int:
    """Write a table from `row`; returns the next free row."""
    ws.cell(row=row, column=1, value=table["title"]).font = BOLD
    row += 1
    for col, name in enumerate(table["columns"], start=1):
        c = ws.cell(row=row, column=col, value=name)
        c.font, c.fill = BOLD, HEAD_FILL
    row += 1
    if table["empty"]:
        ws.cell(row=row, column=1, value=NO_DATA)
        return row + 2
    for cells in table["rows"] + ([table["total"]] if table["total"] else []):
        for col, cell in enumerate(cells, start=1):
            _value(ws, row, col, cell, False)
        if table["total"] is cells:
            for col in range(1, len(cells) + 1):
                ws.cell(row=row, column=col).font = BOLD
        row += 1
    if table["note"]:
        ws.cell(row=row, column=1, value=table["note"]).font = Font(italic=True, color="555555")
        row += 1
    return row + 1


def _chart(ws, chart: dict, col: int, row: int) -> None:
    """The chart's own data block at (row, col), and a native chart drawn from it beside the block."""
    ws.cell(row=row, column=col, value=chart["title"]).font = BOLD
    head = row + 1
    ws.cell(row=head, column=col, value="类别").font = BOLD
    for j, s in enumerate(chart["series"], start=1):
        ws.cell(row=head, column=col + j, value=s["name"]).font = BOLD
    for i, name in enumerate(chart["categories"], start=1):
        ws.cell(row=head + i, column=col, value=name)
        for j, s in enumerate(chart["series"], start=1):
            value = s["data"][i - 1]
            cell = ws.cell(row=head + i, column=col + j, value=value if value is not None else None)
            if chart["unit"] == "%":
                cell.number_format = PERCENT
    last = head + max(len(chart["categories"]), 1)
    kind = {"bar": BarChart, "line": LineChart, "pie": PieChart}[chart["kind"]]
    native = kind()
    native.title = chart["title"]
    data = Reference(ws, min_col=col + 1, max_col=col + len(chart["series"]), min_row=head, max_row=last)
    native.add_data(data, titles_from_data=True)
    native.set_categories(Reference(ws, min_col=col, min_row=head + 1, max_row=last))
    if chart["kind"] != "pie":
        native.y_axis.title = "%" if chart["unit"] == "%" else "数量"
        native.y_axis.delete = native.x_axis.delete = False
    native.width, native.height = 18, 9
    ws.add_chart(native, f"{get_column_letter(col + len(chart['series']) + 2)}{row}")


def _section(wb: Workbook, section: dict) -> None:
    ws = wb.create_sheet(section["title"][:31])
    ws.cell(row=1, column=1, value=section["title"]).font = Font(bold=True, size=14)
    row = 3
    for h in section["headline"]:
        ws.cell(row=row, column=1, value=h["label"])
        _value(ws, row, 2, h["cell"], False)
        if h["badge"]:
            ws.cell(row=row, column=3, value=h["badge"][1])
        row += 1
    row += 1 if section["headline"] else 0
    width = max([len(t["columns"]) for t in section["tables"]] or [1])
    chart_row = row
    for table in section["tables"]:
        row = _table(ws, row, table)
    for chart in section["charts"]:
        if chart["empty"]:
            continue
        _chart(ws, chart, width + 2, chart_row)
        chart_row += max(len(chart["categories"]) + 3, 20)
    ws.column_dimensions["A"].width = 36
    for col in range(2, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14
    if section["note"]:
        ws.cell(row=row, column=1, value=section["note"]).font = Font(italic=True, color="555555")


def build(rep: dict, bureau: str) -> bytes:
    """The workbook of a report (report.build)."""
    f: Filters = rep["filters"]
    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    lines = [(f"{bureau} 抽查统计分析", Font(bold=True, size=14)), ("统计条件：" + "；".join(f.description()), None),
             (f"导出时间：{local_text(utcnow())}（北京时间）", None),
             ("每个工作表对应一部分统计，图表为 Excel 原生图表，数据见图表左侧的数据块。", None)]
    lines += [(f"提示：{n}", Font(color="A1261B")) for n in f.notes]
    for i, (text, font) in enumerate(lines, start=1):
        c = ws.cell(row=i, column=1, value=text)
        if font:
            c.font = font
    ws.column_dimensions["A"].width = 100
    for section in rep["sections"]:
        _section(wb, section)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export(session: Session, actor, f: Filters, bureau: str | None = None, *, workers: int = 1) -> tuple[bytes, str]:
    """(workbook bytes, download name) of the statistics under `f` (staff and leaders)."""
    rep = report.build(session, actor, f, workers=workers)
    return build(rep, bureau or "阳城县交通运输局"), f"抽查统计分析_{f.period_label.replace(' ', '')}.xlsx"

"""Export a registry as .xlsx or CSV (re-importable as it is), and the blank import template."""
from __future__ import annotations

import datetime as dt
import io
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ValidationError
from server.services.kernel import workdays
from server.services.registry.cell_dates import Date, LicenceDates
from server.services.registry.cell_types import Choice, DepartmentRef, MultiChoice, Number, Phone, Rating, Text, Uscc
from server.services.registry.columns import Column, RegistrySpec, registry_spec
from server.services.registry.records import MODELS, current, eager_loads
from server.services.registry.search import departments, require_editor, require_exporter
from server.services.registry.spreadsheets import write_csv, write_xlsx
from server.vocab import RATING_LEVELS

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}
TEMPLATE_ROWS = 1000  # rows that get the drop-down lists and text format in the template
GENERAL_NOTES = (
    "表头（列名）请勿修改；表头上方可以保留标题行，系统会自动找到表头。",
    "第 2 行是示例，导入前请删除或改成实际数据。",
    "导入时先校验全部行：只要有一行有错误，整个文件都不会导入，系统会列出每处错误的行号、列名和原因。",
    "已在名录库中的记录（按{key}识别）会被更新，其余新增；同一文件再次导入不会产生任何变化。",
    "日期可以写成 2024-03-01、2024/3/1、2024年3月1日 或 20240301；全角数字和字母、多余空格会被自动纠正。",
    "可以有“序号”列；只有序号的空行、表尾（填表人、审核人、填表日期）和“注：”说明行不会导入，导入结果会注明。",
    "支持 Excel（.xlsx、.xls）、WPS（.et）和 CSV 文件；表头和分类可以用常用简称（见下表），导入结果会注明按哪个名称导入。",
    "没有出现在表头中的列不会改动已有数据；出现的列若留空，则清空该项（信用等级留空表示不改变）。",
)


def _records(session: Session, spec: RegistrySpec) -> Iterator[Any]:
    model = MODELS[spec.name]
    stmt = select(model).order_by(getattr(model, spec.key_field)).options(*eager_loads(spec))
    yield from session.scalars(stmt.execution_options(yield_per=2000))


def _value(col: Column, obj: Any, day: dt.date, dept_names: dict[int, str]) -> Any:
    if isinstance(col.type, DepartmentRef):
        value = getattr(obj, col.field)
        return dept_names.get(value, "") if value else ""
    return col.type.cell(current(obj, col.field, day))


def export_rows(session: Session, spec: RegistrySpec, day: dt.date) -> Iterator[list]:
    """Each record as a row of cell values, in the columns' order."""
    dept_names = {d.id: d.name for d in departments(session)}
    for obj in _records(session, spec):
        yield [_value(col, obj, day, dept_names) for col in spec.columns]


def export_registry(session: Session, actor, registry: str, fmt: str, today: dt.date | None = None
                    ) -> tuple[bytes, str, str]:
    """The whole registry as (file bytes, download file name, MIME type); fmt is xlsx or csv."""
    require_exporter(actor)
    spec = registry_spec(registry)
    if fmt not in FORMATS:
        raise ValidationError(f"不支持导出为“{fmt}”格式，可选：xlsx、csv")
    today = today or workdays.today()
    headers = [c.header for c in spec.columns]
    rows = export_rows(session, spec, today)
    if fmt == "xlsx":
        data = write_xlsx(spec.sheet_title, headers, rows, [max(10, len(h) * 2 + 2) for h in headers])
    else:
        data = write_csv(headers, rows)
    return data, f"{spec.sheet_title}-{today.strftime('%Y%m%d')}.{fmt}", FORMATS[fmt]


def _example(col: Column, dept_names: list[str]) -> Any:
    if isinstance(col.type, DepartmentRef):
        return dept_names[0] if dept_names else ""
    return col.example


def _add_dropdowns(ws, spec: RegistrySpec, dept_names: list[str]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for i, col in enumerate(spec.importable, start=1):
        if isinstance(col.type, Choice) and not isinstance(col.type, MultiChoice):
            options = [m.label for m in col.type.enum]
        elif isinstance(col.type, DepartmentRef):
            options = dept_names
        else:
            continue
        formula = '"' + ",".join(options) + '"'
        if not options or len(formula) > 255:  # Excel's limit for an inline list
            continue
        dv = DataValidation(type="list", formula1=formula, allow_blank=not col.required,
                            error=f"请从下拉列表中选择{col.header}", errorTitle="输入有误", showErrorMessage=True)
        letter = get_column_letter(i)
        dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
        ws.add_data_validation(dv)


def template(session: Session, actor, registry: str) -> tuple[bytes, str]:
    """The import template: header row, one example row, drop-downs, and a 填写说明 sheet."""
    require_editor(actor)
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    spec = registry_spec(registry)
    dept_names = [d.name for d in departments(session, active_only=True)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spec.sheet_title
    columns = spec.importable
    ws.append([c.header for c in columns])
    ws.append([_example(c, dept_names) for c in columns])
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        head = ws.cell(row=1, column=i)
        head.font = Font(bold=True, color="C00000" if col.required else "000000")
        ws.column_dimensions[letter].width = max(12, len(col.header) * 2 + 4)
        if col.text_format:
            ws.column_dimensions[letter].number_format = "@"
            ws.cell(row=2, column=i).number_format = "@"
        if isinstance(ws.cell(row=2, column=i).value, dt.date):
            ws.cell(row=2, column=i).number_format = "yyyy-mm-dd"
        if "\n" in str(ws.cell(row=2, column=i).value or ""):
            ws.cell(row=2, column=i).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    _add_dropdowns(ws, spec, dept_names)
    _instructions(wb.create_sheet("填写说明"), spec, dept_names)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"{spec.sheet_title}-导入模板.xlsx"


def allowed_values(col: Column, dept_names: list[str]) -> str:
    """What a cell of the column may hold, in words, for the template's 填写说明."""
    t = col.type
    if isinstance(t, MultiChoice):
        return "可多选，用“、”分隔：" + t.allowed()
    if isinstance(t, Choice):
        return t.allowed()
    if isinstance(t, DepartmentRef):
        return "、".join(dept_names) if dept_names else "（暂无部门，请先由管理员添加）"
    if isinstance(t, LicenceDates):
        return "日期，或“长期”（没有截止日期）；不知道的填“—”"
    if isinstance(t, Date):
        return "日期：2024-03-01、2024/3/1、2024年3月1日 或 20240301"
    if isinstance(t, Rating):
        return "、".join(RATING_LEVELS[t.source])
    if isinstance(t, Uscc):
        return "18 位数字或大写字母（不用 I、O、S、V、Z），全角、小写和空格会自动纠正"
    if isinstance(t, Number):
        return t.hint
    if isinstance(t, Phone):
        return "数字、“-”、“+”，至少 7 位数字"
    if isinstance(t, Text):
        return f"文字，不超过 {t.max_len} 个字"
    return ""


def _example_text(col: Column, dept_names: list[str]) -> str:
    value = _example(col, dept_names)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _instructions(ws, spec: RegistrySpec, dept_names: list[str]) -> None:
    from openpyxl.styles import Alignment, Font

    ws.append([f"{spec.sheet_title} 导入模板 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    for n, note in enumerate(GENERAL_NOTES, start=1):
        ws.append([f"{n}. {note.format(key=spec.key.header)}"])
    ws.append([])
    ws.append(["列名", "是否必填", "填写说明", "可填写的值", "示例", "表头也可写作"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for col in spec.importable:
        ws.append([col.header, "必填" if col.required else "选填", col.note, allowed_values(col, dept_names),
                   _example_text(col, dept_names), "、".join(col.aliases)])
        for c in range(3, 7):
            ws.cell(row=ws.max_row, column=c).alignment = Alignment(wrap_text=True, vertical="top")
    _alias_table(ws, spec)
    for letter, width in zip("ABCDEF", (24, 10, 40, 44, 28, 36)):
        ws.column_dimensions[letter].width = width


def _alias_table(ws, spec: RegistrySpec) -> None:
    """The short names the import reads as the proper ones, each column's."""
    from openpyxl.styles import Alignment, Font

    rows = []
    for col in spec.importable:
        if isinstance(col.type, Choice):
            by_label: dict[str, list[str]] = {}
            for alias in sorted(col.type.aliases(), key=len):
                by_label.setdefault(alias[1], []).append(alias[0])
            rows.extend([col.header, label, "、".join(names)] for label, names in by_label.items())
    if not rows:
        return
    ws.append([])
    ws.append(["常用简称：导入时按规范名称导入，并在导入结果中注明"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append(["列名", "规范名称", "也可写作"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        ws.cell(row=ws.max_row, column=3).alignment = Alignment(wrap_text=True, vertical="top")

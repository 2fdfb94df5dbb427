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

"""Publication export for upload to 国家企业信用信息公示系统: one row per item, as .xlsx or CSV."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import NotFound
from server.models.followup import Publication
from server.services.kernel.permissions import require_staff
from server.services.registry.spreadsheets import write_csv

HEADERS = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查机关", "抽查完成日期",
           "统一社会信用代码", "企业名称", "序号", "检查事项", "检查结果", "版本"]


def rows(session: Session, actor) -> list[list]:
    """Every published record's items, in the gsxt 双随机抽查结果信息 layout: the bureau's own records (a cooperating
    department of a joint inspection uploads the items it checked itself, 谁检查、谁公开)."""
    require_staff(actor)
    out = []
    pubs = session.scalars(select(Publication).where(Publication.status == "published",
                                                     Publication.department_id.is_(None))
                           .order_by(Publication.completed_on, Publication.id))
    for pub in pubs:
        c = pub.content
        for item in c["items"]:
            out.append([c["plan_code"], c["plan_name"], c["task_code"], c["task_name"], c["type"], c["authority"],
                        c["completed_on"], c["target_uscc"], c["target_name"], item["seqno"], item["item_name"],
                        item["result"], pub.revision])
    return out


def _safe(value):
    """Keep spreadsheet programs from running a cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_xlsx(data: list[list]) -> bytes:
    """An .xlsx workbook with one sheet 双随机抽查结果信息."""
    wb = Workbook()
    ws = wb.active
    ws.title = "双随机抽查结果信息"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in data:
        ws.append([_safe(v) for v in row])
    for col, width in zip("ABCDEFGHIJKLM", (16, 28, 20, 28, 8, 20, 12, 22, 30, 6, 30, 30, 6)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(data: list[list]) -> bytes:
    """UTF-8 CSV with a BOM so that Excel opens the Chinese text correctly, through the one CSV writer
    every export uses (formulas neutralised)."""
    return write_csv(HEADERS, data)


FORMATS = {"xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "csv": (to_csv, "text/csv; charset=utf-8")}


def export(session: Session, actor, fmt: str) -> tuple[bytes, str]:
    """Every published record as `fmt` ("xlsx" or "csv"), with its MIME type; NotFound for other formats."""
    if fmt not in FORMATS:
        raise NotFound("不支持的导出格式")
    make, mimetype = FORMATS[fmt]
    return make(rows(session, actor)), mimetype

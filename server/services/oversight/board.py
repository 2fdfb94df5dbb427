"""The 督查 board: a tuple of section builders, each a function of a Context returning a Section.

A section is added by appending its builder to SECTIONS (as the quality flags' section is), so the
page, the export and the tests need no change for it.
"""
from __future__ import annotations

import datetime as dt
import io

from sqlalchemy.orm import Session

from server.services.kernel.permissions import require_staff
from server.services.kernel.workdays import today
from server.services.oversight import followup_rows, inspection_rows, progress, quality_rows
from server.services.oversight.grouping import GROUPS, ROW_LIMIT, Context, Section, check_group
from server.services.registry.spreadsheets import safe_cell

SECTIONS = (
    progress.section,
    inspection_rows.overdue_section,
    inspection_rows.late_entry_section,
    followup_rows.publication_section,
    followup_rows.referral_section,
    quality_rows.section,
)
VIEWERS = ("admin", "office", "leader")  # 法制股 (the office role) and the leaders oversee; so does the admin


def build(session: Session, actor, *, group: str = "", on: dt.date | None = None,
          limit: int | None = ROW_LIMIT) -> list[Section]:
    """Every section of the board, grouped as asked ("", "department" or "inspector")."""
    require_staff(actor)
    ctx = Context(session, on or today(), check_group(group), limit)
    return [make(ctx) for make in SECTIONS]


def workbook(session: Session, actor, *, group: str = "", on: dt.date | None = None) -> bytes:
    """The whole board as .xlsx: a sheet per section with every record (formulas kept as text)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    group = check_group(group)
    wb = openpyxl.Workbook(write_only=True)
    for section in build(session, actor, group=group, on=on, limit=None):
        ws = wb.create_sheet(section.title[:31])
        ws.append([WriteOnlyCell(ws, value=section.title)])
        ws.append([section.note])
        columns = (["分组"] if group else []) + section.columns
        head = []
        for text in columns:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = Font(bold=True)
            head.append(cell)
        ws.append(head)
        for row in section.rows:
            cells = ([row.group] if group else []) + list(row.cells)
            ws.append([safe_cell(v, ws, WriteOnlyCell) for v in cells])
        ws.append([])
        ws.append([f"合计 {section.total} 条"] + ([f"{g}：{n}" for g, n in section.groups] if group else []))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def group_label(group: str) -> str:
    return GROUPS.get(check_group(group), "")

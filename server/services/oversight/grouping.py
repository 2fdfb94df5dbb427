"""The board's shared plumbing: what a section is, and grouping any inspection-based query by the department or
the inspector of the inspection's group, in SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from server.models.inspections import InspectionMember
from server.models.registry import Department, Inspector

GROUPS = {"": "不分组", "department": "按部门", "inspector": "按检查人员"}
ROW_LIMIT = 500  # records shown per section on the page; the export has them all


@dataclass
class Row:
    """One record: its cells, the page it links to (endpoint, arguments) and its group's name when grouped."""

    cells: list
    link: tuple[str, dict] | None = None
    group: str = ""


@dataclass
class Section:
    key: str
    title: str
    note: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    groups: list[tuple[str, int]] = field(default_factory=list)  # (group, records in it) when grouped
    link_column: int = 0  # the cell that carries the row's link


@dataclass(frozen=True)
class Context:
    session: Session
    on: dt.date
    group: str = ""
    limit: int | None = ROW_LIMIT


def check_group(value: str | None) -> str:
    """The grouping asked for, or no grouping for anything unknown."""
    return value if value in GROUPS else ""


def with_group(stmt, inspection_id, group: str):
    """`stmt` with the group's name as a last column "grp" (one row per active member's group), or as it is."""
    if not group:
        return stmt
    stmt = stmt.join(InspectionMember, and_(InspectionMember.inspection_id == inspection_id,
                                            InspectionMember.active.is_(True)))
    if group == "department":
        return stmt.join(Department, Department.id == InspectionMember.department_id).add_columns(
            Department.name.label("grp"))
    return stmt.join(Inspector, Inspector.id == InspectionMember.inspector_id).add_columns(
        (Inspector.name + "（" + Inspector.cert_no + "）").label("grp"))


def fill(ctx: Context, section: Section, stmt, key_column: str, order, make_row) -> Section:
    """Run one of a section's record queries: its total and each group's count in SQL (added to what the
    section has: the parts of a section hold different records), then at most `ctx.limit` rows."""
    sub = stmt.subquery()
    key = sub.c[key_column]
    section.total += ctx.session.scalar(select(func.count(distinct(key)))) or 0
    if ctx.group:
        counts = dict(section.groups)
        for g, n in ctx.session.execute(select(sub.c.grp, func.count(distinct(key))).group_by(sub.c.grp)):
            counts[g] = counts.get(g, 0) + n
        section.groups = sorted(counts.items())
        stmt = stmt.order_by("grp", *order)
    else:
        stmt = stmt.order_by(*order)
    if ctx.limit is not None:
        stmt = stmt.limit(ctx.limit)
    for r in ctx.session.execute(stmt):
        row = make_row(r)
        row.group = getattr(r, "grp", "") if ctx.group else ""
        section.rows.append(row)
    return section

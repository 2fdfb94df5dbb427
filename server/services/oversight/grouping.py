"""The board's shared plumbing: what a section is, and grouping any inspection-based query by the department or
the inspector of the inspection's group, in SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, distinct, func, select
from sqlalchemy.orm import Session

from server.models.inspections import InspectionMember
from server.models.registry import Department, Inspector

GROUPS = {"": "不分组", "department": "按部门", "inspector": "按检查人员"}
ROW_LIMIT = 100  # records shown per section on the page; the export has them all


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
    group_headers: bool = True  # grouped: a heading row with the group's count above its records


@dataclass(frozen=True)
class Context:
    session: Session
    on: dt.date
    group: str = ""
    limit: int | None = ROW_LIMIT


def check_group(value: str | None) -> str:
    """The grouping asked for, or no grouping for anything unknown."""
    return value if value in GROUPS else ""


def _group_column(group: str):
    # "+ 0": an expression, not the column, so that no index offers the groups' order and the database starts
    # from the few rows the section's conditions select rather than walk every membership in group order
    return (InspectionMember.department_id if group == "department" else InspectionMember.inspector_id) + 0


def with_group(stmt, key: str, group: str):
    """The records of `stmt` (its column `key` holds the inspection's id) with their group as a last column "grp"
    — the department's or the inspector's id, one row per active member of the inspection's group — or `stmt`
    as it is. The records are selected first (on SQLite a MATERIALIZED CTE): joined to the members directly, SQLite
    gives up the covering index for the status index and reads a table row per inspection (1.2 s against
    0.1 s at 200,000). Names are looked up afterwards for the few groups shown (group_names)."""
    if not group:
        return stmt
    records = stmt.cte("records").prefix_with("MATERIALIZED", dialect="sqlite")  # PostgreSQL plans it well inline
    grouped = select(records, _group_column(group).label("grp")).join(InspectionMember, and_(
        InspectionMember.inspection_id == records.c[key], InspectionMember.active.is_(True)))
    return grouped.distinct() if group == "department" else grouped  # two members of one department: once


def join_group(stmt, inspection_id, group: str):
    """For an aggregate over inspections: join each active member's group as "grp" (or leave `stmt` as it is)."""
    if not group:
        return stmt
    return stmt.join(InspectionMember, and_(InspectionMember.inspection_id == inspection_id,
                                            InspectionMember.active.is_(True))).add_columns(
        _group_column(group).label("grp"))


def group_names(ctx: Context, ids) -> dict[int, str]:
    """The names of the groups (departments, or inspectors with their certificate numbers) by id."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    if ctx.group == "department":
        return dict(ctx.session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())
    return {i: f"{name}（{cert}）" for i, name, cert in ctx.session.execute(
        select(Inspector.id, Inspector.name, Inspector.cert_no).where(Inspector.id.in_(ids)))}


def fill(ctx: Context, section: Section, keys_of, order: list[str], details, make_row) -> Section:
    """Run one of a section's record queries, in two steps so that the large tables are read only for the rows
    shown: `keys_of(group)` selects the records' key columns ("id" first, the `order` columns, and "grp" when
    grouped: with_group) under the section's conditions; the total (ungrouped, a record once) and each group's
    count come from it in SQL (added to what the section has: the parts of a section hold different records);
    then its first `ctx.limit` rows in `order` are handed to `details(page)`, which joins what is shown (names,
    codes) to that page."""
    section.total += ctx.session.scalar(select(func.count()).select_from(keys_of("").subquery())) or 0
    sub = keys_of(ctx.group).subquery()
    key = sub.c.id
    sort = ([sub.c.grp] if ctx.group else []) + [sub.c[name] for name in order]
    names: dict[int, str] = {}
    if ctx.group:
        counts = dict(section.groups)
        per_group = func.count(distinct(key)) if ctx.group == "department" else func.count()
        found = ctx.session.execute(select(sub.c.grp, per_group).group_by(sub.c.grp)).all()
        names = group_names(ctx, [g for g, _ in found])
        for g, n in found:
            counts[names.get(g, "")] = counts.get(names.get(g, ""), 0) + n
        section.groups = sorted(counts.items())
    page = select(sub).order_by(*sort)
    if ctx.limit is not None:  # written into the SQL: SQLite plans a bound LIMIT without the covering index
        page = page.limit(bindparam("page_limit", ctx.limit, literal_execute=True))
    page = page.subquery("page")
    stmt = details(page).order_by(*(([page.c.grp] if ctx.group else []) + [page.c[name] for name in order]))
    for r in ctx.session.execute(stmt):
        row = make_row(r)
        row.group = names.get(r.grp, "") if ctx.group else ""
        section.rows.append(row)
    return section

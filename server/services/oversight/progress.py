"""Every task's progress against its period: drawn, in progress, submitted, reviewed, published, overdue."""
from __future__ import annotations

from sqlalchemy import and_, case, distinct, func, select

from server.models.followup import Publication
from server.models.inspections import Inspection
from server.models.planning import Task
from server.services.oversight.grouping import Context, Row, Section, with_group
from server.services.planning import tasks as planning_tasks

OPEN = ("assigned", "in_progress", "returned")  # not (or no longer) handed in
HANDED_IN = ("pending_evidence", "submitted")
COLUMNS = ["任务", "检查方式", "任务期间", "期限情况", "已抽取", "检查中", "已提交待审核", "已审核", "已公示", "逾期未提交"]


def _count_if(condition):
    """How many distinct inspections meet `condition` (distinct: a grouped row has one line per member)."""
    return func.count(distinct(case((condition, Inspection.id))))


def _period_state(ctx: Context, start, end, open_count: int, overdue: int) -> str:
    if ctx.on < start:
        return "未开始"
    if ctx.on <= end:
        return f"进行中，剩余 {(end - ctx.on).days} 天"
    if overdue:
        return f"已到期 {(ctx.on - end).days} 天，{overdue} 项逾期未提交"
    return "已到期，已全部提交" if not open_count else "已到期"


def section(ctx: Context) -> Section:
    """One row per published task (per task and group when grouped), counts aggregated in SQL."""
    overdue = and_(Inspection.status.in_(OPEN), Inspection.due_date < ctx.on)
    stmt = (select(Task.id, Task.code, Task.name, Task.method, Task.period_start, Task.period_end,
                   func.count(distinct(Inspection.id)).label("drawn"),
                   _count_if(Inspection.status.in_(OPEN)).label("open"),
                   _count_if(Inspection.status.in_(HANDED_IN)).label("handed_in"),
                   _count_if(Inspection.status == "approved").label("approved"),
                   _count_if(Publication.status == "published").label("published"),
                   _count_if(overdue).label("overdue"))
            .select_from(Task)
            .outerjoin(Inspection, and_(Inspection.task_id == Task.id, Inspection.status != "withdrawn"))
            .outerjoin(Publication, Publication.inspection_id == Inspection.id)
            .where(Task.status.in_(("published", "drawn", "closed"))))
    keys = [Task.id, Task.code, Task.name, Task.method, Task.period_start, Task.period_end]
    stmt = with_group(stmt, Inspection.id, ctx.group)
    if ctx.group:
        keys.append("grp")
    stmt = stmt.group_by(*keys).order_by(*(["grp"] if ctx.group else []), Task.period_end, Task.code)
    out = Section("progress", "任务进度", "每项已发布任务的检查进度与任务期间；“逾期未提交”为任务期限已过仍未提交的检查。",
                  COLUMNS)
    seen, groups = set(), {}
    for r in ctx.session.execute(stmt):
        seen.add(r.id)
        method = planning_tasks.METHODS.get(r.method, r.method)
        row = Row([f"{r.code} {r.name}", method, f"{r.period_start} 至 {r.period_end}",
                   _period_state(ctx, r.period_start, r.period_end, r.open, r.overdue), r.drawn, r.open, r.handed_in,
                   r.approved, r.published, r.overdue], ("office.task_detail", {"task_id": r.id}))
        if ctx.group:
            row.group = r.grp
            groups[r.grp] = groups.get(r.grp, 0) + 1
        out.rows.append(row)
    out.total = len(seen)
    out.groups = sorted(groups.items())
    return out

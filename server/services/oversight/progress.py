"""Every task's progress against its period: drawn, in progress, submitted, reviewed, published, overdue."""
from __future__ import annotations

from sqlalchemy import and_, case, distinct, func, select

from server.models.followup import Publication
from server.models.inspections import Inspection
from server.models.planning import Task
from server.services.oversight.grouping import Context, Row, Section, group_names, join_group
from server.services.planning import tasks as planning_tasks

OPEN = ("assigned", "in_progress", "returned")  # not (or no longer) handed in
HANDED_IN = ("pending_evidence", "submitted")
COLUMNS = ["任务", "检查方式", "任务期间", "期限情况", "已抽取", "检查中", "已提交待审核", "已审核", "已公示", "逾期未提交"]


def _count_if(condition, distinct_ids: bool):
    """How many inspections meet `condition`; distinct when a row may hold an inspection twice (two members of
    one department), a plain sum (much cheaper) otherwise."""
    if distinct_ids:
        return func.count(distinct(case((condition, Inspection.id))))
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _period_state(ctx: Context, start, end, open_count: int, overdue: int) -> str:
    if ctx.on < start:
        return "未开始"
    if ctx.on <= end:
        return f"进行中，剩余 {(end - ctx.on).days} 天"
    if overdue:
        return f"已到期 {(ctx.on - end).days} 天，{overdue} 项逾期未提交"
    return "已到期，已全部提交" if not open_count else "已到期"


def _counts(on, distinct_ids: bool = False):
    overdue = and_(Inspection.status.in_(OPEN), Inspection.due_date < on)
    drawn = func.count(distinct(Inspection.id)) if distinct_ids else func.count(Inspection.id)
    return [drawn.label("drawn"), _count_if(Inspection.status.in_(OPEN), distinct_ids).label("open"),
            _count_if(Inspection.status.in_(HANDED_IN), distinct_ids).label("handed_in"),
            _count_if(Inspection.status == "approved", distinct_ids).label("approved"),
            _count_if(Publication.status == "published", distinct_ids).label("published"),
            _count_if(overdue, distinct_ids).label("overdue")]


def _from_tasks(stmt):
    return (stmt.select_from(Task)
            .outerjoin(Inspection, and_(Inspection.task_id == Task.id, Inspection.status != "withdrawn"))
            .outerjoin(Publication, and_(Publication.inspection_id == Inspection.id, Publication.department_id.is_(None)))
            .where(Task.status.in_(("published", "drawn", "closed"))))


def section(ctx: Context) -> Section:
    """One row per published task, or per group (department, inspector) over all tasks; counted in SQL."""
    note = "每项已发布任务的检查进度与任务期间；“逾期未提交”为任务期限已过仍未提交的检查。"
    if ctx.group:
        return _grouped(ctx, Section("progress", "任务进度", note + "分组时每行为该组参与的全部任务合计。",
                                     ["参与任务数"] + COLUMNS[4:]))
    out = Section("progress", "任务进度", note, COLUMNS)
    tasks = ctx.session.execute(select(Task.id, Task.code, Task.name, Task.method, Task.period_start, Task.period_end)
                                .where(Task.status.in_(("published", "drawn", "closed")))
                                .order_by(Task.period_end, Task.code)).all()
    counts = _task_counts(ctx, [t.id for t in tasks])
    for r in tasks:
        c = counts.get(r.id, {})
        open_, overdue = c.get("open", 0), c.get("overdue", 0)
        out.rows.append(Row([f"{r.code} {r.name}", planning_tasks.METHODS.get(r.method, r.method),
                             f"{r.period_start} 至 {r.period_end}",
                             _period_state(ctx, r.period_start, r.period_end, open_, overdue), c.get("drawn", 0), open_,
                             c.get("handed_in", 0), c.get("approved", 0), c.get("published", 0), overdue],
                            ("office.task_detail", {"task_id": r.id})))
    out.total = len(out.rows)
    return out


def _task_counts(ctx: Context, task_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per task: inspections by state and overdue, counted in SQL by (task, status) — what the statistics'
    covering index answers alone; only published tasks have inspections, so no task filter is needed — and the
    published ones; folded here over those few hundred rows."""
    out: dict[int, dict[str, int]] = {}
    if not task_ids:
        return out
    overdue = case((and_(Inspection.status.in_(OPEN), Inspection.due_date < ctx.on), 1), else_=0)
    for task_id, status, n, late in ctx.session.execute(
            select(Inspection.task_id, Inspection.status, func.count(), func.coalesce(func.sum(overdue), 0))
            .where(Inspection.status != "withdrawn").group_by(Inspection.task_id, Inspection.status)):
        c = out.setdefault(task_id, {})
        c["drawn"] = c.get("drawn", 0) + n
        state = "open" if status in OPEN else "handed_in" if status in HANDED_IN else status
        c[state] = c.get(state, 0) + n
        c["overdue"] = c.get("overdue", 0) + late
    for task_id, n in ctx.session.execute(
            select(Inspection.task_id, func.count()).join(Publication, and_(Publication.inspection_id == Inspection.id, Publication.department_id.is_(None)))
            .where(Inspection.status != "withdrawn", Publication.status == "published").group_by(Inspection.task_id)):
        out.setdefault(task_id, {})["published"] = n
    return out


def _grouped(ctx: Context, out: Section) -> Section:
    stmt = join_group(_from_tasks(select(func.count(distinct(Task.id)).label("tasks"),
                                         *_counts(ctx.on, ctx.group == "department"))), Inspection.id, ctx.group)
    rows = ctx.session.execute(stmt.group_by("grp")).all()
    names = group_names(ctx, [r.grp for r in rows])
    for r in sorted(rows, key=lambda r: names.get(r.grp, "")):
        name = names.get(r.grp, "")
        out.rows.append(Row([r.tasks, r.drawn, r.open, r.handed_in, r.approved, r.published, r.overdue], None, name))
        out.groups.append((name, r.tasks))
    out.total = len(out.rows)
    out.group_headers = False  # each row is its group's total already
    return out

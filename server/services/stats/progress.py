"""Progress per task, counted as of the period's end: drawn → inspected → reviewed → published, with the
inspections past their due date and those withdrawn (补抽 replaced them), one GROUP BY over the tasks."""
from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from server.models.followup import Publication
from server.models.inspections import Inspection
from server.services.stats import shapes
from server.services.stats.filters import TASK_TYPES, Filters
from server.services.stats.sql import INSPECTED_AT, bounds, local_month, scope

STAGES = {"drawn": "抽取", "inspected": "已检查", "reviewed": "已审核", "published": "已公示",
          "overdue": "超期未检查", "withdrawn": "已撤回"}
FUNNEL = ("drawn", "inspected", "reviewed", "published")


def stage_conditions(f: Filters) -> dict:
    """Each stage as a condition on an inspection (outer-joined to its publication), as of the period's end."""
    _, hi = bounds(f.start, f.end)
    active = and_(Inspection.status != "withdrawn", Inspection.created_at < hi)
    done = INSPECTED_AT < hi
    return {
        "drawn": active,
        "inspected": and_(active, done),
        "reviewed": and_(active, Inspection.approved_at < hi),
        "published": and_(active, Publication.first_published_at < hi),
        "overdue": and_(active, Inspection.due_date < f.as_of, or_(INSPECTED_AT.is_(None), ~done)),
        "withdrawn": and_(Inspection.status == "withdrawn", Inspection.created_at < hi),
    }


def per_task(session: Session, f: Filters) -> dict[int, dict]:
    """task id -> {stage: count, "cohort", "min_id", "max_id"} for the tasks in scope that have inspections.

    "published" comes from published_by_month; "cohort" counts the inspections done in the period."""
    conds = stage_conditions(f)
    lo, hi = bounds(f.start, f.end)
    cohort = and_(conds["inspected"], INSPECTED_AT >= lo)
    cols = [func.count(case((cond, 1))).label(name) for name, cond in conds.items() if name != "published"]
    stmt = (select(Inspection.task_id, *cols, func.count(case((cohort, 1))).label("cohort"),
                   func.min(Inspection.id).label("min_id"), func.max(Inspection.id).label("max_id"))
            .where(*scope(f)).group_by(Inspection.task_id))
    return {r.task_id: dict(r._mapping) for r in session.execute(stmt)}


def published_by_month(session: Session, f: Filters) -> dict[tuple[int, str], int]:
    """(task id, YYYY-MM) -> inspections first published that month, up to the period's end.

    A query of its own: driven from the inspections' task index and probing the publications' covering
    index, it is several times faster than outer-joining the publications into per_task."""
    conds = stage_conditions(f)
    month = local_month(session, Publication.first_published_at)
    stmt = (select(Inspection.task_id, month, func.count())
            .join(Publication, Publication.inspection_id == Inspection.id)
            .where(*scope(f), conds["published"]).group_by(Inspection.task_id, month))
    return {(t, m): n for t, m, n in session.execute(stmt)}


def id_range(counts: dict[int, dict]) -> tuple[int, int]:
    """The smallest and largest inspection id in scope, to bound the scans of answers and findings."""
    if not counts:
        return (0, -1)
    return (min(c["min_id"] for c in counts.values()), max(c["max_id"] for c in counts.values()))


def section(f: Filters, counts: dict[int, dict], published: dict[tuple[int, str], int]) -> dict:
    """The progress table (one row per task, and the total) and the funnel chart."""
    rows, totals = [], {k: 0 for k in STAGES}
    per_task_published: dict[int, int] = {}
    for (task_id, _), n in published.items():
        per_task_published[task_id] = per_task_published.get(task_id, 0) + n
    for task in f.tasks:
        c = {**counts.get(task.id, {}), "published": per_task_published.get(task.id, 0)}
        for k in STAGES:
            totals[k] += c.get(k, 0)
        rows.append([shapes.text(f"{task.code} {task.name}"), shapes.text(TASK_TYPES.get(task.task_type, task.task_type))]
                    + [shapes.num(c.get(k, 0), {"fig": "insp", "stage": k, "task": task.id}) for k in STAGES])
    total = [shapes.text("合计"), shapes.text("")] + [shapes.num(totals[k], {"fig": "insp", "stage": k})
                                                    for k in STAGES]
    table = shapes.table("progress", f"各任务进度（截至 {f.as_of.isoformat()}）", ["抽查任务", "类型", *STAGES.values()],
                         rows, total=total)
    funnel = shapes.chart("progress_funnel", "抽查进度", "bar", [STAGES[k] for k in FUNNEL] + [STAGES["overdue"]],
                          [{"name": "检查数", "data": [totals[k] for k in FUNNEL] + [totals["overdue"]]}],
                          table_key="progress")
    drawn = totals["drawn"]
    heads = [shapes.headline("抽取检查", shapes.num(drawn, {"fig": "insp", "stage": "drawn"})),
             shapes.headline("完成检查", shapes.num(totals["inspected"], {"fig": "insp", "stage": "inspected"})),
             shapes.headline("检查完成率", shapes.pct(totals["inspected"], drawn)),
             shapes.headline("超期未检查", shapes.num(totals["overdue"], {"fig": "insp", "stage": "overdue"}),
                             ("warn", "请督促") if totals["overdue"] else None)]
    return shapes.section("progress", "一、任务进度", headline=heads, tables=[table], charts=[funnel],
                          note="“抽取”不含已撤回的检查；退回后重新提交的检查只计一次。")

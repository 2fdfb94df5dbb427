"""Progress per task as it stands today: drawn → inspected → reviewed → published, with the
inspections past their due date and those withdrawn (补抽 replaced them): one GROUP BY over the task
index, and one over the publications (which also gives the publication buckets and the monthly count)."""
from __future__ import annotations

from sqlalchemy import DateTime, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from server.models.followup import Publication
from server.models.inspections import Inspection
from server.services.followup import publication
from server.services.kernel.workdays import earliest_start_not_overdue, local_midnight_utc, today
from server.services.stats import shapes
from server.services.stats.filters import TASK_TYPES, Filters
from server.services.stats.sql import DONE_AT, dialect, done_in_period, scope, text_of, value_of

STAGES = {"drawn": "抽取", "inspected": "已完成检查", "reviewed": "已审核", "published": "已公示",
          "overdue": "超期未完成", "withdrawn": "已撤回"}
FUNNEL = ("drawn", "inspected", "reviewed", "published")


def stage_conditions(f: Filters) -> dict:
    """Each stage as a condition on an inspection (joined to its publication for "published"), as it stands
    today; the drill-down lists use the same conditions."""
    active = Inspection.status != "withdrawn"
    return {
        "drawn": active,
        "inspected": and_(active, DONE_AT.is_not(None)),
        "reviewed": and_(active, Inspection.approved_at.is_not(None)),
        "published": and_(active, Publication.first_published_at.is_not(None)),
        "overdue": and_(active, Inspection.due_date < today(), DONE_AT.is_(None)),
        "withdrawn": Inspection.status == "withdrawn",
    }


def overdue_before():
    """Done before this instant and not yet published: past the 20-working-day deadline today."""
    return local_midnight_utc(earliest_start_not_overdue(today(), publication.PUBLISH_WORKING_DAYS))


def per_task(session: Session, f: Filters) -> dict[int, dict]:
    """task id -> {stage: count, "cohort", "cohort_due", "min_id", "max_id"} for the tasks in scope.

    One streaming GROUP BY (task, status) over ix_inspections_stats_task; the status is a group key, so
    each row costs two conditional counts. "published" comes from publications(); "cohort" counts the
    inspections done in the period and "cohort_due" those of them whose publication deadline has passed."""
    in_period = and_(*done_in_period(f, session)[1:])
    done, due_date = text_of(session, DONE_AT), text_of(session, Inspection.due_date)
    stmt = (select(Inspection.task_id, Inspection.status, func.count().label("n"), func.count(DONE_AT).label("done"),
                   func.count(Inspection.approved_at).label("reviewed"),
                   func.count(case((and_(due_date < value_of(session, today()), DONE_AT.is_(None)), 1)))
                   .label("overdue"),
                   func.count(case((in_period, 1))).label("cohort"),
                   func.count(case((and_(in_period, done < value_of(session, overdue_before())), 1)))
                   .label("cohort_due"),
                   func.min(Inspection.id).label("min_id"), func.max(Inspection.id).label("max_id"))
            .where(*scope(f)).group_by(Inspection.task_id, Inspection.status))
    out: dict[int, dict] = {}
    for r in session.execute(stmt):
        c = out.setdefault(r.task_id, {"drawn": 0, "inspected": 0, "reviewed": 0, "overdue": 0, "withdrawn": 0,
                                       "cohort": 0, "cohort_due": 0, "min_id": r.min_id, "max_id": r.max_id})
        c["min_id"], c["max_id"] = min(c["min_id"], r.min_id), max(c["max_id"], r.max_id)
        if r.status == "withdrawn":
            c["withdrawn"] += r.n
            continue
        for key, value in (("drawn", r.n), ("inspected", r.done), ("reviewed", r.reviewed), ("overdue", r.overdue),
                           ("cohort", r.cohort), ("cohort_due", r.cohort_due)):
            c[key] += value
    return out


def publications(session: Session, f: Filters) -> dict[int, dict]:
    """task id -> {"published", "on_time", "late", "declined", "handled_due"} from one streaming GROUP BY:
    the inspections in scope (in task order) joined to their publication records.

    on_time / late / declined count the period's done inspections by outcome (first published by the
    deadline or after it, or a recorded reason not to publish); handled_due those of them whose deadline
    has passed, so that what remains of the due ones is the overdue."""
    cohort = and_(*done_in_period(f, session))
    published = Publication.first_published_at.is_not(None)
    declined = Publication.status == "not_published"
    due = text_of(session, DONE_AT) < value_of(session, overdue_before())
    count = lambda *conds: func.count(case((and_(*conds), 1)))  # noqa: E731
    stmt = (select(Inspection.task_id, func.count(Publication.first_published_at).label("published"),
                   count(cohort, published).label("cohort_published"),
                   count(cohort, published, published_by_due(session)).label("on_time"),
                   count(cohort, ~published, declined).label("declined"),
                   count(cohort, or_(published, declined), due).label("handled_due"))
            .join(Publication, and_(Publication.inspection_id == Inspection.id, Publication.department_id.is_(None)))
            .where(*scope(f), Inspection.status != "withdrawn").group_by(Inspection.task_id))
    out = {r.task_id: dict(r._mapping) for r in session.execute(stmt)}
    for row in out.values():
        row["late"] = row.pop("cohort_published") - row["on_time"]
    return out


def published_by_due(session: Session):
    """First published on or before its due day (Beijing): before the midnight that ends Publication.due_on.

    Compared with the due day's end as stored (text on SQLite), not with the Beijing date of the publishing
    time, which would cost a date function per row."""
    if dialect(session) == "sqlite":
        return text_of(session, Publication.first_published_at) < cast(Publication.due_on, String) + " 16:00:00"
    return Publication.first_published_at < func.timezone("Asia/Shanghai", cast(Publication.due_on + 1, DateTime))


def id_range(counts: dict[int, dict]) -> tuple[int, int]:
    """The smallest and largest inspection id in scope, to bound the scans of answers and findings."""
    if not counts:
        return (0, -1)
    return (min(c["min_id"] for c in counts.values()), max(c["max_id"] for c in counts.values()))


def section(f: Filters, counts: dict[int, dict], pubs: dict[int, dict]) -> dict:
    """The progress table (one row per task, and the total) and the funnel chart."""
    rows, totals = [], {k: 0 for k in STAGES}
    for task in f.tasks:
        c = {**counts.get(task.id, {}), "published": pubs.get(task.id, {}).get("published", 0)}
        for k in STAGES:
            totals[k] += c.get(k, 0)
        rows.append([shapes.text(f"{task.code} {task.name}"), shapes.text(TASK_TYPES.get(task.task_type, task.task_type))]
                    + [shapes.num(c.get(k, 0), {"fig": "insp", "stage": k, "task": task.id}) for k in STAGES])
    total = [shapes.text("合计"), shapes.text("")] + [shapes.num(totals[k], {"fig": "insp", "stage": k})
                                                    for k in STAGES]
    table = shapes.table("progress", f"各任务进度（截至 {today().isoformat()}）", ["抽查任务", "类型", *STAGES.values()],
                         rows, total=total)
    funnel = shapes.chart("progress_funnel", "抽查进度", "bar", [STAGES[k] for k in FUNNEL] + [STAGES["overdue"]],
                          [{"name": "检查数", "data": [totals[k] for k in FUNNEL] + [totals["overdue"]]}],
                          table_key="progress")
    drawn = totals["drawn"]
    heads = [shapes.headline("抽取检查", shapes.num(drawn, {"fig": "insp", "stage": "drawn"})),
             shapes.headline("完成检查", shapes.num(totals["inspected"], {"fig": "insp", "stage": "inspected"})),
             shapes.headline("检查完成率", shapes.pct(totals["inspected"], drawn)),
             shapes.headline("超期未完成检查", shapes.num(totals["overdue"], {"fig": "insp", "stage": "overdue"}),
                             ("warn", "请督促") if totals["overdue"] else None)]
    return shapes.section("progress", "一、任务进度", headline=heads, tables=[table], charts=[funnel],
                          note="“抽取”不含已撤回的检查；退回后重新提交的检查只计一次。")

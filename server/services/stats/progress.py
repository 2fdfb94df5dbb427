"""Progress per task as it stands today: drawn → inspected → reviewed → published, with the
inspections past their due date and those withdrawn (补抽 replaced them). The counts come from the rollup
(services/stats/periods.py); the conditions here are what the drill-down lists select."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, and_, cast, func
from sqlalchemy.orm import Session

from server.models.followup import Publication
from server.models.inspections import Inspection
from server.services.followup import publication
from server.services.kernel.workdays import earliest_start_not_overdue, local_midnight_utc, today
from server.services.stats import shapes
from server.services.stats.filters import TASK_TYPES, Filters
from server.services.stats.sql import DONE_AT, dialect, text_of

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


def deadline_day() -> dt.date:
    """The earliest completion day whose 20-working-day publication deadline has not passed today."""
    return earliest_start_not_overdue(today(), publication.PUBLISH_WORKING_DAYS)


def overdue_before():
    """Done before this instant and not yet published: past the 20-working-day deadline today."""
    return local_midnight_utc(deadline_day())


def published_by_due(session: Session):
    """First published on or before its due day (Beijing): before the midnight that ends Publication.due_on.

    Compared with the due day's end as stored (text on SQLite), not with the Beijing date of the publishing
    time, which would cost a date function per row."""
    if dialect(session) == "sqlite":
        return text_of(session, Publication.first_published_at) < cast(Publication.due_on, String) + " 16:00:00"
    return Publication.first_published_at < func.timezone("Asia/Shanghai", cast(Publication.due_on + 1, DateTime))


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

"""The board's inspection records: overdue (period ended, not handed in) and results entered late."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Target
from server.models.types import UTCDateTime
from server.services.kernel.workdays import LOCAL_TZ, local_date, local_text
from server.services.oversight.grouping import Context, Row, Section, fill, with_group
from server.services.oversight.progress import OPEN
from sync.messages import STATUS_LABELS

ENTERED = ("pending_evidence", "submitted", "returned", "approved")


def overdue_condition(on: dt.date):
    """逾期: the inspection's deadline has passed and its group has not handed it in."""
    return Inspection.status.in_(OPEN) & (Inspection.due_date < on)


def _keys(*conditions, extra=()):
    """Only columns the statistics' covering index holds, so counting and sorting read no table row."""
    stmt = select(Inspection.id, Inspection.due_date, Inspection.status, *extra).where(*conditions)
    return lambda group: with_group(stmt, "id", group)


def _details(page):
    return (select(page, Task.code, Target.name, Target.uscc).join(Inspection, Inspection.id == page.c.id)
            .join(Task, Task.id == Inspection.task_id).join(Target, Target.id == Inspection.target_id))


def _link(r) -> tuple[str, dict]:
    return "office.inspection_detail", {"inspection_id": r.id}


def overdue_section(ctx: Context) -> Section:
    section = Section("overdue", "逾期未提交的检查", "任务期限已过，检查组仍未提交结果（含退回后未重新提交）。",
                      ["检查对象", "统一社会信用代码", "任务", "期限", "逾期天数", "状态"])
    return fill(ctx, section, _keys(overdue_condition(ctx.on)), ["due_date", "id"], _details, lambda r: Row(
        [r.name, r.uscc, r.code, r.due_date, (ctx.on - r.due_date).days, STATUS_LABELS.get(r.status, r.status)],
        _link(r)))


class day_end_utc(FunctionElement):
    """SQL: the UTC instant a 北京时间 date ends (the next day's 00:00 in Asia/Shanghai, which has no DST)."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(day_end_utc, "sqlite")
def _day_end_sqlite(element, compiler, **kw):
    # dates are stored as 'YYYY-MM-DD', timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: 00:00 UTC+8 of the
    # next day is 16:00 UTC of this one, and the two texts compare in time order
    return f"datetime({compiler.process(element.clauses, **kw)}, '+16 hours')"


@compiles(day_end_utc, "postgresql")
def _day_end_postgresql(element, compiler, **kw):
    return f"((({compiler.process(element.clauses, **kw)}) + 1)::timestamp AT TIME ZONE '{LOCAL_TZ.key}')"


def late_entry_section(ctx: Context) -> Section:
    """Results handed in after the end (北京时间) of the inspection's deadline day, compared row by row in SQL."""
    section = Section("late_entry", "结果录入超期", "检查结果在检查期限之后才提交（按首次提交时间计）。",
                      ["检查对象", "统一社会信用代码", "任务", "期限", "首次提交", "超期天数", "状态"])
    # Two disjoint parts: a first completion on record (read from the statistics' covering index), or none yet —
    # handed in with evidence still coming, the only state without one — by the submission time (status index).
    completed = _keys(Inspection.status.in_(ENTERED), Inspection.first_completed_at.is_not(None),
                      Inspection.first_completed_at >= day_end_utc(Inspection.due_date),
                      extra=[Inspection.first_completed_at.label("entered")])
    pending = _keys(Inspection.status == "pending_evidence", Inspection.first_completed_at.is_(None),
                    Inspection.submitted_at >= day_end_utc(Inspection.due_date),
                    extra=[Inspection.submitted_at.label("entered")])

    def row(r):
        entered = r.entered if r.entered.tzinfo else r.entered.replace(tzinfo=dt.timezone.utc)
        return Row([r.name, r.uscc, r.code, r.due_date, local_text(entered),
                    (local_date(entered) - r.due_date).days, STATUS_LABELS.get(r.status, r.status)], _link(r))
    for keys in (completed, pending):
        fill(ctx, section, keys, ["due_date", "id"], _details, row)
    return section

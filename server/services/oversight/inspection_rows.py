"""The board's inspection records: overdue (period ended, not handed in) and results entered late."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, literal, select

from server.models.inspections import Inspection
from server.models.types import UTCDateTime
from server.models.planning import Task
from server.models.registry import Target
from server.services.kernel.workdays import local_date, local_midnight_utc, local_text
from server.services.oversight.grouping import Context, Row, Section, fill, with_group
from server.services.oversight.progress import OPEN
from sync.messages import STATUS_LABELS

ENTERED = ("pending_evidence", "submitted", "returned", "approved")


def overdue_condition(on: dt.date):
    """逾期: the inspection's deadline has passed and its group has not handed it in."""
    return Inspection.status.in_(OPEN) & (Inspection.due_date < on)


def _base(*columns):
    return (select(Inspection.id, Task.code, Target.name, Target.uscc, Inspection.due_date, Inspection.status,
                   *columns)
            .join(Task, Task.id == Inspection.task_id).join(Target, Target.id == Inspection.target_id))


def _link(r) -> tuple[str, dict]:
    return "office.inspection_detail", {"inspection_id": r.id}


def overdue_section(ctx: Context) -> Section:
    section = Section("overdue", "逾期未提交的检查", "任务期限已过，检查组仍未提交结果（含退回后未重新提交）。",
                      ["检查对象", "统一社会信用代码", "任务", "期限", "逾期天数", "状态"])
    stmt = with_group(_base().where(overdue_condition(ctx.on)), Inspection.id, ctx.group)
    return fill(ctx, section, stmt, "id", [Inspection.due_date, Inspection.id], lambda r: Row(
        [r.name, r.uscc, r.code, r.due_date, (ctx.on - r.due_date).days, STATUS_LABELS.get(r.status, r.status)],
        _link(r)))


def entered_at():
    """When the group first handed the result in (a return and resubmission do not move it)."""
    return func.coalesce(Inspection.first_completed_at, Inspection.submitted_at)


def late_entry_section(ctx: Context) -> Section:
    """Results handed in after the inspection's deadline: the deadline's end (北京时间) per distinct deadline,
    compared in SQL (a CASE over the few deadlines there are: one or two per task)."""
    section = Section("late_entry", "结果录入超期", "检查结果在检查期限之后才提交（按首次提交时间计）。",
                      ["检查对象", "统一社会信用代码", "任务", "期限", "首次提交", "超期天数", "状态"])
    days = [d for d in ctx.session.scalars(select(Inspection.due_date).where(
        Inspection.status.in_(ENTERED), Inspection.due_date.is_not(None)).distinct()) if d]
    if not days:
        return section
    deadline = case(*[(Inspection.due_date == d, literal(local_midnight_utc(d + dt.timedelta(days=1)), UTCDateTime)) for d in days])
    stmt = _base(entered_at().label("entered")).where(Inspection.status.in_(ENTERED), entered_at() >= deadline)
    stmt = with_group(stmt, Inspection.id, ctx.group)

    def row(r):
        entered = r.entered if r.entered.tzinfo else r.entered.replace(tzinfo=dt.timezone.utc)
        return Row([r.name, r.uscc, r.code, r.due_date, local_text(entered),
                    (local_date(entered) - r.due_date).days, STATUS_LABELS.get(r.status, r.status)], _link(r))
    return fill(ctx, section, stmt, "id", [Inspection.due_date, Inspection.id], row)

"""The office's list of inspections and their field work: filtered, searched, one page at a time."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.models.fieldwork import LateEvidence
from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Target
from server.services.kernel.paging import PER_PAGE, Page, paginate
from server.services.kernel.permissions import department_scope, task_condition
from server.services.kernel.workdays import today
from sync.messages import STATUS_LABELS

OVERDUE = "overdue"  # not a state: the deadline has passed and the group has not handed the result in
OPEN_STATUSES = ("assigned", "in_progress", "returned")
FILTER_LABELS = {**STATUS_LABELS, OVERDUE: "逾期（期限已过未提交）"}


def list_inspections(session: Session, actor, *, status: str | None = None, conflicts: bool = False,
                     text: str = "", page: Any = 1, per_page: int = PER_PAGE) -> tuple[Page, dict[int, int]]:
    """One page of inspections, last changed first, and how many late-evidence items each has.

    `status` narrows to one state (ignored unless it is one) or to the overdue ones ("overdue"), `conflicts` to those whose group's answers
    disagree, and `text` searches the target's name and credit code and the task's code."""
    department_scope(actor)  # staff see all; a department's staff the inspections of its tasks
    q = (select(Inspection).join(Target, Inspection.target_id == Target.id).join(Task, Inspection.task_id == Task.id)
         .where(task_condition(session, actor, Inspection.task_id)))
    if status in STATUS_LABELS:
        q = q.where(Inspection.status == status)
    elif status == OVERDUE:
        q = q.where(Inspection.status.in_(OPEN_STATUSES), Inspection.due_date < today())
    if conflicts:
        q = q.where(Inspection.has_conflicts.is_(True))
    if text := (text or "").strip():
        like = f"%{text}%"
        q = q.where(or_(Target.name.like(like), Target.uscc.like(like), Task.code.like(like)))
    result = paginate(session, q.order_by(Inspection.changed_at.desc(), Inspection.id.desc()), page, per_page)
    late = dict(session.execute(select(LateEvidence.inspection_id, func.count()).where(
        LateEvidence.inspection_id.in_([i.id for i in result.items])).group_by(LateEvidence.inspection_id)).all())
    return result, late

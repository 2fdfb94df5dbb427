"""What the office's document pages list: tasks with printable documents and their inspections.

An inspector sees only the inspections of their own groups; staff see everything.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import PermissionDenied
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Task
from server.services.kernel.paging import PER_PAGE, Page, get_or_raise, page_of, paginate
from server.services.kernel.permissions import STAFF, require_role


def visible(query, actor):
    """Restrict an Inspection query to the actor's groups when the actor is an inspector."""
    if actor.role == "inspector":
        query = query.where(Inspection.id.in_(select(InspectionMember.inspection_id).where(
            InspectionMember.inspector_id == actor.inspector_id, InspectionMember.active.is_(True))))
    return query


def tasks_with_documents(session: Session, actor, *, page=1, per_page: int = PER_PAGE) -> Page:
    """One page of the tasks with an inspection the actor may see, newest first, with counts by status."""
    require_role(actor, *STAFF, "inspector")
    counts = visible(select(Inspection.task_id, Inspection.status, func.count(Inspection.id))
                     .where(Inspection.status != "withdrawn")
                     .group_by(Inspection.task_id, Inspection.status), actor)
    by_task: dict[int, dict[str, int]] = {}
    for task_id, status, n in session.execute(counts):
        by_task.setdefault(task_id, {})[status] = n
    if not by_task:
        return page_of([], page, per_page)
    tasks = paginate(session, select(Task).where(Task.id.in_(list(by_task)))
                     .order_by(Task.period_start.desc(), Task.id.desc()), page, per_page, total=len(by_task))
    rows = [{"task": t, "total": sum(by_task[t.id].values()),
             "done": by_task[t.id].get("submitted", 0) + by_task[t.id].get("approved", 0),
             "approved": by_task[t.id].get("approved", 0)} for t in tasks.items]
    return dataclasses.replace(tasks, items=rows)


def task_inspections(session: Session, actor, task_id: int) -> tuple[Task, list[Inspection]]:
    """A task and the inspections in it the actor may see, in draw order."""
    require_role(actor, *STAFF, "inspector")
    task = get_or_raise(session, Task, task_id, "找不到该抽查任务")
    inspections = session.scalars(visible(select(Inspection).where(
        Inspection.task_id == task_id, Inspection.status != "withdrawn"), actor).order_by(Inspection.id)).all()
    if actor.role == "inspector" and not inspections:
        raise PermissionDenied("您不是该任务任何检查组的成员，无权查看其文书")
    return task, list(inspections)

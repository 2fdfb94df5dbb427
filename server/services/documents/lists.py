"""What the office's document pages list: tasks with printable documents and their inspections.

An inspector sees only the inspections of their own groups; staff see everything.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import NotFound, PermissionDenied
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Task
from server.services.kernel.permissions import STAFF, require_role


def visible(query, actor):
    """Restrict an Inspection query to the actor's groups when the actor is an inspector."""
    if actor.role == "inspector":
        query = query.where(Inspection.id.in_(select(InspectionMember.inspection_id).where(
            InspectionMember.inspector_id == actor.inspector_id, InspectionMember.active.is_(True))))
    return query


def tasks_with_documents(session: Session, actor, *, page: int = 1, per_page: int = 50) -> tuple[list[dict], int]:
    """Tasks with at least one inspection the actor may see, newest first, with counts by status."""
    require_role(actor, *STAFF, "inspector")
    counts = visible(select(Inspection.task_id, Inspection.status, func.count(Inspection.id))
                     .where(Inspection.status != "withdrawn")
                     .group_by(Inspection.task_id, Inspection.status), actor)
    by_task: dict[int, dict[str, int]] = {}
    for task_id, status, n in session.execute(counts):
        by_task.setdefault(task_id, {})[status] = n
    if not by_task:
        return [], 0
    ids = list(by_task)
    tasks = session.scalars(select(Task).where(Task.id.in_(ids))
                            .order_by(Task.period_start.desc(), Task.id.desc())
                            .offset((page - 1) * per_page).limit(per_page)).all()
    rows = [{"task": t, "total": sum(by_task[t.id].values()),
             "done": by_task[t.id].get("submitted", 0) + by_task[t.id].get("approved", 0),
             "approved": by_task[t.id].get("approved", 0)} for t in tasks]
    return rows, len(ids)


def task_inspections(session: Session, actor, task_id: int) -> tuple[Task, list[Inspection]]:
    """A task and the inspections in it the actor may see, in draw order."""
    require_role(actor, *STAFF, "inspector")
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("找不到该抽查任务")
    inspections = session.scalars(visible(select(Inspection).where(
        Inspection.task_id == task_id, Inspection.status != "withdrawn"), actor).order_by(Inspection.id)).all()
    if actor.role == "inspector" and not inspections:
        raise PermissionDenied("您不是该任务任何检查组的成员，无权查看其文书")
    return task, list(inspections)

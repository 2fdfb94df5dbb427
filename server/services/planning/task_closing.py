"""Closing a task (结束任务) once its work is done: every inspection approved or withdrawn, no
supplementary draw open, every approved result published or declined with a reason (一公开).

A closed task can have no further draw, so its main draw's server seed is public at once
(tasks.seed_revealed). The task row is locked while closing, and request_supplementary locks it too,
so a request cannot slip in between the checks and the close.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.followup import Publication
from server.models.inspections import Inspection
from server.models.planning import DrawRequest, Task
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role
from server.services.kernel.workdays import local_text

CLOSERS = ("admin", "office")  # the roles that publish tasks
DONE_INSPECTIONS = ("approved", "withdrawn")
DONE_PUBLICATIONS = ("published", "withdrawn", "not_published")
MAX_NOTE = 500


def lock_task(session: Session, task_id: int) -> Task:
    """The task, its row locked for this transaction (FOR UPDATE on PostgreSQL) and freshly read."""
    return get_or_raise(session, Task, task_id, "抽查任务不存在", with_for_update=True, populate_existing=True)


def _inspection_counts(session: Session, task: Task) -> dict[str, int]:
    return dict(session.execute(select(Inspection.status, func.count(Inspection.id))
                                .where(Inspection.task_id == task.id).group_by(Inspection.status)).all())


def _publication_counts(session: Session, task: Task) -> dict[str, int]:
    """Publication states of the task's approved inspections; "missing" counts those without a record."""
    rows = session.execute(select(Publication.status, func.count(Inspection.id))
                           .select_from(Inspection).outerjoin(Publication, Publication.inspection_id == Inspection.id)
                           .where(Inspection.task_id == task.id, Inspection.status == "approved")
                           .group_by(Publication.status)).all()
    return {(status or "missing"): n for status, n in rows}


def _request_counts(session: Session, task: Task) -> dict[str, int]:
    return dict(session.execute(select(DrawRequest.status, func.count(DrawRequest.id))
                                .where(DrawRequest.task_id == task.id, DrawRequest.kind != "department")
                                .group_by(DrawRequest.status)).all())


def progress(session: Session, task: Task) -> dict:
    """What is done and what still blocks closing the task, counted; `blockers` is empty when it can close."""
    insp, pubs, reqs = _inspection_counts(session, task), _publication_counts(session, task), \
        _request_counts(session, task)
    unfinished = sum(n for s, n in insp.items() if s not in DONE_INSPECTIONS)
    unpublished = sum(n for s, n in pubs.items() if s not in DONE_PUBLICATIONS)
    blockers = []
    if unfinished:
        blockers.append({"key": "inspections", "count": unfinished, "text": f"{unfinished} 项检查未审核通过",
                         "submitted": insp.get("submitted", 0)})
    if reqs.get("pending"):
        blockers.append({"key": "requests_pending", "count": reqs["pending"],
                         "text": f"{reqs['pending']} 项补抽、递补或补派申请待领导审批"})
    if reqs.get("approved"):
        blockers.append({"key": "requests_approved", "count": reqs["approved"],
                         "text": f"{reqs['approved']} 项补抽、递补或补派已批准待抽取"})
    waiting = session.scalar(select(func.count(DrawRequest.id)).where(
        DrawRequest.task_id == task.id, DrawRequest.kind == "department", DrawRequest.status == "approved"))
    if waiting:  # 联合抽查: planning.department_draws
        blockers.append({"key": "joint", "count": waiting, "text": f"{waiting} 个配合部门尚未抽取本部门人员"})
    if unpublished:
        blockers.append({"key": "publications", "count": unpublished, "text": f"{unpublished} 项结果未公示",
                         "missing": pubs.get("missing", 0), "draft": pubs.get("draft", 0),
                         "pending": pubs.get("pending", 0)})
    counts = {"inspections": sum(insp.values()), "approved": insp.get("approved", 0),
              "withdrawn": insp.get("withdrawn", 0), "published": pubs.get("published", 0),
              "publications_withdrawn": pubs.get("withdrawn", 0), "not_published": pubs.get("not_published", 0),
              "supplementary_drawn": reqs.get("drawn", 0), "supplementary_rejected": reqs.get("rejected", 0)}
    return {"blockers": blockers, "counts": counts}


def blocked_message(blockers: list[dict]) -> str:
    """The refusal the clerk reads: what is still open and how many."""
    return f"还有 {'、'.join(b['text'] for b in blockers)}，不能结束任务"


def close_task(session: Session, actor, task_id: int, *, note: str = "") -> Task:
    """Close a drawn task whose work is done; its seed becomes public and no further draw is possible."""
    require_role(actor, *CLOSERS)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(f"说明不能超过 {MAX_NOTE} 个字符", errors={"note": "过长"})
    task = lock_task(session, task_id)
    if task.status == "closed":
        raise Conflict(f"该任务已于 {local_text(task.closed_at)} 结束，不能重复结束")
    if task.status != "drawn":
        raise Conflict("任务尚未抽取，不能结束任务")
    state = progress(session, task)
    if state["blockers"]:
        raise Conflict(blocked_message(state["blockers"]))
    task.status, task.closed_at, task.closed_by_id = "closed", utcnow(), actor.id
    session.flush()
    audit.record(session, actor, "task.close", task, detail={"code": task.code, **state["counts"]}, reason=note)
    return task

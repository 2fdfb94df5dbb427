"""What 补抽, 递补 and 补派 requests share: the request with its own committed server seed and the leader's
approval, the decision handlers, and the sealed inputs a supplementary draw is made from."""
from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from server.models.approvals import Approval
from server.models.planning import Draw, DrawRequest, Task
from server.services.draw import assignment, v2 as draw_v2
from server.services.kernel import approvals, audit
from server.services.planning import seals
from server.services.planning.draws import eligible_pool

CLOSED_MESSAGE = "该任务已结束，不能再补抽、递补或补派；如需再次检查，请新建抽查任务"
REQUEST_STATUSES = {"pending": "待领导审批", "approved": "已批准，待抽取", "rejected": "未获批准", "drawn": "已抽取"}


def create_request(session: Session, actor, task: Task, *, kind: str, reason: str, title: str,
                   inspection_id: int | None = None, member_id: int | None = None,
                   target_uscc: str | None = None) -> DrawRequest:
    """A supplementary request with its own server seed, committed now, and the leader's approval asked."""
    seed = secrets.token_bytes(32)
    request = DrawRequest(task_id=task.id, kind=kind, inspection_id=inspection_id, member_id=member_id,
                          target_uscc=target_uscc, reason=reason.strip(), server_seed_hex=seed.hex(),
                          commitment=draw_v2.commitment(seed), requested_by_id=actor.id)
    session.add(request)
    session.flush()
    approval = approvals.request(session, actor, kind=f"draw_{kind}", obj=request, title=title, reason=reason,
                                 payload={"inspection_id": inspection_id, "member_id": member_id,
                                          "target_uscc": target_uscc, "task_id": task.id})
    request.approval_id = approval.id
    audit.record(session, actor, "draw.request", request, detail={"kind": kind, "task": task.code,
                                                                  "commitment": request.commitment}, reason=reason)
    return request


def _on_decided(status: str):
    def handler(session: Session, actor, approval: Approval) -> None:
        request = session.get(DrawRequest, int(approval.object_id))
        request.status = status
        audit.record(session, actor, f"draw.request_{status}", request, detail={"kind": request.kind},
                     reason=approval.decision_note)
    return handler


on_approved, on_rejected = _on_decided("approved"), _on_decided("rejected")


def stratum_of(parent: Draw, uscc: str, fallback: str | None) -> str:
    """The stratum a target was drawn in."""
    for s in parent.record.get("selections", []):
        if s["uscc"] == uscc:
            return s["stratum"]
    return fallback or "general"


def pool_inputs(session: Session, task: Task, departments, usccs: list[str], exclude: set[int] = frozenset()) -> dict:
    """The sealed pool and recusals for a supplementary draw over these targets."""
    pool, pool_record = eligible_pool(session, task, departments, exclude)
    return {"inspectors": pool_record,
            "recusals": seals.sealed_recusals(assignment.recusal_entries(session, pool, usccs))}

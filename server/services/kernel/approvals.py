"""Leader approvals: areas request them and register what happens on a decision.

Each area lists its kinds in an `APPROVAL_KINDS` list of (kind, label, on_approved, on_rejected);
`create_app` registers them all through `register_kinds`, and the area calls `request(...)` when
something needs a leader. `decide(...)` checks that the decider is a leader, is not the requester, and
then runs the area's handler in the same transaction, so the decision and its effect commit together or
not at all. Separation of duties: the system administrator manages accounts and does not decide; an
installation may let admins decide as well (`configure(admin_decides=True)`, APPROVALS_ADMIN_DECIDES).
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.approvals import Approval
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import STAFF, require_role

Handler = Callable[[Session, object, Approval], None]
_HANDLERS: dict[str, tuple[Handler | None, Handler | None]] = {}

KIND_LABELS: dict[str, str] = {}
_DECIDERS = ["leader"]


def configure(*, admin_decides: bool = False) -> None:
    """Who decides approvals: leaders only (the default), or leaders and admins."""
    _DECIDERS[:] = ["leader", "admin"] if admin_decides else ["leader"]


def deciders() -> tuple[str, ...]:
    """The roles that may decide approvals."""
    return tuple(_DECIDERS)


def may_decide(actor) -> bool:
    """Whether `actor` may decide approvals at all (the pages show the decision forms only then)."""
    return actor is not None and actor.is_active and actor.role in _DECIDERS


def register(kind: str, label: str, on_approved: Handler | None, on_rejected: Handler | None = None) -> None:
    """Declare an approval kind, its 中文 label, and what a decision does."""
    _HANDLERS[kind] = (on_approved, on_rejected)
    KIND_LABELS[kind] = label


def register_kinds(kinds) -> None:
    """Declare every (kind, label, on_approved, on_rejected) of the areas' APPROVAL_KINDS lists."""
    for kind, label, on_approved, on_rejected in kinds:
        register(kind, label, on_approved, on_rejected)


def request(session: Session, actor, *, kind: str, obj, title: str, reason: str,
            payload: dict | None = None) -> Approval:
    """Ask for a leader's approval; refuses a second pending request for the same object and kind."""
    require_role(actor, *STAFF)
    if kind not in _HANDLERS:
        raise ValidationError(f"未知的审批类型：{kind}")
    if not (reason or "").strip():
        raise ValidationError("请填写申请理由", errors={"reason": "必填"})
    object_type, object_id = type(obj).__tablename__, str(obj.id)
    pending = session.scalar(select(Approval.id).where(
        Approval.kind == kind, Approval.object_type == object_type, Approval.object_id == object_id,
        Approval.status == "pending"))
    if pending:
        raise Conflict("该事项已有待审批的申请，请等待领导审批")
    approval = Approval(kind=kind, object_type=object_type, object_id=object_id, title=title,
                        payload=payload or {}, reason=reason.strip(), requested_by_id=actor.id)
    session.add(approval)
    session.flush()
    audit.record(session, actor, "approval.request", approval, detail={"kind": kind, "title": title},
                 reason=reason)
    return approval


def decide(session: Session, actor, approval_id: int, *, approve: bool, note: str = "") -> Approval:
    """A leader approves or rejects; a refusal needs a note (its reasons are kept on record)."""
    if actor is not None and actor.is_active and actor.role == "admin" and not may_decide(actor):
        raise PermissionDenied("审批须由领导作出：系统管理员不审批业务事项（职责分离）")
    require_role(actor, *_DECIDERS)
    approval = get_or_raise(session, Approval, approval_id, "审批事项不存在")
    if approval.status != "pending":
        raise Conflict("该事项已审批，不能重复审批")
    if approval.requested_by_id == actor.id:
        raise PermissionDenied("不能审批自己提交的申请")
    if not approve and not (note or "").strip():
        raise ValidationError("不批准时请填写理由", errors={"note": "必填"})
    approval.status = "approved" if approve else "rejected"
    approval.decided_by_id = actor.id
    approval.decided_at = utcnow()
    approval.decision_note = (note or "").strip()
    on_approved, on_rejected = _HANDLERS.get(approval.kind, (None, None))
    handler = on_approved if approve else on_rejected
    if handler is not None:
        handler(session, actor, approval)
    session.flush()
    audit.record(session, actor, "approval.approve" if approve else "approval.reject", approval,
                 detail={"kind": approval.kind, "object": f"{approval.object_type}:{approval.object_id}"},
                 reason=approval.decision_note)
    return approval


def pending(session: Session, actor) -> list[Approval]:
    require_role(actor, "leader", "admin", "office")
    return list(session.scalars(select(Approval).where(Approval.status == "pending")
                                .order_by(Approval.requested_at)))


def decided(session: Session, actor, limit: int = 30) -> list[Approval]:
    """The latest decided approvals of every kind, newest decision first."""
    require_role(actor, "leader", "admin", "office")
    return list(session.scalars(select(Approval).where(Approval.status != "pending")
                                .order_by(Approval.decided_at.desc(), Approval.id.desc()).limit(limit)))

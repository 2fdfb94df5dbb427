"""The plumbing every referral step shares, administrative or criminal: load the referral, check its
status and the text the step needs, read when the step happened, record it as an event and start
(or stop) the clock of the next step.

referrals.py and referrals_criminal.py both build their steps from these; neither imports the other
for them.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.followup import Referral, ReferralEvent
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_staff
from server.services.kernel.workdays import parse_moment

ADMIN_STATUSES = {"draft": "待发送", "sent": "已移送，待对方签收", "acknowledged": "对方已签收，待反馈",
                  "feedback": "已收到反馈，待办结", "closed": "已办结", "cancelled": "已撤销"}
CRIMINAL_STATUSES = {"draft": "专案组核实中", "reported": "待负责人审批", "approved": "已批准，待移送公安机关",
                     "refused": "负责人不批准移送", "transferred": "已移送，待公安机关签收",
                     "received": "公安机关已签收，待审查决定", "filed": "公安机关已立案，待移交涉案物品",
                     "not_filed": "公安机关不予立案", "reconsidering": "已提请复议，待复议决定", "closed": "已办结"}
DONE = ("closed", "refused", "cancelled")
STOP = ("", None)  # the `due` of a step after which no clock runs


def status_label(referral: Referral) -> str:
    labels = CRIMINAL_STATUSES if referral.kind == "criminal" else ADMIN_STATUSES
    return labels.get(referral.status, referral.status)


def get(session: Session, actor, referral_id: int) -> Referral:
    require_staff(actor)
    return get_or_raise(session, Referral, referral_id, "移送记录不存在")


def require_status(referral: Referral, *allowed: str, doing: str) -> None:
    if referral.status not in allowed:
        raise Conflict(f"该移送当前为“{status_label(referral)}”，不能{doing}")


def at_status(session: Session, actor, referral_id: int, *allowed: str, doing: str) -> Referral:
    """The referral, if it is in one of the `allowed` statuses (Conflict naming `doing` if not)."""
    referral = get(session, actor, referral_id)
    require_status(referral, *allowed, doing=doing)
    return referral


def require_text(value: str, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"请填写{label}", errors={field: "必填"})
    return text


def happened(value, label: str = "发生时间") -> dt.datetime:
    """A step's time from the form (default now); never in the future."""
    moment = parse_moment(value, "happened_at", label) if value else utcnow()
    if moment > utcnow() + dt.timedelta(minutes=5):
        raise ValidationError(f"{label}不能晚于当前时间", errors={"happened_at": "不能晚于当前时间"})
    return moment


def event(session: Session, actor, referral: Referral, step: str, *, happened_at: dt.datetime | None = None,
          note: str = "", data: dict | None = None) -> ReferralEvent:
    """Record one step with the deadline it had and whether it was late, and audit it."""
    happened_at = happened_at or utcnow()
    late = referral.due_at is not None and happened_at > referral.due_at
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    ev = ReferralEvent(referral_id=referral.id, step=step, happened_at=happened_at, actor_id=getattr(actor, "id", None),
                       note=note, data=data, due_at=referral.due_at, late=late)
    session.add(ev)
    session.flush()
    session.expire(referral, ["events"])
    audit.record(session, actor, f"referral.{step}", referral,
                 detail={"status": referral.status, "happened_at": happened_at, "late": late, **data},
                 reason=note)
    return ev


def set_due(referral: Referral, step: str, due_at: dt.datetime | None) -> None:
    referral.due_step, referral.due_at = (step, due_at) if due_at is not None else ("", None)


def advance(session: Session, actor, referral: Referral, step: str, status: str, *, at: dt.datetime | None = None,
            note: str = "", data: dict | None = None, due: tuple[str, dt.datetime | None] | None = None,
            outcome: str | None = None) -> Referral:
    """Move the referral to `status` by `step` (recorded against the deadline it had), then set the next clock.

    A status in DONE closes the referral (with `outcome`, where given). `due` is the next clock as
    (its step, its deadline), STOP for none, or None to leave the running clock as it is.
    """
    referral.status = status
    if status in DONE:
        referral.closed_at = utcnow()
    if outcome is not None:
        referral.outcome = outcome
    event(session, actor, referral, step, happened_at=at, note=note, data=data)
    if due is not None:
        set_due(referral, *due)
    return referral

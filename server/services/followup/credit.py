"""Credit records (信用记录) from approved inspections, their repair (信用修复), and the risk level they move.

A record changes the target's derived risk level through services.registry.risk (rule 4 there); every change
is kept as a RiskLevelChange and returned to the caller so the page can warn about it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ValidationError
from server.models.followup import CreditRecord, RiskLevelChange
from server.models.inspections import Inspection
from server.models.registry import Target
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.paging import PER_PAGE, Page, get_or_raise, paginate
from server.services.kernel.permissions import require_staff
from server.services.kernel.workdays import parse_date, today
from server.services.registry import risk
from server.vocab import RiskLevel

KINDS = {
    "violation": "违法违规经营行为",
    "uncooperative": "不配合检查情节严重",
    "false_info": "提供虚假材料或公示信息弄虚作假",
    "unreachable": "通过登记的住所（经营场所）无法联系",
    "other": "其他失信行为",
}
SEVERITIES = {"minor": "轻微", "general": "一般", "serious": "较重", "severe": "严重"}
# Default effective period by severity, in years (the form proposes it; staff may change it).
DEFAULT_YEARS = {"minor": 1, "general": 1, "serious": 2, "severe": 3}


def level_label(code: str) -> str:
    member = RiskLevel.by_label(code)
    return member.label if member else code


def change_warning(old: str, new: str) -> str | None:
    """The warning a page shows when a target's risk level changed, or None."""
    if old == new:
        return None
    return f"该检查对象的风险等级已由“{level_label(old)}”调整为“{level_label(new)}”，下次抽取将按新等级分层抽取"


def _load_approved(session: Session, inspection_id: int) -> Inspection:
    inspection = get_or_raise(session, Inspection, inspection_id, "检查记录不存在")
    if inspection.status != "approved":
        raise ValidationError("只能根据已审核通过的检查结果记录信用，请先完成结果审核")
    return inspection


def _check_fields(kind: str, severity: str, description: str, legal_basis: str,
                  start: dt.date, end: dt.date) -> None:
    errors = {}
    if kind not in KINDS:
        errors["kind"] = "请选择信用记录类别：" + "、".join(KINDS.values())
    if severity not in SEVERITIES:
        errors["severity"] = "请选择严重程度：" + "、".join(SEVERITIES.values())
    if not description.strip():
        errors["description"] = "请填写失信行为事实"
    if not legal_basis.strip():
        errors["legal_basis"] = "请填写认定依据"
    if end < start:
        errors["effective_to"] = "有效期止不能早于有效期起"
    if errors:
        raise ValidationError("信用记录填写有误：" + "；".join(errors.values()), errors=errors)


def create_record(session: Session, actor, inspection_id: int, *, kind: str, severity: str, description: str,
                  legal_basis: str, effective_from, effective_to, publish: bool = False
                  ) -> tuple[CreditRecord, str | None]:
    """Mark the target's credit file from an approved inspection; returns the record and any level warning."""
    require_staff(actor)
    inspection = _load_approved(session, inspection_id)
    start = parse_date(effective_from, "effective_from", "有效期起")
    end = parse_date(effective_to, "effective_to", "有效期止")
    _check_fields(kind, severity, description or "", legal_basis or "", start, end)
    record = CreditRecord(target_id=inspection.target_id, inspection_id=inspection.id, kind=kind, severity=severity,
                          description=description.strip(), legal_basis=legal_basis.strip(), effective_from=start,
                          effective_to=end, publish=bool(publish), created_by_id=actor.id)
    session.add(record)
    session.flush()
    old, new = risk.refresh(session, inspection.target, today(), actor=actor, cause=f"信用记录 #{record.id}")
    audit.record(session, actor, "credit.create", record,
                 detail={"target": inspection.target.uscc, "inspection": inspection.id, "kind": kind,
                         "severity": severity, "from": start, "to": end, "publish": bool(publish),
                         "risk_level": [old, new]})
    return record, change_warning(old, new)


def repair(session: Session, actor, record_id: int, reason: str) -> tuple[CreditRecord, str | None]:
    """信用修复: the record stops counting from now on; the reason is kept."""
    require_staff(actor)
    record = get_or_raise(session, CreditRecord, record_id, "信用记录不存在")
    if record.repaired_at is not None:
        raise ValidationError("该信用记录已修复，不能重复修复")
    if not (reason or "").strip():
        raise ValidationError("请填写信用修复的理由（例如已完成整改、已履行义务）", errors={"reason": "必填"})
    record.repaired_at = utcnow()
    record.repair_reason = reason.strip()
    record.repaired_by_id = actor.id
    session.flush()
    old, new = risk.refresh(session, record.target, today(), actor=actor, cause=f"信用修复 #{record.id}")
    audit.record(session, actor, "credit.repair", record, detail={"target": record.target.uscc,
                                                                    "risk_level": [old, new]}, reason=reason)
    return record, change_warning(old, new)


def refresh_all(session: Session, actor, day: dt.date | None = None) -> list[tuple[Target, str, str]]:
    """Recompute every target's level (records and ratings expire with time); returns the changed ones."""
    changed = []
    for target in session.scalars(select(Target).order_by(Target.id)):
        old, new = risk.refresh(session, target, day or today(), actor=actor, cause="定期重算")
        if old != new:
            changed.append((target, old, new))
    if changed:
        audit.record(session, actor, "risk.refresh_all", object_type="targets",
                     detail={"changed": [[t.uscc, o, n] for t, o, n in changed]})
    session.flush()
    return changed


def records(session: Session, actor, *, page=1, per_page: int = PER_PAGE) -> Page:
    """One page of every credit record, newest first (the office's 信用记录 list)."""
    require_staff(actor)
    stmt = select(CreditRecord).order_by(CreditRecord.created_at.desc(), CreditRecord.id.desc())
    return paginate(session, stmt, page, per_page)


def target_credit(session: Session, target_id: int) -> dict:
    """What the target page shows: its credit records (newest first) and its risk-level history."""
    records = list(session.scalars(select(CreditRecord).where(CreditRecord.target_id == target_id)
                                   .order_by(CreditRecord.effective_from.desc(), CreditRecord.id.desc())))
    changes = list(session.scalars(select(RiskLevelChange).where(RiskLevelChange.target_id == target_id)
                                   .order_by(RiskLevelChange.at.desc(), RiskLevelChange.id.desc())))
    return {"records": records, "changes": changes, "today": today()}


def recent_changes(session: Session, days: int = 30, limit: int = 10) -> list[RiskLevelChange]:
    """Risk-level changes of the last `days` days, newest first (for the 工作台 warning)."""
    since = utcnow() - dt.timedelta(days=days)
    return list(session.scalars(select(RiskLevelChange).where(RiskLevelChange.at >= since)
                                .order_by(RiskLevelChange.at.desc(), RiskLevelChange.id.desc()).limit(limit)))


def published_records(session: Session, target_ids: list[int]) -> dict[int, list[CreditRecord]]:
    """Records flagged for publication and in effect today, by target (for the public results page)."""
    if not target_ids:
        return {}
    day = today()
    rows = session.scalars(select(CreditRecord).where(
        CreditRecord.target_id.in_(target_ids), CreditRecord.publish.is_(True), CreditRecord.repaired_at.is_(None),
        CreditRecord.effective_from <= day, CreditRecord.effective_to >= day).order_by(CreditRecord.id))
    out: dict[int, list[CreditRecord]] = {}
    for r in rows:
        out.setdefault(r.target_id, []).append(r)
    return out

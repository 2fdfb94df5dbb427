"""Violations and their referrals (移送): 后续处置无例外.

A violation (a finding, or an inspection with a negative result) closes only after a closed referral,
a leader's recorded refusal of a criminal referral, or a recorded decision that no referral is needed —
and never while a referral is still open, nor as "no referral" when a criminal referral is under way
(no 以罚代刑, 国务院令第310号第十一条).

Administrative referral / 抄告 (案件移送函): draft → sent → acknowledged → feedback → closed
(draft → cancelled). The criminal referral's steps and clocks are in services/followup/referrals_criminal.py;
the plumbing both kinds' steps share (load, check, record the event, set the next clock) is in referral_steps.py.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.followup import Referral, Violation
from server.models.inspections import Inspection
from server.models.types import utcnow
from server.services.fieldwork import record_view
from server.services.followup.publication import result_text
from server.services.followup.referral_steps import (  # status_label and get: also what the office pages call
    DONE, STOP, advance, at_status, event, get, happened, require_status, require_text, set_due, status_label)
from server.services.followup.referrals_criminal import checked_team
from server.services.kernel import audit
from server.services.kernel.paging import PER_PAGE, Page, get_or_raise, paginate
from server.services.kernel.permissions import require_staff
from server.services.kernel.workdays import end_of_day_utc, parse_date, today

KINDS = {"administrative": "行政移送（案件移送函）", "notify": "抄告", "criminal": "涉嫌犯罪案件移送"}
STEP_LABELS = {
    "create": "立案移送登记", "send": "发出案件移送函", "acknowledge": "接收部门签收", "feedback": "接收部门反馈",
    "close": "办结", "cancel": "撤销", "report": "专案组提交书面报告", "approved": "负责人批准移送",
    "refused": "负责人不批准移送", "transfer": "移送公安机关", "receipt": "公安机关签收回执",
    "filed": "公安机关立案", "not_filed": "公安机关不予立案", "reconsider": "提请复议",
    "reconsideration_filed": "复议后立案", "reconsideration_upheld": "复议维持不予立案",
    "handover": "移交涉案物品及材料",
}
DUE_LABELS = {"feedback": "反馈期限", "decision": "负责人审批期限（3日）", "transfer": "移送期限（批准后24小时）",
              "police_decision": "公安机关审查期限（3日）", "reconsider_window": "可提请复议至（3日）",
              "reconsideration_decision": "复议决定期限（3日）", "handover": "移交涉案物品期限（立案后3日）"}
DATA_LABELS = {"referral_date": "移送日期", "feedback_due": "反馈期限", "receiver": "签收人",
               "police": "受移送的公安机关", "materials": "随案材料"}
OPEN_ADMIN = ("draft", "sent", "acknowledged", "feedback")
CLOCK_STEPS_NOT_DUTIES = ("reconsider_window",)  # a right, not a duty: never listed as overdue
FEEDBACK_DEFAULT_DAYS = 30


# --- violations --------------------------------------------------------------------------------

def ensure_violations(session: Session, inspection: Inspection, record: dict | None = None) -> list[Violation]:
    """Open a violation for each current finding, or one for a negative result with no finding (idempotent).

    A negative result that has findings is those findings: opening one more for the result itself
    would make staff close the same problem twice."""
    record = record if record is not None else record_view.load(session, inspection)
    wanted = [(str(f["id"]), f.get("description", ""), f.get("legal_basis", ""))
              for f in record_view.current_findings(record)]
    if not wanted and record_view.is_negative(inspection):
        wanted.append(("", f"检查结果：{result_text(inspection.result_categories)}", ""))
    existing = {v.finding_ref: v for v in session.scalars(select(Violation).where(
        Violation.inspection_id == inspection.id))}
    for ref, description, basis in wanted:
        if ref not in existing:
            existing[ref] = Violation(inspection_id=inspection.id, finding_ref=ref, description=description,
                                      legal_basis=basis)
            session.add(existing[ref])
    session.flush()
    return sorted(existing.values(), key=lambda v: v.id)


def _violation_for(session: Session, inspection: Inspection, finding_ref: str) -> Violation:
    violations = {v.finding_ref: v for v in ensure_violations(session, inspection)}
    if finding_ref and finding_ref not in violations:
        raise ValidationError("所选发现问题不属于该检查，或已被更正替代", errors={"finding_ref": "无效"})
    if not finding_ref and "" not in violations:
        violation = Violation(inspection_id=inspection.id, finding_ref="", description="检查发现的违法线索")
        session.add(violation)
        session.flush()
        return violation
    return violations[finding_ref]


def get_violation(session: Session, actor, violation_id: int) -> Violation:
    require_staff(actor)
    return get_or_raise(session, Violation, violation_id, "违法行为记录不存在")


def _open_violation(session: Session, actor, violation_id: int) -> Violation:
    violation = get_violation(session, actor, violation_id)
    if violation.status == "closed":
        raise Conflict("该违法行为已办结")
    return violation


def _referrals_of(session: Session, violation: Violation) -> list[Referral]:
    return list(session.scalars(select(Referral).where(Referral.violation_id == violation.id).order_by(Referral.id)))


def decide_no_referral(session: Session, actor, violation_id: int, reason: str) -> Violation:
    """Record that a violation needs no referral, and why; refused where a referral is required."""
    violation = _open_violation(session, actor, violation_id)
    reason = require_text(reason, "reason", "无需移送的理由")
    follow_ups = set(violation.inspection.follow_ups or [])
    if follow_ups & {"case_referral", "notify_other"}:
        raise ValidationError("检查结果的后续处置措施为移送或抄告，必须办理移送，不能记录为无需移送")
    if any(r.kind == "criminal" and r.status not in DONE for r in _referrals_of(session, violation)):
        raise Conflict("该违法行为已有涉嫌犯罪案件移送正在办理，不得以行政处罚代替移送")
    violation.no_referral_reason, violation.no_referral_by_id = reason, actor.id
    violation.no_referral_at = utcnow()
    audit.record(session, actor, "violation.no_referral", violation, reason=reason)
    return violation


def close_violation(session: Session, actor, violation_id: int, note: str = "") -> Violation:
    """Close a violation: only after a closed referral, a refused criminal referral, or a no-referral decision."""
    violation = _open_violation(session, actor, violation_id)
    refs = _referrals_of(session, violation)
    open_refs = [r for r in refs if r.status not in DONE]
    if open_refs:
        raise Conflict(f"该违法行为尚有未办结的移送（{open_refs[0].doc_no}），不能办结")
    disposed = any(r.status in ("closed", "refused") for r in refs) or violation.no_referral_at
    if not disposed:
        raise ValidationError("违法行为须办结移送，或记录无需移送的决定及理由后才能办结（不得以罚代刑）")
    violation.status, violation.closed_at, violation.closed_by_id = "closed", utcnow(), actor.id
    violation.close_note = (note or "").strip()
    audit.record(session, actor, "violation.close", violation, reason=violation.close_note)
    return violation


# --- creating a referral -----------------------------------------------------------------------

def _materials(value) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [m.strip() for m in value or [] if m and m.strip()]


def create(session: Session, actor, *, kind: str, inspection_id: int, finding_ref: str = "", doc_no: str,
           party: str, cause: str, reason: str, legal_basis: str, receiving_dept: str, materials=(),
           team=(), report: str = "") -> Referral:
    """Open a referral (案件移送函 fields) from an inspection or one of its findings, as a draft."""
    require_staff(actor)
    if kind not in KINDS:
        raise ValidationError("请选择移送类型：" + "、".join(KINDS.values()), errors={"kind": "必选"})
    inspection = get_or_raise(session, Inspection, inspection_id, "检查记录不存在")
    if inspection.status not in ("submitted", "returned", "approved"):
        raise ValidationError("只有已提交检查结果的检查可以移送")
    fields = {"doc_no": ("文书编号", doc_no), "party": ("当事人", party), "cause": ("案由", cause),
              "reason": ("移送理由", reason), "legal_basis": ("依据的法律规定", legal_basis),
              "receiving_dept": ("接收部门" if kind != "criminal" else "受移送的公安机关", receiving_dept)}
    errors = {f: f"请填写{label}" for f, (label, v) in fields.items() if not (v or "").strip()}
    if errors:
        raise ValidationError("；".join(errors.values()), errors=errors)
    doc_no = doc_no.strip()
    if session.scalar(select(Referral.id).where(Referral.doc_no == doc_no)):
        raise Conflict(f"文书编号“{doc_no}”已被使用，请换一个编号", errors={"doc_no": "重复"})
    violation = _violation_for(session, inspection, (finding_ref or "").strip())
    if violation.status == "closed":
        raise Conflict("该违法行为已办结，不能再移送")
    referral = Referral(kind=kind, violation_id=violation.id, inspection_id=inspection.id, status="draft",
                        doc_no=doc_no, party=party.strip(), cause=cause.strip(), reason=reason.strip(),
                        legal_basis=legal_basis.strip(), receiving_dept=receiving_dept.strip(),
                        materials=_materials(materials), created_by_id=actor.id, report=(report or "").strip())
    if kind == "criminal":
        referral.team = checked_team(session, team)
    session.add(referral)
    session.flush()
    event(session, actor, referral, "create", data={"kind": kind, "finding": violation.finding_ref})
    return referral


def proposal(session: Session, actor, inspection_id, kind: str) -> tuple[Inspection, dict]:
    """The inspection a referral is opened from, and what the 案件移送函 form proposes for it."""
    require_staff(actor)
    inspection = get_or_raise(session, Inspection, inspection_id, "检查记录不存在")
    values = {"kind": kind, "finding_ref": "", "doc_no": suggest_doc_no(session, kind), "party": inspection.target.name,
              "cause": "", "reason": "", "legal_basis": "", "receiving_dept": "", "materials": "现场检查笔录\n现场照片",
              "report": "", "team": [m.inspector_id for m in inspection.members]}
    return inspection, values


def suggest_doc_no(session: Session, kind: str) -> str:
    """The 文书编号 the form proposes: 阳交移〔year〕n号 (阳交刑移… for a criminal referral), n = referrals so far + 1."""
    n = (session.scalar(select(func.count(Referral.id))) or 0) + 1
    return f"阳交{'刑' if kind == 'criminal' else ''}移〔{today().year}〕{n}号"


# --- administrative referral / 抄告 ----------------------------------------------------------------

def send(session: Session, actor, referral_id: int, *, referral_date=None, feedback_due=None) -> Referral:
    """Send the 案件移送函: the 移送日期 and the feedback deadline start the clock."""
    referral = get(session, actor, referral_id)
    if referral.kind == "criminal":
        raise Conflict("涉嫌犯罪案件须经负责人批准后移送公安机关，不能直接发送")
    require_status(referral, "draft", doing="发送")
    sent_on = parse_date(referral_date, "referral_date", "移送日期") if referral_date else today()
    if sent_on > today():
        raise ValidationError("移送日期不能晚于今天", errors={"referral_date": "不能晚于今天"})
    due = parse_date(feedback_due, "feedback_due", "反馈期限") if feedback_due else \
        sent_on + dt.timedelta(days=FEEDBACK_DEFAULT_DAYS)
    if due < sent_on:
        raise ValidationError("反馈期限不能早于移送日期", errors={"feedback_due": "早于移送日期"})
    referral.referral_date, referral.feedback_due = sent_on, due
    return advance(session, actor, referral, "send", "sent", data={"referral_date": sent_on, "feedback_due": due},
                   due=("feedback", end_of_day_utc(due)))


def acknowledge(session: Session, actor, referral_id: int, *, receiver: str, happened_at=None,
                note: str = "") -> Referral:
    """The receiving department signed for the referral (recorded by office staff)."""
    referral = at_status(session, actor, referral_id, "sent", doing="登记签收")
    receiver = require_text(receiver, "receiver", "签收人")
    return advance(session, actor, referral, "acknowledge", "acknowledged", at=happened(happened_at, "签收时间"),
                   note=note, data={"receiver": receiver})


def feedback(session: Session, actor, referral_id: int, *, content: str, happened_at=None) -> Referral:
    """The receiving department's feedback on how it handled the case."""
    referral = at_status(session, actor, referral_id, "sent", "acknowledged", doing="登记反馈")
    content = require_text(content, "content", "反馈的处理情况")
    return advance(session, actor, referral, "feedback", "feedback", at=happened(happened_at, "反馈时间"),
                   note=content, due=STOP)


def close(session: Session, actor, referral_id: int, *, note: str) -> Referral:
    """Close a referral once its last step is done (feedback received; police decision accepted)."""
    referral = at_status(session, actor, referral_id, "feedback", "not_filed", doing="办结")
    note = require_text(note, "note", "办结说明")
    set_due(referral, *STOP)  # first: the reconsideration window is a right, so closing after it is not late
    return advance(session, actor, referral, "close", "closed", note=note, outcome=note)


def cancel(session: Session, actor, referral_id: int, *, reason: str) -> Referral:
    """Withdraw a draft referral that was opened in error (the record stays)."""
    referral = at_status(session, actor, referral_id, "draft", doing="撤销")
    reason = require_text(reason, "reason", "撤销理由")
    return advance(session, actor, referral, "cancel", "cancelled", note=reason)


# --- lists and clocks ---------------------------------------------------------------------------

def listing(session: Session, actor, *, status: str = "", page=1, per_page: int = PER_PAGE) -> Page:
    """One page of referrals, newest first; status "open", "overdue" or a status code filters."""
    require_staff(actor)
    stmt = select(Referral)
    if status == "open":
        stmt = stmt.where(Referral.status.not_in(DONE))
    elif status == "overdue":
        stmt = overdue_filter(stmt)
    elif status:
        stmt = stmt.where(Referral.status == status)
    return paginate(session, stmt.order_by(Referral.id.desc()), page, per_page)


def overdue_filter(stmt):
    """Open referrals whose current step is past its deadline."""
    return stmt.where(Referral.status.not_in(DONE), Referral.due_at.is_not(None), Referral.due_at < utcnow(),
                      Referral.due_step.not_in(CLOCK_STEPS_NOT_DUTIES))


def open_violations(session: Session, limit: int = 50) -> list[Violation]:
    """Violations not yet closed, oldest first."""
    return list(session.scalars(select(Violation).where(Violation.status == "open")
                                .order_by(Violation.id).limit(limit)))


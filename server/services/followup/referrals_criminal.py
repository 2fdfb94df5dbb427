"""涉嫌犯罪案件移送 following 国务院令第310号 (2020), its steps and clocks.

draft (专案组 of ≥ 2, 第5条) → reported (书面报告; the leader decides within 3 days through the
approvals inbox, kind `criminal_referral`) → approved (transfer within 24 hours) | refused (reasons
recorded) → transferred (with the five materials of 第6条) → received (police receipt, 第7条; police
decide within 3 days, 第8条) → filed (hand over evidence within 3 days, 第12条) → closed
                           | not_filed → reconsidering (request within 3 days; police decide within 3 days,
                             第9条) → filed | closed; or not_filed → closed (decision accepted, 第10条).
"N 日" periods end on the next working day when their last day is a day off (services.kernel.workdays).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.approvals import Approval
from server.models.followup import Referral
from server.models.registry import Inspector
from server.models.types import utcnow
from server.services.followup.referral_steps import STOP, advance, get, happened, require_status, require_text
from server.services.kernel import approvals
from server.services.kernel.paging import get_or_raise
from server.services.kernel.workdays import end_of_day_utc, local_date, period_end

MATERIALS = [
    ("transfer_letter", "涉嫌犯罪案件移送书"),
    ("investigation_report", "涉嫌犯罪案件情况的调查报告"),
    ("evidence_list", "涉案物品清单"),
    ("test_reports", "有关检验报告或者鉴定结论"),
    ("other_materials", "其他有关涉嫌犯罪的材料"),
]
DAYS = 3
TEAM_MIN = "涉嫌犯罪案件须指定 2 名以上执法人员组成专案组"


def _days_due(moment: dt.datetime) -> dt.datetime:
    """End of the "3 日" period that starts on the day of `moment`."""
    return end_of_day_utc(period_end(local_date(moment), DAYS))


# --- the 专案组 ---------------------------------------------------------------------------------------

def checked_team(session: Session, team) -> list[int]:
    """The 专案组: at least two distinct, active 执法人员 (国务院令第310号第五条)."""
    ids = []
    for raw in team or []:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationError("专案组成员选择有误", errors={"team": "无效"}) from None
    ids = sorted(set(ids))
    inspectors = [session.get(Inspector, i) for i in ids]
    if any(i is None or i.status != "active" for i in inspectors):
        raise ValidationError("专案组成员须为在岗的执法检查人员", errors={"team": "无效"})
    if len(ids) < 2:
        raise ValidationError(TEAM_MIN, errors={"team": "至少 2 人"})
    return ids


def team_members(session: Session, referral: Referral) -> list[Inspector]:
    """The 专案组 of a referral as inspectors, in the order recorded."""
    members = (session.get(Inspector, i) for i in referral.team or [])
    return [i for i in members if i is not None]


def team_candidates(session: Session) -> list[Inspector]:
    """Who may be named to a 专案组: the active inspectors, by name."""
    return list(session.scalars(select(Inspector).where(Inspector.status == "active").order_by(Inspector.name)))


# --- the steps ------------------------------------------------------------------------------------

def _criminal(session: Session, actor, referral_id: int, *allowed: str, doing: str) -> Referral:
    """The criminal referral, if it is in one of the `allowed` statuses."""
    referral = get(session, actor, referral_id)
    if referral.kind != "criminal":
        raise Conflict("该操作仅适用于涉嫌犯罪案件移送")
    require_status(referral, *allowed, doing=doing)
    return referral


def report(session: Session, actor, referral_id: int, *, report_text: str = "", team=None,
           happened_at=None) -> Approval:
    """The team's written report goes to the leader, who must decide within 3 days."""
    referral = _criminal(session, actor, referral_id, "draft", doing="提交负责人审批")
    if team is not None:
        referral.team = checked_team(session, team)
    elif len(referral.team or []) < 2:
        raise ValidationError(TEAM_MIN, errors={"team": "至少 2 人"})
    referral.report = require_text(report_text or referral.report, "report", "专案组的书面核实报告")
    at = happened(happened_at, "报告时间")
    approval = approvals.request(session, actor, kind="criminal_referral", obj=referral,
                                 title=f"涉嫌犯罪案件移送：{referral.party}（{referral.cause}）",
                                 reason=referral.report)
    referral.approval_id = approval.id
    advance(session, actor, referral, "report", "reported", at=at, data={"team": referral.team},
            due=("decision", _days_due(at)))
    return approval


def _decided(session: Session, actor, approval: Approval, doing: str) -> Referral:
    """The referral a leader decides on: still reported, and not one the leader handles."""
    referral = get_or_raise(session, Referral, int(approval.object_id), "移送记录不存在")
    if referral.created_by_id == actor.id:
        raise PermissionDenied("不能审批自己承办的涉嫌犯罪案件移送")
    require_status(referral, "reported", doing=doing)
    return referral


def _on_approved(session: Session, actor, approval: Approval) -> None:
    referral = _decided(session, actor, approval, "批准")
    now = utcnow()
    advance(session, actor, referral, "approved", "approved", at=now, note=approval.decision_note,
            due=("transfer", now + dt.timedelta(hours=24)))


def _on_rejected(session: Session, actor, approval: Approval) -> None:
    referral = _decided(session, actor, approval, "不批准")
    advance(session, actor, referral, "refused", "refused", note=approval.decision_note,
            outcome=f"负责人不批准移送：{approval.decision_note}", due=STOP)


APPROVAL_KINDS = [("criminal_referral", "涉嫌犯罪案件移送", _on_approved, _on_rejected)]


def transfer(session: Session, actor, referral_id: int, *, materials: dict, happened_at=None,
             police: str = "") -> Referral:
    """Transfer to the police with the five materials of 第六条 (each named, or explained if absent)."""
    referral = _criminal(session, actor, referral_id, "approved", doing="移送公安机关")
    missing = [label for key, label in MATERIALS if not (materials.get(key) or "").strip()]
    if missing:
        raise ValidationError("移送须附：" + "、".join(missing) + "（没有的请写明原因）",
                              errors={key: "必填" for key, label in MATERIALS if label in missing})
    at = happened(happened_at, "移送时间")
    if police.strip():
        referral.receiving_dept = police.strip()
    referral.referral_date = local_date(at)
    referral.materials = [f"{label}：{materials[key].strip()}" for key, label in MATERIALS]
    return advance(session, actor, referral, "transfer", "transferred", at=at,
                   data={"police": referral.receiving_dept, "materials": referral.materials}, due=STOP)


def receipt(session: Session, actor, referral_id: int, *, receiver: str, happened_at=None) -> Referral:
    """The police signed the receipt (回执); their decision is due within 3 days."""
    referral = _criminal(session, actor, referral_id, "transferred", doing="登记公安机关回执")
    receiver = require_text(receiver, "receiver", "回执签收人")
    at = happened(happened_at, "签收时间")
    return advance(session, actor, referral, "receipt", "received", at=at, data={"receiver": receiver},
                   due=("police_decision", _days_due(at)))


def _filed(session: Session, actor, referral: Referral, step: str, at: dt.datetime, note: str) -> Referral:
    """立案 (at first or after reconsideration): the evidence and materials are due within 3 days (第十二条)."""
    return advance(session, actor, referral, step, "filed", at=at, note=(note or "").strip(),
                   due=("handover", _days_due(at)))


def police_decision(session: Session, actor, referral_id: int, *, filed: bool, happened_at=None,
                    reason: str = "") -> Referral:
    """立案 (evidence handover due in 3 days) or 不予立案 with the reasons (reconsideration possible)."""
    referral = _criminal(session, actor, referral_id, "received", doing="登记公安机关的决定")
    at = happened(happened_at, "收到通知的时间")
    if filed:
        return _filed(session, actor, referral, "filed", at, reason)
    reason = require_text(reason, "reason", "不予立案的理由")
    return advance(session, actor, referral, "not_filed", "not_filed", at=at, note=reason,
                   due=("reconsider_window", _days_due(at)))


def reconsider(session: Session, actor, referral_id: int, *, reason: str, happened_at=None) -> Referral:
    """Ask the police to reconsider, within 3 days of the 不予立案 notice."""
    referral = _criminal(session, actor, referral_id, "not_filed", doing="提请复议")
    reason = require_text(reason, "reason", "提请复议的理由")
    at = happened(happened_at, "提请复议时间")
    if referral.due_at is not None and at > referral.due_at:
        deadline = local_date(referral.due_at - dt.timedelta(seconds=1)).isoformat()
        raise ValidationError(f"已超过提请复议的期限（{deadline}），不能再提请复议；可建议人民检察院依法进行立案监督")
    return advance(session, actor, referral, "reconsider", "reconsidering", at=at, note=reason,
                   due=("reconsideration_decision", _days_due(at)))


def reconsideration_result(session: Session, actor, referral_id: int, *, filed: bool, happened_at=None,
                           note: str = "") -> Referral:
    """The police's reconsideration decision: now filed, or 不予立案 upheld (the referral closes)."""
    referral = _criminal(session, actor, referral_id, "reconsidering", doing="登记复议决定")
    at = happened(happened_at, "收到复议决定的时间")
    if filed:
        return _filed(session, actor, referral, "reconsideration_filed", at, note)
    note = require_text(note, "note", "复议决定的内容及后续处理")
    return advance(session, actor, referral, "reconsideration_upheld", "closed", at=at, note=note,
                   outcome=f"复议维持不予立案：{note}", due=STOP)


def handover(session: Session, actor, referral_id: int, *, items: str, happened_at=None) -> Referral:
    """Hand the evidence and materials to the police after 立案 (第十二条); the referral closes."""
    referral = _criminal(session, actor, referral_id, "filed", doing="登记移交涉案物品")
    items = require_text(items, "items", "移交的涉案物品及材料")
    at = happened(happened_at, "移交时间")
    return advance(session, actor, referral, "handover", "closed", at=at, note=items,
                   outcome="公安机关已立案，涉案物品已移交", due=STOP)

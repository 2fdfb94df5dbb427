import datetime as dt

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.followup import Referral
from server.services.followup import referrals, referrals_criminal as crim
from server.services.kernel import approvals
from server.services.kernel.workdays import end_of_day_utc
from tests.factories import create_inspector, create_submitted_inspection, create_user

D = dt.date
LETTER = dict(doc_no="阳交移〔2024〕1号", party="阳城县测试运输有限公司", cause="未取得道路运输经营许可擅自从事经营",
              reason="涉嫌违反市场监管部门管理规定", legal_basis="《道路运输条例》第六十三条",
              receiving_dept="阳城县市场监督管理局", materials="现场检查笔录\n照片 4 张")
FIVE = {"transfer_letter": "涉嫌犯罪案件移送书 1 份", "investigation_report": "调查报告 1 份",
        "evidence_list": "涉案物品清单 1 份", "test_reports": "无需检验鉴定（已说明）", "other_materials": "询问笔录 2 份"}


@pytest.fixture
def people(session):
    return {"office": create_user(session, role="office"), "leader": create_user(session, role="leader"),
            "leader2": create_user(session, role="leader")}


def _insp(session, **kw):
    return create_submitted_inspection(session, result_categories=["03"], follow_ups=["case_referral"], **kw)


def _criminal(session, actor, insp=None, **kw):
    insp = insp or _insp(session)
    team = [create_inspector(session).id, create_inspector(session).id]
    fields = {**LETTER, "doc_no": kw.pop("doc_no", "阳交刑移〔2024〕1号"), "receiving_dept": "阳城县公安局", **kw}
    return referrals.create(session, actor, kind="criminal", inspection_id=insp.id, team=team,
                            report="经核实，涉案金额较大", **fields)


def test_letter_fields_are_required_and_document_numbers_unique(session, people):
    insp = _insp(session)
    with pytest.raises(ValidationError, match="^请填写案由；请填写依据的法律规定$"):
        referrals.create(session, people["office"], kind="administrative", inspection_id=insp.id,
                         **{**LETTER, "cause": "", "legal_basis": " "})
    referrals.create(session, people["office"], kind="administrative", inspection_id=insp.id, **LETTER)
    with pytest.raises(Conflict, match="文书编号“阳交移〔2024〕1号”已被使用"):
        referrals.create(session, people["office"], kind="notify", inspection_id=insp.id, **LETTER)


def test_inspection_not_yet_submitted_cannot_be_referred(session, people):
    insp = _insp(session, status="in_progress")
    with pytest.raises(ValidationError, match="只有已提交检查结果的检查可以移送"):
        referrals.create(session, people["office"], kind="administrative", inspection_id=insp.id, **LETTER)


def test_administrative_referral_runs_to_closure_and_every_step_is_audited(session, people):
    office = people["office"]
    r = referrals.create(session, office, kind="administrative", inspection_id=_insp(session).id, **LETTER)
    with pytest.raises(Conflict, match="^该移送当前为“待发送”，不能登记签收$"):
        referrals.acknowledge(session, office, r.id, receiver="李四")
    referrals.send(session, office, r.id, referral_date=D(2024, 9, 27), feedback_due=D(2024, 10, 31))
    assert r.status == "sent" and r.due_at == end_of_day_utc(D(2024, 10, 31))
    with pytest.raises(Conflict, match="不能办结"):
        referrals.close(session, office, r.id, note="结")
    referrals.acknowledge(session, office, r.id, receiver="李四", happened_at="2024-09-28 09:00")
    referrals.feedback(session, office, r.id, content="已立案调查并罚款", happened_at="2024-10-20 15:00")
    referrals.close(session, office, r.id, note="对方已处理完毕")
    assert r.status == "closed" and r.due_at is None
    assert [e.step for e in r.events] == ["create", "send", "acknowledge", "feedback", "close"]
    assert not any(e.late for e in r.events)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "referrals")).all()
    assert actions == ["referral.create", "referral.send", "referral.acknowledge", "referral.feedback",
                       "referral.close"]


def test_late_feedback_is_flagged_and_overdue_referrals_are_listed(session, people):
    office = people["office"]
    r = referrals.create(session, office, kind="notify", inspection_id=_insp(session).id, **LETTER)
    referrals.send(session, office, r.id, referral_date=D(2024, 9, 2), feedback_due=D(2024, 9, 30))
    overdue = referrals.listing(session, office, status="overdue")
    assert overdue.total == 1 and overdue.items[0].id == r.id
    referrals.feedback(session, office, r.id, content="已处理")
    assert r.events[-1].late is True
    assert referrals.listing(session, office, status="overdue").total == 0


def test_feedback_deadline_before_sending_is_refused(session, people):
    r = referrals.create(session, people["office"], kind="notify", inspection_id=_insp(session).id, **LETTER)
    with pytest.raises(ValidationError, match="^反馈期限不能早于移送日期$"):
        referrals.send(session, people["office"], r.id, referral_date=D(2024, 9, 2), feedback_due=D(2024, 9, 1))
    with pytest.raises(ValidationError, match="^反馈期限格式有误"):
        referrals.send(session, people["office"], r.id, referral_date=D(2024, 9, 2), feedback_due="9月1日")


def test_criminal_referral_needs_a_team_of_two(session, people):
    insp = _insp(session)
    with pytest.raises(ValidationError, match="^涉嫌犯罪案件须指定 2 名以上执法人员组成专案组$"):
        referrals.create(session, people["office"], kind="criminal", inspection_id=insp.id,
                         team=[create_inspector(session).id], **LETTER)


def test_leader_decision_is_due_three_days_later_moved_past_national_day(session, people):
    r = _criminal(session, people["office"])
    approval = crim.report(session, people["office"], r.id, happened_at="2024-09-28 10:00")
    assert r.status == "reported" and approval.kind == "criminal_referral" and approval.status == "pending"
    assert r.due_step == "decision" and r.due_at == end_of_day_utc(D(2024, 10, 8))


def test_police_decision_due_on_the_adjusted_working_saturday(session, people):
    r = _criminal(session, people["office"])
    crim.report(session, people["office"], r.id)
    approvals.decide(session, people["leader"], r.approval_id, approve=True)
    crim.transfer(session, people["office"], r.id, materials=FIVE)
    crim.receipt(session, people["office"], r.id, receiver="张警官", happened_at="2024-10-09 11:00")
    assert r.due_step == "police_decision" and r.due_at == end_of_day_utc(D(2024, 10, 12))


def test_office_cannot_approve_and_nobody_approves_their_own_criminal_referral(session, people):
    r = _criminal(session, people["office"])
    crim.report(session, people["office"], r.id)
    with pytest.raises(PermissionDenied):
        approvals.decide(session, people["office"], r.approval_id, approve=True)
    mine = _criminal(session, people["leader"], doc_no="阳交刑移〔2024〕2号")
    approval = crim.report(session, people["leader"], mine.id)
    with pytest.raises(PermissionDenied, match="不能审批自己提交的申请"):
        approvals.decide(session, people["leader"], approval.id, approve=True)


def test_leader_who_handles_the_case_cannot_decide_it_even_if_someone_else_reported(session, people):
    r = _criminal(session, people["leader"])
    crim.report(session, people["office"], r.id)
    with pytest.raises(PermissionDenied, match="^不能审批自己承办的涉嫌犯罪案件移送$"):
        approvals.decide(session, people["leader"], r.approval_id, approve=True)


def test_full_criminal_referral_with_reconsideration(session, people):
    office, leader = people["office"], people["leader"]
    r = _criminal(session, office)
    with pytest.raises(Conflict, match="须经负责人批准后移送公安机关"):
        referrals.send(session, office, r.id)
    crim.report(session, office, r.id)
    with pytest.raises(Conflict, match="当前为“待负责人审批”，不能移送公安机关"):
        crim.transfer(session, office, r.id, materials=FIVE)
    approvals.decide(session, leader, r.approval_id, approve=True, note="同意移送")
    assert r.status == "approved" and r.due_step == "transfer"
    assert r.due_at - r.events[-1].happened_at == dt.timedelta(hours=24)
    with pytest.raises(ValidationError, match="^移送须附：涉案物品清单、有关检验报告或者鉴定结论（没有的请写明原因）$"):
        crim.transfer(session, office, r.id, materials={**FIVE, "evidence_list": "", "test_reports": " "})
    crim.transfer(session, office, r.id, materials=FIVE, police="阳城县公安局经侦大队")
    assert r.status == "transferred" and len(r.materials) == 5 and r.receiving_dept == "阳城县公安局经侦大队"
    crim.receipt(session, office, r.id, receiver="张警官", happened_at="2024-10-09 11:00")
    with pytest.raises(ValidationError, match="^请填写不予立案的理由$"):
        crim.police_decision(session, office, r.id, filed=False, happened_at="2024-10-11 09:00")
    crim.police_decision(session, office, r.id, filed=False, reason="证据不足", happened_at="2024-10-11 09:00")
    assert r.due_step == "reconsider_window" and r.due_at == end_of_day_utc(D(2024, 10, 14))
    crim.reconsider(session, office, r.id, reason="补充了鉴定结论", happened_at="2024-10-12 09:00")
    crim.reconsideration_result(session, office, r.id, filed=True, happened_at="2024-10-15 09:00")
    assert r.status == "filed" and r.due_step == "handover"
    crim.handover(session, office, r.id, items="涉案车辆 1 辆及票据", happened_at="2024-10-16 09:00")
    assert r.status == "closed"
    assert [e.step for e in r.events] == ["create", "report", "approved", "transfer", "receipt", "not_filed",
                                          "reconsider", "reconsideration_filed", "handover"]


def test_reconsideration_after_three_days_is_refused(session, people):
    r = _criminal(session, people["office"])
    crim.report(session, people["office"], r.id)
    approvals.decide(session, people["leader"], r.approval_id, approve=True)
    crim.transfer(session, people["office"], r.id, materials=FIVE)
    crim.receipt(session, people["office"], r.id, receiver="张警官", happened_at="2024-09-25 11:00")
    crim.police_decision(session, people["office"], r.id, filed=False, reason="不构成犯罪",
                         happened_at="2024-09-28 09:00")  # + 3 days = 10-01, a holiday → 10-08
    with pytest.raises(ValidationError, match=r"已超过提请复议的期限（2024-10-08）"):
        crim.reconsider(session, people["office"], r.id, reason="不服", happened_at="2024-10-09 09:00")
    crim.reconsider(session, people["office"], r.id, reason="不服", happened_at="2024-10-08 17:00")


def test_refusal_records_reasons_and_then_the_violation_may_close(session, people):
    r = _criminal(session, people["office"])
    crim.report(session, people["office"], r.id)
    approvals.decide(session, people["leader"], r.approval_id, approve=False, note="未达到刑事追诉标准，依法给予行政处罚")
    assert r.status == "refused" and r.outcome == "负责人不批准移送：未达到刑事追诉标准，依法给予行政处罚"
    assert r.events[-1].step == "refused"
    referrals.close_violation(session, people["office"], r.violation_id, note="已作出行政处罚")
    assert r.violation.status == "closed"


def test_no_punishment_instead_of_referral(session, people):
    office = people["office"]
    insp = create_submitted_inspection(session, status="approved", result_categories=["03"], follow_ups=["rectify"])
    [violation] = referrals.ensure_violations(session, insp)
    with pytest.raises(ValidationError, match=r"^违法行为须办结移送，或记录无需移送的决定及理由后才能办结（不得以罚代刑）$"):
        referrals.close_violation(session, office, violation.id)
    r = _criminal(session, office, insp=insp)
    with pytest.raises(Conflict, match="^该违法行为已有涉嫌犯罪案件移送正在办理，不得以行政处罚代替移送$"):
        referrals.decide_no_referral(session, office, violation.id, reason="已罚款")
    with pytest.raises(Conflict, match=r"尚有未办结的移送（阳交刑移〔2024〕1号）"):
        referrals.close_violation(session, office, violation.id)
    referrals.cancel(session, office, r.id, reason="登记错误")
    referrals.decide_no_referral(session, office, violation.id, reason="情节轻微，已责令改正")
    referrals.close_violation(session, office, violation.id)
    assert violation.status == "closed"


def test_no_referral_decision_is_refused_when_the_result_calls_for_a_referral(session, people):
    insp = create_submitted_inspection(session, status="approved", result_categories=["03"],
                                       follow_ups=["case_referral"])
    [violation] = referrals.ensure_violations(session, insp)
    with pytest.raises(ValidationError, match="必须办理移送"):
        referrals.decide_no_referral(session, people["office"], violation.id, reason="不需要")


def test_inspector_cannot_open_a_referral(session, people):
    with pytest.raises(PermissionDenied):
        referrals.create(session, create_user(session, role="inspector"), kind="notify",
                         inspection_id=_insp(session).id, **LETTER)
    assert session.scalar(select(func.count(Referral.id))) == 0


# --- every state × every step: allowed ones succeed, the others are refused with a 409 -----------------

ADMIN_PATH = ["draft", "sent", "acknowledged", "feedback", "closed"]
ADMIN_ALLOWED = {"draft": {"send", "cancel"}, "sent": {"acknowledge", "feedback"}, "acknowledged": {"feedback"},
                 "feedback": {"close"}, "closed": set(), "cancelled": set()}
CRIMINAL_ALLOWED = {"draft": {"report", "cancel"}, "reported": set(), "approved": {"transfer"}, "refused": set(),
                    "transferred": {"receipt"}, "received": {"filed", "not_filed"}, "filed": {"handover"},
                    "not_filed": {"reconsider", "close"}, "reconsidering": {"reconsideration_result"},
                    "closed": set()}


def _steps(session, people):
    o = people["office"]
    return {
        "send": lambda r: referrals.send(session, o, r.id),
        "acknowledge": lambda r: referrals.acknowledge(session, o, r.id, receiver="甲"),
        "feedback": lambda r: referrals.feedback(session, o, r.id, content="已处理"),
        "close": lambda r: referrals.close(session, o, r.id, note="办结"),
        "cancel": lambda r: referrals.cancel(session, o, r.id, reason="错误"),
        "report": lambda r: crim.report(session, o, r.id),
        "transfer": lambda r: crim.transfer(session, o, r.id, materials=FIVE),
        "receipt": lambda r: crim.receipt(session, o, r.id, receiver="张警官"),
        "filed": lambda r: crim.police_decision(session, o, r.id, filed=True),
        "not_filed": lambda r: crim.police_decision(session, o, r.id, filed=False, reason="证据不足"),
        "reconsider": lambda r: crim.reconsider(session, o, r.id, reason="不服"),
        "reconsideration_result": lambda r: crim.reconsideration_result(session, o, r.id, filed=True),
        "handover": lambda r: crim.handover(session, o, r.id, items="物品"),
    }


def _reach(session, people, kind, status):
    steps = _steps(session, people)
    if kind != "criminal":
        r = referrals.create(session, people["office"], kind=kind, inspection_id=_insp(session).id,
                             **{**LETTER, "doc_no": f"阳交移〔2024〕{status}"})
        if status == "cancelled":
            steps["cancel"](r)
            return r
        for step in ("send", "acknowledge", "feedback", "close")[:ADMIN_PATH.index(status)]:
            steps[step](r)
        return r
    r = _criminal(session, people["office"], doc_no=f"阳交刑移〔2024〕{status}")
    path = {"draft": [], "reported": ["report"], "approved": ["report", "approve"],
            "refused": ["report", "refuse"], "transferred": ["report", "approve", "transfer"],
            "received": ["report", "approve", "transfer", "receipt"],
            "filed": ["report", "approve", "transfer", "receipt", "filed"],
            "not_filed": ["report", "approve", "transfer", "receipt", "not_filed"],
            "reconsidering": ["report", "approve", "transfer", "receipt", "not_filed", "reconsider"],
            "closed": ["report", "approve", "transfer", "receipt", "filed", "handover"]}[status]
    for step in path:
        if step in ("approve", "refuse"):
            approvals.decide(session, people["leader"], r.approval_id, approve=step == "approve", note="决定")
        else:
            steps[step](r)
    return r


def _matrix(session, people, kind, allowed):
    steps = _steps(session, people)
    for status, ok in allowed.items():
        r = _reach(session, people, kind, status)
        assert r.status == status
        session.commit()
        for step, call in steps.items():
            nested = session.begin_nested()
            try:
                call(r)
                done = True
            except Conflict:
                done = False
            finally:
                nested.rollback()
            assert done == (step in ok), (kind, status, step)


def test_administrative_state_machine(session, people):
    _matrix(session, people, "administrative", ADMIN_ALLOWED)


def test_criminal_state_machine(session, people):
    _matrix(session, people, "criminal", CRIMINAL_ALLOWED)


def test_a_negative_result_with_a_finding_is_one_violation_to_close(session, people):
    """The finding is the problem the negative result reports: staff close it once, not twice."""
    import uuid

    from server.models.fieldwork import Finding
    insp = create_submitted_inspection(session, status="approved", result_categories=["02"], follow_ups=["rectify"])
    session.add(Finding(id=str(uuid.uuid4()), inspection_id=insp.id, description="未按规定建立车辆技术档案",
                        legal_basis="《道路运输车辆技术管理规定》第二十六条"))
    session.flush()
    [violation] = referrals.ensure_violations(session, insp)
    assert violation.description == "未按规定建立车辆技术档案"


def test_a_negative_result_without_findings_is_still_a_violation(session, people):
    insp = create_submitted_inspection(session, status="approved", result_categories=["02"], follow_ups=["rectify"])
    [violation] = referrals.ensure_violations(session, insp)
    assert violation.description.startswith("检查结果：")


def test_closing_after_the_reconsideration_window_is_not_late(session, people):
    """The 3 days to ask for reconsideration are a right: accepting the 不予立案 after them is no late step."""
    office = people["office"]
    r = _criminal(session, office)
    crim.report(session, office, r.id)
    approvals.decide(session, people["leader"], r.approval_id, approve=True)
    crim.transfer(session, office, r.id, materials=FIVE)
    crim.receipt(session, office, r.id, receiver="张警官", happened_at="2024-10-09 11:00")
    crim.police_decision(session, office, r.id, filed=False, reason="证据不足", happened_at="2024-10-11 09:00")
    referrals.close(session, office, r.id, note="接受不予立案决定，依法给予行政处罚")
    closing = r.events[-1]
    assert (closing.step, closing.late, closing.due_at) == ("close", False, None)
    assert r.status == "closed" and r.closed_at is not None and r.outcome == "接受不予立案决定，依法给予行政处罚"
    assert (r.due_step, r.due_at) == ("", None)


def test_a_late_refusal_by_the_leader_is_recorded_as_late(session, people):
    r = _criminal(session, people["office"])
    crim.report(session, people["office"], r.id, happened_at="2024-09-02 10:00")  # decision due by 09-05
    approvals.decide(session, people["leader"], r.approval_id, approve=False, note="证据不足")
    refusal = r.events[-1]
    assert (refusal.step, refusal.late, refusal.due_at) == ("refused", True, end_of_day_utc(D(2024, 9, 5)))
    assert r.status == "refused" and r.closed_at is not None and (r.due_step, r.due_at) == ("", None)


def test_the_list_pages_newest_first_and_a_page_past_the_end_shows_the_last(session, people):
    office = people["office"]
    made = [referrals.create(session, office, kind="notify", inspection_id=_insp(session).id,
                             **{**LETTER, "doc_no": f"阳交移〔2024〕{n}号"}) for n in (1, 2, 3)]
    first = referrals.listing(session, office, page=1, per_page=2)
    assert (first.total, first.pages, [r.id for r in first.items]) == (3, 2, [made[2].id, made[1].id])
    last = referrals.listing(session, office, page=9, per_page=2)
    assert (last.page, [r.id for r in last.items]) == (2, [made[0].id])

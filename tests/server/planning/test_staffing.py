"""补派: a target the draw left unstaffed gets its group once the cause is gone, with a reason, the leader's
approval and its own sealed, witnessed draw; while it is staffed or its cause remains, nothing changes."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, ValidationError
from server.models.approvals import Approval
from server.models.inspections import Inspection
from server.models.planning import Draw, DrawRequest, DrawSeal
from server.models.registry import Recusal
from server.services.draw import checks
from server.services.kernel import approvals
from server.services.planning import staffing, supplementary
from tests.factories import create_inspector
from tests.server import drawkit

ALL = {"low": "1", "general": "1", "higher": "1", "high": "1"}


def _unstaffed(session):
    """Two general targets, two inspectors, one of whom must recuse from the first target: it is left unstaffed."""
    kit = drawkit.setup(session, targets_per_level=(0, 2, 0, 0), inspectors_per_dept=2, ratios=ALL)
    target = kit.targets[0]
    recusal = Recusal(inspector_id=kit.inspectors[0].id, target_uscc=target.uscc, reason="近亲属")
    session.add(recusal)
    session.flush()
    kit.main = drawkit.drawn(session, kit.office, kit.task.id, "监督人张三")
    session.commit()
    assert kit.main.record["unstaffed"] == [{"uscc": target.uscc, "reason": "符合条件的执法人员不足 2 人（回避后仅有 1 人可派）"}]
    kit.target, kit.recusal = target, recusal
    return kit


def _counts(session):
    return (session.scalar(select(func.count(DrawRequest.id))), session.scalar(select(func.count(Approval.id))),
            session.scalar(select(func.count(Draw.id))), session.scalar(select(func.count(Inspection.id))))


def test_a_request_while_the_cause_is_still_there_is_refused_and_nothing_changes(session):
    kit = _unstaffed(session)
    before = _counts(session)
    with pytest.raises(ValidationError) as err:
        staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.target.uscc, reason="再试一次")
    assert err.value.message == (f"对象 {kit.target.uscc} 仍无法派员：符合条件的执法人员不足 2 人（回避后仅有 1 人可派）。"
                                 f"请先处理原因（撤回回避、补充执法人员或更新资质、执法证）后再申请补派")
    session.rollback()
    assert _counts(session) == before


def test_once_the_recusal_is_withdrawn_the_target_is_staffed_by_its_own_sealed_draw(session):
    kit = _unstaffed(session)
    session.delete(kit.recusal)
    req = staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.target.uscc.lower(),
                                    reason="回避已撤回（该亲属已离职）")
    assert req.kind == "staff_target" and req.target_uscc == kit.target.uscc and req.inspection_id is None
    assert req.commitment == hashlib.sha256(bytes.fromhex(req.server_seed_hex)).hexdigest()
    assert session.get(Approval, req.approval_id).kind == "draw_staff_target"
    with pytest.raises(Conflict, match="尚未获得领导批准"):
        supplementary.seal_supplementary(session, kit.office, req.id)
    approvals.decide(session, kit.leader, req.approval_id, approve=True, note="同意")
    made = drawkit.drawn_request(session, kit.office, req.id, "监督人李四")
    record = made.record
    assert (made.kind, made.parent_draw_id, made.approved_by_id) == ("staff_target", kit.main.id, kit.leader.id)
    assert [s["uscc"] for s in record["selections"]] == [kit.target.uscc] and record["unstaffed"] == []
    assert record["staffs"] == {"uscc": kit.target.uscc, "unstaffed_reason": kit.main.record["unstaffed"][0]["reason"]}
    assert record["parent_record_sha256"] == kit.main.record_sha256 and checks.verify(record) == []
    inspection = session.scalars(select(Inspection).where(Inspection.draw_id == made.id)).one()
    assert inspection.target_snapshot["uscc"] == kit.target.uscc and len(inspection.active_members) == 2
    assert req.status == "drawn" and req.draw_id == made.id
    with pytest.raises(Conflict, match=f"对象 {kit.target.uscc} 已派员（已生成检查），不需要补派"):
        staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.target.uscc, reason="再派一次")


def test_a_target_that_was_staffed_or_never_unstaffed_cannot_be_asked_for(session):
    kit = _unstaffed(session)
    staffed = kit.targets[1].uscc
    with pytest.raises(ValidationError, match=f"对象 {staffed} 不是本任务抽取时无法派员的对象，不能补派"):
        staffing.request_staffing(session, kit.office, kit.task.id, uscc=staffed, reason="x")
    with pytest.raises(ValidationError, match="请填写补派的理由"):
        staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.target.uscc, reason=" ")
    assert session.scalar(select(func.count(DrawRequest.id))) == 0


def test_one_open_request_per_target_and_a_cause_back_before_the_seal_stops_it(session):
    kit = _unstaffed(session)
    newcomer = create_inspector(session, kit.depts[0])  # a third inspector: the group can be formed
    req = staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.target.uscc, reason="已补充执法人员")
    with pytest.raises(Conflict, match="已有尚未完成的补派申请"):
        staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.target.uscc, reason="已补充执法人员")
    approvals.decide(session, kit.leader, req.approval_id, approve=True)
    session.add(Recusal(inspector_id=newcomer.id, target_uscc=kit.target.uscc, reason="新人员也需回避"))
    session.commit()
    with pytest.raises(ValidationError, match="无法派员的原因仍然存在：符合条件的执法人员不足 2 人（回避后仅有 1 人可派）"):
        supplementary.seal_supplementary(session, kit.office, req.id)
    session.rollback()
    assert req.status == "approved"
    assert session.scalar(select(func.count(DrawSeal.id)).where(DrawSeal.request_id == req.id)) == 0


def test_the_task_page_lists_the_unstaffed_target_with_its_staffing_form(client, login, session):
    kit = _unstaffed(session)
    login(kit.office)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "无法派员的对象（未生成检查）" in page and "申请补派" in page and kit.target.uscc in page
    page = client.post(f"/office/tasks/{kit.task.id}/staffing", data={"uscc": kit.target.uscc, "reason": "再试"},
                       follow_redirects=True).get_data(as_text=True)
    assert "仍无法派员" in page and session.scalar(select(func.count(DrawRequest.id))) == 0
    session.delete(session.get(Recusal, kit.recusal.id))
    session.commit()
    page = client.post(f"/office/tasks/{kit.task.id}/staffing", data={"uscc": kit.target.uscc, "reason": "回避已撤回"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已提交补派申请" in page and "补派申请待领导审批" in page
    assert "补派（为无法派员的对象派员）" in page  # the requests table names the kind
    client.post("/office/logout")
    login(kit.leader)
    inbox = client.get("/office/approvals").get_data(as_text=True)  # the leader sees it, and where to look
    assert "补派（为无法派员的对象派员）" in inbox and f'href="/office/tasks/{kit.task.id}#unstaffed"' in inbox

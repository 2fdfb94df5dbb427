"""Annual plans: versions and states, leader approval, adjustment with a reason, 备案 export, pages."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.services.kernel import approvals
from server.services.planning import plans
from tests.factories import create_user
from tests.server import drawkit

ENTRY = {"name": "道路旅客运输经营抽查", "task_type": "不定向", "ratio": "5%", "period_start": "2024-04-01",
         "period_end": "2024-10-31"}


def _actions(session, plan) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "plans",
                                                                AuditEntry.object_id == str(plan.id))
                                .order_by(AuditEntry.seq)))


def test_plan_goes_draft_approved_published_with_a_leaders_approval(session):
    office, leader = drawkit.people(session)
    plan = plans.create_plan(session, office, year=2024, name="2024年度抽查计划", entries=[ENTRY])
    assert (plan.status, plan.code, plans.current(plan).status) == ("draft", "JH202401", "draft")
    with pytest.raises(Conflict, match="须经领导批准后才能公布"):
        plans.publish_plan(session, office, plan.id)
    approval = plans.submit_plan(session, office, plan.id)
    with pytest.raises(Conflict, match="正在等待领导审批"):
        plans.update_plan(session, office, plan.id, description="改", entries=[ENTRY])
    with pytest.raises(PermissionDenied, match="您没有执行此操作的权限"):  # office staff never approve
        approvals.decide(session, office, approval.id, approve=True)
    approvals.decide(session, leader, approval.id, approve=True)
    assert plan.status == "approved" and plans.current(plan).approved_by_id == leader.id
    plans.publish_plan(session, office, plan.id)
    assert plan.status == "published" and plan.published_version == 1
    assert _actions(session, plan) == ["plan.create", "plan.approve", "plan.publish"]


def test_adjustment_needs_a_reason_and_approval_and_keeps_every_version(session):
    office, leader = drawkit.people(session)
    plan = drawkit.published_plan(session, office, leader)
    plans.start_adjustment(session, office, plan.id)
    assert plan.status == "adjusting" and plans.in_force(plan).version == 1
    plans.update_plan(session, office, plan.id, description="增加出租汽车抽查",
                      entries=[ENTRY, {"name": "巡游出租汽车经营服务抽查", "ratio": "10%"}])
    with pytest.raises(ValidationError, match="调整年度抽查计划必须填写调整理由"):
        plans.submit_plan(session, office, plan.id, "  ")
    approval = plans.submit_plan(session, office, plan.id, "群众投诉集中，增加出租汽车专项")
    approvals.decide(session, leader, approval.id, approve=True)
    plans.publish_plan(session, office, plan.id)
    v1, v2 = plan.versions
    assert (v1.status, v2.status, v2.reason) == ("superseded", "published", "群众投诉集中，增加出租汽车专项")
    assert v1.content["entries"][0]["name"] == "道路货运经营抽查"  # the old version is untouched
    assert [v.version for v in plans.public_versions(plan)] == [2, 1] and plan.published_version == 2
    assert _actions(session, plan) == ["plan.create", "plan.approve", "plan.publish", "plan.adjust", "plan.update",
                                       "plan.approve", "plan.republish"]


def test_rejected_plan_stays_editable_and_the_reason_is_kept(session):
    office, leader = drawkit.people(session)
    plan = plans.create_plan(session, office, year=2024, name="计划", entries=[ENTRY])
    approval = plans.submit_plan(session, office, plan.id)
    approvals.decide(session, leader, approval.id, approve=False, note="比例过低")
    assert plan.status == "draft" and approval.decision_note == "比例过低"
    plans.update_plan(session, office, plan.id, description="提高比例", entries=[ENTRY])
    assert "plan.reject" in _actions(session, plan)


def test_bad_plan_input_is_refused_with_nothing_stored(session):
    office, _ = drawkit.people(session)
    with pytest.raises(ValidationError, match="请填写正确的年度（如 2024）；请填写计划名称"):
        plans.create_plan(session, office, year="二〇二四", name="")
    with pytest.raises(ValidationError, match="计划第 1 项缺少抽查任务名称"):
        plans.create_plan(session, office, year=2024, name="计划", entries=[{"ratio": "5%"}])
    plan = plans.create_plan(session, office, year=2024, name="计划")
    with pytest.raises(ValidationError, match="计划中还没有任何抽查任务安排"):
        plans.submit_plan(session, office, plan.id)
    with pytest.raises(PermissionDenied):
        plans.create_plan(session, create_user(session, role="leader"), year=2024, name="计划")


def test_published_plan_cannot_be_edited_without_an_adjustment(session):
    office, leader = drawkit.people(session)
    plan = drawkit.published_plan(session, office, leader)
    with pytest.raises(Conflict, match="不能修改；如需调整请先发起计划调整"):
        plans.update_plan(session, office, plan.id, description="x", entries=[ENTRY])


def test_export_for_filing_has_the_plan_its_tasks_and_versions(session):
    kit = drawkit.setup(session)
    from server.services.planning import plan_export
    wb = load_workbook(io.BytesIO(plan_export.plan_workbook(session, kit.plan)))
    assert wb.sheetnames == ["年度抽查计划", "抽查任务", "版本记录"]
    sheet = wb["年度抽查计划"]
    assert sheet["A1"].value == "2024年度“双随机、一公开”抽查工作计划（备案）"
    assert sheet["B2"].value == kit.plan.code
    tasks_sheet = wb["抽查任务"]
    assert [c.value for c in tasks_sheet[1]][:3] == ["任务编号", "任务名称", "抽查类型"]
    row = [c.value for c in tasks_sheet[2]]
    assert row[0] == kit.task.code and row[2] == "不定向" and row[5] == "3% / 5% / 20% / 50%"
    assert row[4] == "类别：道路普通货物运输"
    assert row[-1] == kit.task.commitment
    assert [c.value for c in wb["版本记录"][2]][:2] == ["第 1 版", "已公布"]


# --- pages ---------------------------------------------------------------------------------------------------

def test_office_creates_edits_and_submits_a_plan_through_the_pages(client, login, session):
    office, leader = drawkit.people(session)
    session.commit()
    login(office)
    resp = client.post("/office/plans", data={"year": "2024", "name": "2024年度计划"})
    assert resp.status_code == 302
    plan = session.scalars(select(plans.Plan)).one()
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2024年度计划" in page and "保存计划内容" in page
    resp = client.post(f"/office/plans/{plan.id}/edit", data={
        "name": "2024年度计划", "description": "<script>alert(1)</script>", "entry_count": "2",
        "entry-0-name": "货运抽查", "entry-0-ratio": "5%", "entry-1-name": ""}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "计划内容已保存" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    page = client.post(f"/office/plans/{plan.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "已提交领导审批" in page and "待领导审批" in page
    client.post("/office/logout")
    login(leader)
    page = client.get(f"/office/plans/{plan.id}").get_data(as_text=True)
    assert "批准" in page
    approval_id = session.scalars(select(approvals.Approval.id)).one()
    page = client.post(f"/office/approvals/{approval_id}/decide-here",
                       data={"decision": "approve", "back": f"/office/plans/{plan.id}"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已批准" in page and "已批准待公布" in page


def test_plan_page_errors_are_shown_and_export_downloads(client, login, session):
    kit = drawkit.setup(session)
    session.commit()
    login(kit.office)
    page = client.post("/office/plans", data={"year": "", "name": ""}).get_data(as_text=True)
    assert "请填写正确的年度（如 2024）" in page
    resp = client.get(f"/office/plans/{kit.plan.id}/export.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert "attachment" in resp.headers["Content-Disposition"]


def test_inspectors_cannot_open_the_planning_pages(client, login, session):
    inspector = create_user(session, role="inspector")
    session.commit()
    login(inspector)
    assert client.get("/office/plans").status_code == 403


def test_public_plans_page_lists_every_published_version(client, session):
    office, leader = drawkit.people(session)
    plan = drawkit.published_plan(session, office, leader)
    plans.start_adjustment(session, office, plan.id)
    approval = plans.submit_plan(session, office, plan.id, "新增专项")
    approvals.decide(session, leader, approval.id, approve=True)
    plans.publish_plan(session, office, plan.id)
    draft = plans.create_plan(session, office, year=2025, name="尚未公布的计划", entries=[ENTRY])
    session.commit()
    page = client.get("/public/plans").get_data(as_text=True)
    assert "第 2 版" in page and "（现行）" in page and "第 1 版" in page and "已被新版本取代" in page
    assert "调整理由：新增专项" in page and draft.name not in page

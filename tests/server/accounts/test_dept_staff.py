"""A department's staff account (dept_staff) sees only its department's work: the tasks its department takes
part in, their inspections and results, and its own inspectors. Checked in the services, object by object."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from server.errors import PermissionDenied, ValidationError
from server.models.accounts import User
from server.services import dashboard
from server.services.fieldwork import mutations
from server.services.fieldwork.inspection_list import list_inspections
from server.services.followup import publication, review
from server.services.planning import plans, tasks
from server.services.registry import search
from tests.factories import (create_department, create_inspector, create_submitted_inspection, create_task,
                             create_user)


def _text(resp) -> str:
    return re.sub(r"\s+", " ", resp.get_data(as_text=True))


@pytest.fixture
def world(session):
    """The bureau's 执法队 with a task of its own; 县市场监督管理局 joins a second, joint task."""
    zfd = create_department(session, code="ZFD", name="执法队")
    scj = create_department(session, code="SCJ", name="县市场监督管理局", kind="external")
    office = create_user(session, role="office")
    plan = plans.create_plan(session, office, year=2024, name="2024年度计划", entries=[{"name": "出租汽车联合抽查"}])
    own = create_task(session, departments=[zfd], code="T-OWN", name="维修企业抽查", status="drawn", plan_id=plan.id)
    joint = create_task(session, departments=[zfd, scj], code="T-JOINT", name="出租汽车联合抽查", status="drawn",
                        plan_id=plan.id)
    theirs = create_submitted_inspection(session, task=joint, inspectors=[create_inspector(session, zfd),
                                                                          create_inspector(session, scj)])
    ours = create_submitted_inspection(session, task=own)
    staff = create_user(session, role="dept_staff", username="scjstaff", department_id=scj.id)
    for insp in (theirs, ours):
        review.approve(session, office, insp.id)
    return SimpleNamespace(plan=plan, zfd=zfd, scj=scj, own=own, joint=joint, theirs=theirs, ours=ours, office=office,
                           staff=staff)


def test_tasks_of_other_departments_are_refused(session, world):
    assert tasks.get_visible_task(session, world.staff, world.joint.id) is world.joint
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        tasks.get_visible_task(session, world.staff, world.own.id)
    assert tasks.get_visible_task(session, world.office, world.own.id) is world.own


def test_a_department_reads_only_published_plans(session, world):
    assert plans.list_plans(session, world.staff) == []
    with pytest.raises(PermissionDenied, match="该计划尚未公布"):
        plans.get_readable_plan(session, world.staff, world.plan.id)
    assert plans.list_plans(session, world.office) == [world.plan]


def test_a_plans_tasks_are_filtered_to_the_department(session, world):
    assert [t.code for t in tasks.plan_tasks(session, world.plan, world.staff)] == ["T-JOINT"]
    assert [t.code for t in tasks.plan_tasks(session, world.plan, world.office)] == ["T-JOINT", "T-OWN"]


def test_the_inspection_list_and_detail_hold_only_the_departments_tasks(session, world):
    page, _ = list_inspections(session, world.staff)
    assert [i.id for i in page.items] == [world.theirs.id] and page.total == 1
    assert list_inspections(session, world.staff, text="T-OWN")[0].total == 0
    assert mutations.get_visible(session, world.staff, world.theirs.id) is world.theirs
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        mutations.get_visible(session, world.staff, world.ours.id)
    assert list_inspections(session, world.office)[0].total == 2


def test_results_of_other_departments_tasks_are_refused(session, world):
    page = publication.listing(session, actor=world.staff)
    assert page.total == 1 and [p.inspection_id for p in page.items] == [world.theirs.id]
    mine = page.items[0]
    assert publication.get(session, world.staff, mine.id) is mine
    other = session.scalar(select(publication.Publication).where(
        publication.Publication.inspection_id == world.ours.id))
    with pytest.raises(PermissionDenied, match="公示记录所属的抽查任务没有您所在的部门参与"):
        publication.get(session, world.staff, other.id)
    assert publication.listing(session, actor=world.office).total == 2


def test_the_review_queue_and_detail_are_scoped_and_read_only(session, world):
    waiting = create_submitted_inspection(session, task=world.joint, inspectors=[
        create_inspector(session, world.zfd), create_inspector(session, world.scj)])
    create_submitted_inspection(session, task=world.own)
    # the joint task names no item of 县市场监督管理局, so it has no part to review (谁检查、谁审核): its queue is
    # empty, the inspection is still its to read (tests/server/followup/test_joint_review.py: its own part)
    assert review.queue(session, world.staff).total == 0
    detail = review.detail(session, world.staff, waiting.id)
    assert detail["inspection"] is waiting and detail["can_review"] is False
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        review.detail(session, world.staff, world.ours.id)
    with pytest.raises(PermissionDenied):  # reading is not deciding: the bureau's staff approve
        review.approve(session, world.staff, waiting.id)
    assert review.queue(session, world.office).total == 2


def test_only_the_departments_own_inspectors(session, world):
    page = search.search_inspectors(session, world.staff, department_id=world.zfd.id)
    assert {i.department_id for i in page.items} == {world.scj.id} and page.total == 1
    scj_person = page.items[0]
    assert search.get_inspector(session, world.staff, scj_person.id) is scj_person
    zfd_person = session.scalar(select(search.Inspector).where(search.Inspector.department_id == world.zfd.id))
    with pytest.raises(PermissionDenied, match="不属于您所在的部门"):
        search.get_inspector(session, world.staff, zfd_person.id)
    with pytest.raises(PermissionDenied, match="部门工作人员账号不能导出名录库"):
        search.require_exporter(world.staff)
    with pytest.raises(PermissionDenied, match="只有系统管理员和科室工作人员可以修改或导入名录库"):
        search.require_editor(world.staff)


def test_the_dashboard_shows_the_departments_work(session, world):
    panels = dashboard.panels(session, world.staff)
    assert [p["title"] for p in panels] == ["本部门的联合抽查", "本部门审核与公示"]
    counts = {label: n for p in panels for label, n, _ in p["rows"]}
    assert counts["本部门参与的任务"] == 1 and counts["本部门执法人员"] == 1
    assert counts["待本部门审核的检查结果"] == 0 and counts["本部门待公示的结果"] == 0


def test_an_account_without_a_department_sees_nothing(session, world):
    stray = world.staff
    stray.department_id = None
    with pytest.raises(PermissionDenied, match="您的账号没有所属部门"):
        list_inspections(session, stray)


def test_a_dept_staff_account_needs_an_active_department(session):
    from server.services.accounts import users
    admin = create_user(session, role="admin")
    with pytest.raises(ValidationError, match="部门工作人员账号必须选择所属部门"):
        users.create_user(session, admin, username="scj", password="password123", role="dept_staff")
    closed = create_department(session, is_active=False, name="已撤并部门")
    with pytest.raises(ValidationError, match="已停用，不能为其新建工作人员账号"):
        users.create_user(session, admin, username="scj", password="password123", role="dept_staff",
                          department_id=closed.id)
    made = users.create_user(session, admin, username="scj", password="password123", role="dept_staff",
                             department_id=create_department(session).id)
    assert made.role == "dept_staff"


# --- pages ---------------------------------------------------------------------------------------------------

def test_admin_makes_a_dept_staff_account_on_the_users_page(client, login, session):
    admin = create_user(session, role="admin")
    scj = create_department(session, name="县市场监督管理局")
    session.commit()
    login(admin)
    page = _text(client.get("/office/users"))
    assert '<option value="dept_staff"' in page and "部门工作人员" in page
    resp = client.post("/office/users", data={"username": "scjstaff", "password": "password123", "role": "dept_staff",
                                              "department_id": str(scj.id), "display_name": "常文静"})
    assert resp.status_code == 302
    user = session.scalar(select(User).where(User.username == "scjstaff"))
    assert (user.role, user.department_id) == ("dept_staff", scj.id)


def test_pages_of_other_departments_tasks_are_refused(client, login, session, world):
    from server.services.kernel import approvals
    leader = create_user(session, role="leader")
    approvals.decide(session, leader, plans.submit_plan(session, world.office, world.plan.id).id, approve=True)
    plans.publish_plan(session, world.office, world.plan.id)
    session.commit()
    login(world.staff, c=client)
    nav = _text(client.get("/office/"))
    assert "计划与任务" in nav and "检查记录" in nav and "本部门的联合抽查" in nav
    assert "用户" not in nav and "移送" not in nav and "文书打印" not in nav
    assert client.get(f"/office/tasks/{world.joint.id}").status_code == 200
    plan_page = _text(client.get(f"/office/plans/{world.plan.id}"))
    assert "T-JOINT" in plan_page and "T-OWN" not in plan_page and "只列出您所在部门参与的任务" in plan_page
    refused = client.get(f"/office/tasks/{world.own.id}")
    assert refused.status_code == 403 and "没有您所在的部门参与" in _text(refused)
    assert client.get(f"/office/inspections/{world.ours.id}").status_code == 403
    assert client.get(f"/office/review/{world.ours.id}").status_code == 403
    listing = _text(client.get("/office/inspections"))
    assert "T-JOINT" in listing and "T-OWN" not in listing
    pubs = _text(client.get("/office/publications"))
    assert "出租汽车联合抽查" in pubs and "维修企业抽查" not in pubs and "提交领导审批" not in pubs
    assert client.post(f"/office/review/{world.theirs.id}/approve").status_code == 403
    assert client.post(f"/office/tasks/{world.joint.id}/publish").status_code == 403

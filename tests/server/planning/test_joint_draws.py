"""联合抽查 drawn in parts: the initiating department's draw selects the targets and staffs its own part; each
cooperating department then seals and draws one member per target from its own inspectors, with its own seed
and witness. Phones see an inspection only when its group is complete; every part verifies."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, DrawRequest, DrawSeal
from server.services.draw import checks, joint_checks
from server.services.planning import department_draws, draws, pages, tasks
from tests.factories import create_department, create_user
from tests.server import drawkit, jointkit


def _counts(session):
    return tuple(session.scalar(select(func.count(m.id))) for m in (Draw, DrawSeal, DrawRequest, InspectionMember))


def test_the_initiating_draw_staffs_its_part_and_holds_the_inspections_back(session):
    kit = jointkit.setup(session)
    main = drawkit.drawn(session, kit.office, kit.task.id, "监督人张三")
    assert main.record["task"]["group_size"] == 1
    assert main.record["task"]["departments"] == [{"code": "ZFD", "name": "交通运输综合行政执法队"}]
    assert main.record["task"]["joint_departments"] == [{"code": "SCJ", "name": "县市场监督管理局"}]
    assert {i["cert_no"] for i in main.record["inspectors"]} == {p.cert_no for p in kit.ours}
    made = session.scalars(select(Inspection).where(Inspection.task_id == kit.task.id)).all()
    assert len(made) == 3 and not any(i.group_complete for i in made)
    assert all([m.department_id for m in i.members] == [kit.zfd.id] for i in made)
    checklist = made[0].checklist_snapshot
    assert [(c["code"], c["department"]["name"]) for c in checklist] == [
        ("JT007", "交通运输综合行政执法队"), ("SCJ001", "县市场监督管理局")]
    [part] = department_draws.parts(session, kit.task)
    assert (part.department.name, part.label) == ("县市场监督管理局", "待封存")
    assert part.request.commitment and part.request.commitment != kit.task.commitment


def test_a_department_draws_its_own_members_with_its_own_seed_and_witness(session):
    kit = jointkit.setup(session)
    main = drawkit.drawn(session, kit.office, kit.task.id, "监督人张三")
    made = jointkit.department_drawn(session, kit.staff, kit.task.id, kit.scj.id, "市场监管局监督人李四")
    record = made.record
    assert made.kind == "department" and made.parent_draw_id == main.id and made.drawn_by_id == kit.staff.id
    assert record["witness_entropy"] == "市场监管局监督人李四" and record["parent_record_sha256"] == main.record_sha256
    assert record["task"]["department"] == {"code": "SCJ", "name": "县市场监督管理局"}
    assert record["task"]["items"] == [{"code": "SCJ001", "name": "出租汽车计价器计量和价格行为"}]
    assert sorted(s["uscc"] for s in record["selections"]) == sorted(a["uscc"] for a in main.record["assignments"])
    assert all(len(a["inspectors"]) == 1 and a["inspectors"][0]["department"] == "SCJ" for a in record["assignments"])
    loads = sorted(sum(1 for a in record["assignments"] if a["inspectors"][0]["cert_no"] == p.cert_no)
                   for p in kit.theirs)
    assert loads == [1, 2]  # least loaded first: three targets over two inspectors
    inspections = session.scalars(select(Inspection).where(Inspection.task_id == kit.task.id)).all()
    assert all(i.group_complete and {m.department_id for m in i.members} == {kit.zfd.id, kit.scj.id}
               for i in inspections)
    [part] = department_draws.parts(session, kit.task)
    assert part.label == "已抽取"
    published = pages.published_for(session, kit.task, made)
    assert published["commitment"] == part.request.commitment
    assert checks.verify(record, published) == []
    assert checks.verify(main.record, pages.published_for(session, kit.task, main)) == []
    assert joint_checks.verify_bundle({"records": [main.record, record]}) == []


def test_a_department_draw_before_the_target_draw_is_refused_and_changes_nothing(session):
    kit = jointkit.setup(session)
    before = _counts(session)
    with pytest.raises(Conflict, match="发起部门尚未抽取检查对象，“县市场监督管理局”还不能抽取本部门人员"):
        department_draws.seal_department_draw(session, kit.staff, kit.task.id, kit.scj.id)
    with pytest.raises(Conflict, match="发起部门尚未抽取检查对象"):
        department_draws.run_department_draw(session, kit.office, kit.task.id, kit.scj.id, witness_entropy="x",
                                             confirmed=True)
    assert _counts(session) == before


def test_a_department_draw_attempted_twice_is_refused_and_changes_nothing(session):
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    first = jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    before = _counts(session)
    for attempt in (lambda: department_draws.seal_department_draw(session, kit.staff, kit.task.id, kit.scj.id),
                    lambda: department_draws.run_department_draw(session, kit.staff, kit.task.id, kit.scj.id,
                                                                 witness_entropy="再来一次", confirmed=True)):
        with pytest.raises(Conflict, match="已于 .* 完成本部门人员抽取，结果已锁定，不能重复抽取"):
            attempt()
    assert _counts(session) == before
    assert session.get(Draw, first.id).record_sha256 == first.record_sha256


def test_only_that_departments_staff_or_the_office_may_draw_its_members(session):
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    other = create_department(session, code="JJ", name="县公安局交警大队", kind="external")
    stranger = create_user(session, role="dept_staff", department_id=other.id)
    leader = kit.leader
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        department_draws.seal_department_draw(session, stranger, kit.task.id, kit.scj.id)
    with pytest.raises(PermissionDenied):
        department_draws.seal_department_draw(session, leader, kit.task.id, kit.scj.id)
    with pytest.raises(Conflict, match="不是本任务中自行抽取人员的配合部门"):
        department_draws.seal_department_draw(session, kit.office, kit.task.id, kit.zfd.id)
    with pytest.raises(PermissionDenied, match="请先登录|权限"):
        draws.seal_draw(session, kit.staff, kit.task.id)  # the initiating draw stays the bureau's


def test_a_dept_staff_account_sees_no_other_departments_tasks(session):
    kit = jointkit.setup(session)
    own = tasks.create_task(session, kit.office, kit.plan.id, drawkit.task_data([kit.transport], [kit.zfd],
                                                                                 name="执法队自己的任务"))
    assert tasks.get_visible_task(session, kit.staff, kit.task.id) is kit.task
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        tasks.get_visible_task(session, kit.staff, own.id)


def test_a_joint_task_whose_cooperating_department_has_no_qualified_inspector_is_refused(session):
    with pytest.raises(ValidationError) as err:
        jointkit.setup(session, scj_tags=("价格",))
    assert "配合部门“县市场监督管理局”没有符合条件的执法人员（在岗、执法证在任务期间全程有效、具备资质：市场监管），" \
           "无法抽取本部门的检查人员" in err.value.message
    assert err.value.errors["department_ids"]


def test_an_item_given_to_a_department_outside_the_task_is_refused(session):
    kit = jointkit.setup(session, publish=False)
    outsider = create_department(session, code="YJ", name="县应急管理局", kind="external")
    data = drawkit.task_data([kit.transport, kit.pricing], [kit.zfd, kit.scj], ratios=dict(jointkit.ALL),
                             item_departments={str(kit.pricing.id): outsider.id})
    with pytest.raises(ValidationError, match="检查部门不是本任务的参与部门"):
        tasks.update_task(session, kit.office, kit.task.id, data)
    assert kit.task.item_departments[str(kit.pricing.id)] == kit.scj.id


def test_the_bundle_check_names_a_department_part_over_other_targets(session):
    kit = jointkit.setup(session)
    main = drawkit.drawn(session, kit.office, kit.task.id)
    made = jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    forged = dict(made.record, parent_record_sha256="0" * 64)
    problems = joint_checks.verify_bundle({"records": [main.record, forged]})
    assert any("配合部门“县市场监督管理局”的抽取记录所依据的发起部门记录摘要" in p for p in problems)


def test_a_department_whose_inspectors_left_since_the_task_was_published_cannot_seal(session):
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    for person in kit.theirs:
        person.status = "inactive"
    session.flush()
    before = _counts(session)
    with pytest.raises(ValidationError, match="“县市场监督管理局”没有符合条件的执法人员.*未封存；请先在执法人员名录库中补充本部门人员"):
        department_draws.seal_department_draw(session, kit.staff, kit.task.id, kit.scj.id)
    assert _counts(session) == before


def test_a_cooperating_department_waiting_to_draw_cannot_be_deactivated(session):
    from server.services.registry import departments
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    admin = create_user(session, role="admin")
    with pytest.raises(Conflict) as err:
        departments.deactivate(session, admin, kit.scj.id, "撤销联合")
    assert "部门“县市场监督管理局”还有未完成的工作，不能停用。尚未办结的检查：" in err.value.message
    assert kit.firms[0].name in err.value.message or kit.firms[1].name in err.value.message
    assert kit.scj.is_active


def test_a_joint_task_cannot_close_while_a_department_has_not_drawn(session):
    from server.services.planning import task_closing
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    blockers = task_closing.progress(session, kit.task)["blockers"]
    assert {b["key"]: b["text"] for b in blockers}["joint"] == "1 个配合部门尚未抽取本部门人员"
    assert "requests_approved" not in {b["key"] for b in blockers}
    jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    assert "joint" not in {b["key"] for b in task_closing.progress(session, kit.task)["blockers"]}


def test_a_target_the_department_cannot_staff_stays_off_the_phones_and_is_shown(session, client, login):
    from server.models.registry import Recusal
    kit = jointkit.setup(session, targets=1, scj_inspectors=1)
    main = drawkit.drawn(session, kit.office, kit.task.id)
    session.add(Recusal(inspector_id=kit.theirs[0].id, target_uscc=kit.firms[0].uscc, reason="近亲属"))
    session.flush()
    made = jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    assert made.record["unstaffed"] == [{"uscc": kit.firms[0].uscc,
                                         "reason": "部门“县市场监督管理局”没有可派的执法人员（回避或已在本组后无人符合条件）"}]
    assert main.record["assignments"] and not session.scalar(select(Inspection)).group_complete
    session.commit()
    login(kit.office, c=client)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert f"无法派员：{kit.firms[0].uscc}" in page and "该对象的检查组不完整，暂不发送到手机" in page

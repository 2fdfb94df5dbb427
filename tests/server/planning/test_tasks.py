"""Tasks: every bad input refused with its Chinese message and nothing stored; preview; publishing; pages."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, ValidationError
from server.models.inspections import Inspection
from server.models.planning import Draw, DrawSeal, Task
from server.services.planning import draws, tasks
from tests.factories import create_department, create_inspector, create_item
from tests.server import drawkit


@pytest.fixture
def kit(session):
    return drawkit.setup(session, publish=False)


def _refused(session, kit, message, **changes):
    before = session.scalar(select(func.count(Task.id)))
    with pytest.raises(ValidationError) as err:
        tasks.create_task(session, kit.office, kit.plan.id, drawkit.task_data([kit.item], kit.depts, **changes))
    assert message in err.value.message, err.value.message
    assert session.scalar(select(func.count(Task.id))) == before
    return err.value


def test_an_item_not_on_the_published_list_is_refused(session, kit):
    draft = create_item(session, status="draft", code="JT-900", name="未发布事项")
    _refused(session, kit, "抽查事项“JT-900 未发布事项”不在已发布的抽查事项清单中，不能纳入抽查任务",
             item_ids=[kit.item.id, draft.id])
    _refused(session, kit, "抽查事项（编号 999999）不存在，不在抽查事项清单中", item_ids=[999999])
    _refused(session, kit, "请至少选择一个抽查事项", item_ids=[])


@pytest.mark.parametrize("value, message", [
    ("1.2", "“较高”风险等级的抽取比例应在 0% 到 100% 之间（当前为 120%）"),
    ("-0.05", "“较高”风险等级的抽取比例应在 0% 到 100% 之间（当前为 -5%）"),
    ("abc", "“较高”风险等级的抽取比例“abc”不是有效的数字"),
    ("0.12345", "“较高”风险等级的抽取比例最多保留 2 位小数的百分比（如 3.25%）"),
])
def test_a_ratio_outside_0_to_100_percent_is_refused(session, kit, value, message):
    err = _refused(session, kit, message, ratios={**drawkit.DEFAULT_RATIOS, "higher": value})
    assert err.errors["ratios.higher"] == message


def test_a_group_below_two_is_refused(session, kit):
    _refused(session, kit, "每个检查对象至少派 2 名执法人员（检查组人数不能少于 2）", group_size=1)


def test_a_joint_task_with_a_department_without_qualified_inspectors_is_refused(session, kit):
    empty = create_department(session, name="运输管理股")
    create_inspector(session, empty, cert_expires_on=dt.date(2024, 6, 30))  # expires during the task
    _refused(session, kit, "部门“运输管理股”没有符合条件的执法人员（在岗、执法证在任务期间全程有效、具备资质：无特殊资质要求），"
                           "请调整参与部门或先补充执法人员", cooperating_department_ids=[empty.id])


def test_a_qualification_nobody_holds_is_refused(session, kit):
    dangerous = create_item(session, qualification_tags=["危货"])
    _refused(session, kit, "具备资质：危货", item_ids=[dangerous.id])


def test_other_bad_input(session, kit):
    _refused(session, kit, "任务结束日期不能早于开始日期", period_start=dt.date(2024, 5, 1),
             period_end=dt.date(2024, 4, 1))
    _refused(session, kit, "不定向抽查从所选事项的全部检查对象中抽取，不能按类别、标签或乡镇筛选",
             scope={"regions": ["北留镇"]})
    _refused(session, kit, "定向抽查请至少设置一项筛选条件", task_type="directed")
    _refused(session, kit, "联合抽查每个部门至少派 1 人，检查组人数（2）不能少于参与部门数（3）",
             cooperating_department_ids=[create_department(session).id, create_department(session).id])
    err = _refused(session, kit, "靶向检查须填写检查事由", task_type="targeted", target_usccs=["91140522000000000X"])
    assert err.errors["target_usccs"] == "统一社会信用代码 91140522000000000X 不在检查对象名录库中"
    assert err.errors["targeted_source_doc"].startswith("靶向检查须填写来源文件")


def test_ratios_are_stored_as_exact_decimal_strings(session, kit):
    task = tasks.create_task(session, kit.office, kit.plan.id, drawkit.task_data(
        [kit.item], kit.depts, ratios={"low": "0.030", "general": "0.0525", "higher": "0.2", "high": "1"}))
    assert task.ratios == {"low": "0.03", "general": "0.0525", "higher": "0.2", "high": "1"}
    assert task.status == "draft" and task.code == f"{kit.plan.code}-02"


def test_preview_shows_the_overall_ratio_and_warns_below_3_percent(session):
    kit = drawkit.setup(session, targets_per_level=(0, 100, 0, 0), publish=False,
                        ratios={"low": "0.01", "general": "0.02", "higher": "0.2", "high": "0.5"})
    preview = tasks.preview(session, kit.task)
    assert (preview["population"], preview["selected"], preview["overall_text"]) == (100, 2, "2%")
    assert preview["warning"] == ("总体抽查比例为 2%，低于 3%（实施方案要求随机抽查占比不低于 3%），"
                                  "请提高各风险等级的抽取比例")
    kit.task.ratios = dict(kit.task.ratios, general="0.07")
    preview = tasks.preview(session, kit.task)
    assert preview["selected"] == 7 and preview["warning"] is None  # ceil(100 × 0.07) = 7, not 8


def test_publishing_makes_the_seed_and_publishes_its_commitment_then_locks_the_task(session, kit):
    tasks.publish_task(session, kit.office, kit.task.id)
    seed = bytes.fromhex(kit.task.server_seed_hex)
    assert len(seed) == 32 and kit.task.commitment == hashlib.sha256(seed).hexdigest()
    with pytest.raises(Conflict, match="任务已发布，参数已公开并锁定，不能再修改"):
        tasks.update_task(session, kit.office, kit.task.id, drawkit.task_data([kit.item], kit.depts))
    with pytest.raises(Conflict, match="任务已发布，不能重复发布"):
        tasks.publish_task(session, kit.office, kit.task.id)


def test_a_task_under_an_unpublished_plan_cannot_be_published(session):
    from server.services.planning import plans
    office, _ = drawkit.people(session)
    plan = plans.create_plan(session, office, year=2024, name="草稿计划")
    dept = create_department(session)
    create_inspector(session, dept), create_inspector(session, dept)
    task = tasks.create_task(session, office, plan.id, drawkit.task_data([create_item(session)], [dept]))
    with pytest.raises(Conflict, match="所属年度抽查计划尚未公布，任务不能发布"):
        tasks.publish_task(session, office, task.id)


# --- pages ---------------------------------------------------------------------------------------------------

def _form(kit, **changes) -> dict:
    data = {"name": "货运抽查", "task_type": "undirected", "item_ids": [str(kit.item.id)], "group_size": "2",
            "ratio_low": "3", "ratio_general": "5", "ratio_higher": "20", "ratio_high": "50", "exclusion_months": "12",
            "lead_department_id": str(kit.depts[0].id), "period_start": "2024-04-01", "period_end": "2024-10-31"}
    data.update(changes)
    return data


def test_task_form_keeps_what_was_typed_and_names_the_bad_ratio(client, login, session, kit):
    session.commit()
    login(kit.office)
    assert "各风险等级的抽取比例" in client.get(f"/office/plans/{kit.plan.id}/tasks/new").get_data(as_text=True)
    resp = client.post(f"/office/plans/{kit.plan.id}/tasks/new", data=_form(kit, ratio_higher="120", name="我的任务"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "“较高”风险等级的抽取比例应在 0% 到 100% 之间（当前为 120%）" in page
    assert 'value="我的任务"' in page and 'value="120"' in page


def test_task_edit_shows_the_form_again_with_what_was_wrong_and_then_saves(client, login, session, kit):
    session.commit()
    login(kit.office)
    resp = client.post(f"/office/tasks/{kit.task.id}/edit", data=_form(kit, ratio_low="-1", name="改过的任务"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "“低”风险等级的抽取比例应在 0% 到 100% 之间" in page
    assert 'value="改过的任务"' in page and 'value="-1"' in page
    session.expire_all()
    assert kit.task.name == "道路货物运输经营抽查"
    page = client.post(f"/office/tasks/{kit.task.id}/edit", data=_form(kit, name="改过的任务"),
                       follow_redirects=True).get_data(as_text=True)
    assert "任务已保存" in page and "改过的任务" in page


def test_office_drafts_publishes_and_draws_a_task_with_a_witness(client, login, session, kit):
    session.commit()
    login(kit.office)
    resp = client.post(f"/office/plans/{kit.plan.id}/tasks/new", data=_form(kit, ratio_low="1", ratio_general="1",
                                                                             ratio_higher="1", ratio_high="1"))
    assert resp.status_code == 302
    task = session.scalars(select(Task).where(Task.name == "货运抽查")).one()
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "总体抽查比例 <strong>10%</strong>" in page and "低于 3%" not in page  # ceil(10 × 1%) = 1 per level
    page = client.post(f"/office/tasks/{task.id}/publish", follow_redirects=True).get_data(as_text=True)
    session.refresh(task)
    assert "任务已发布" in page and task.commitment in page
    page = client.get(f"/office/tasks/{task.id}/draw").get_data(as_text=True)
    assert "第一步：封存" in page and task.commitment in page and "监督人输入的随机字符串" not in page
    resp = client.post(f"/office/tasks/{task.id}/draw", data={"witness_entropy": "张三", "confirmed": "1"})
    assert resp.status_code == 409 and "请先封存" in resp.get_data(as_text=True)  # no draw before the seal
    assert session.scalar(select(func.count(Draw.id))) == 0
    page = client.post(f"/office/tasks/{task.id}/seal", follow_redirects=True).get_data(as_text=True)
    sealed = session.scalars(select(DrawSeal)).one()
    assert "已封存：检查对象 40 个、执法人员 4 人、回避关系 0 条" in page
    assert sealed.block["seal_sha256"] in page and "监督人输入的随机字符串" in page and "Unicode NFC 规范化" in page
    assert "原样记录" not in page
    form = {"witness_entropy": "张三", "seal_id": str(sealed.id)}
    page = client.post(f"/office/tasks/{task.id}/draw", data=form).get_data(as_text=True)
    assert "请勾选确认：监督人在场，已核对公开的承诺值和封存摘要" in page
    page = client.post(f"/office/tasks/{task.id}/draw", data={**form, "confirmed": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "抽取完成：抽中 4 个检查对象，生成检查 4 项" in page and "本任务的检查（4 项）" in page
    assert session.scalars(select(Draw)).one().record["seal"] == sealed.block
    page = client.post(f"/office/tasks/{task.id}/draw", data={**form, "witness_entropy": "李四", "confirmed": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "抽取结果已锁定，不能重复抽取" in page
    assert session.scalar(select(func.count(Draw.id))) == 1
    resp = client.get(f"/office/draws/{session.scalars(select(Draw.id)).one()}/record.json")
    # the task period (2024) is over, so the seed is public and the record complete
    assert resp.status_code == 200 and resp.json["revealed"] is True
    assert resp.json["server_seed"] == task.server_seed_hex


def test_supplementary_draws_through_the_pages(client, login, session):
    kit = drawkit.setup(session, targets_per_level=(0, 4, 0, 0), inspectors_per_dept=4,
                        ratios={"low": "0.5", "general": "0.5", "higher": "0.5", "high": "0.5"})
    drawkit.drawn(session, kit.office, kit.task.id, "")
    session.commit()
    inspection = session.scalars(select(Inspection)).first()
    login(kit.office)
    page = client.post(f"/office/inspections/{inspection.id}/supplementary",
                       data={"kind": "replace_target", "reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "请填写补充抽取的理由" in page
    page = client.post(f"/office/inspections/{inspection.id}/supplementary",
                       data={"kind": "replace_target", "reason": "企业已注销"}, follow_redirects=True).get_data(as_text=True)
    assert "已提交补充抽取申请" in page and "待领导审批" in page
    client.post("/office/logout")
    login(kit.leader)
    from server.models.approvals import Approval
    approval = session.scalars(select(Approval).where(Approval.kind == "draw_replace_target")).one()
    client.post(f"/office/approvals/{approval.id}/decide-here",
                data={"decision": "approve", "back": f"/office/tasks/{kit.task.id}"})
    client.post("/office/logout")
    login(kit.office)
    from server.models.planning import DrawRequest
    req = session.scalars(select(DrawRequest)).one()
    page = client.get(f"/office/draw-requests/{req.id}/draw").get_data(as_text=True)
    assert req.commitment in page and "<td>已批准，待抽取</td>" in page and "第一步：封存" in page
    page = client.post(f"/office/draw-requests/{req.id}/seal", follow_redirects=True).get_data(as_text=True)
    sealed = session.scalars(select(DrawSeal).where(DrawSeal.request_id == req.id)).one()
    assert "已封存：检查对象 2 个" in page and sealed.block["seal_sha256"] in page
    form = {"witness_entropy": "王五", "seal_id": str(sealed.id)}
    resp = client.post(f"/office/draw-requests/{req.id}/draw", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "请勾选确认：监督人在场" in page and req.commitment in page
    page = client.post(f"/office/draw-requests/{req.id}/draw", data={**form, "confirmed": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "补抽（替换检查对象）已完成，记录已锁定" in page and "已撤回" in page
    assert "<td>已抽取</td>" in page  # the request's row
    assert "该任务当前状态为“已抽取”，不能抽取" in client.get(f"/office/tasks/{kit.task.id}/draw").get_data(as_text=True)
    public = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert "<tr><td>补抽</td>" in public and "<td>已抽取</td>" in public


def test_dashboard_shows_tasks_waiting_for_their_draw(client, login, session):
    kit = drawkit.setup(session)
    session.commit()
    login(kit.office)
    page = client.get("/office/").get_data(as_text=True)
    assert "计划与抽取" in page
    row = page[page.index("已发布待抽取的任务"):]
    assert row[:row.index("</tr>")].endswith("<td>1</td>")


def test_the_draw_form_needs_its_csrf_token(csrf_app):
    import re

    from server.extensions import db
    kit = drawkit.setup(db.session)
    db.session.commit()
    client = csrf_app.test_client()

    def request(method, path, **kw):  # each request in its own app context, as on a real server
        with csrf_app.app_context():
            return getattr(client, method)(path, **kw)

    token = re.search(r'name="csrf_token" value="([^"]+)"', request("get", "/office/login").get_data(as_text=True))
    request("post", "/office/login", data={"username": kit.office.username, "password": "password123",
                                            "csrf_token": token.group(1)})
    resp = request("post", f"/office/tasks/{kit.task.id}/seal")
    assert resp.status_code == 400 and "CSRF 校验失败" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(DrawSeal.id))) == 0
    with csrf_app.app_context():
        draws.seal_draw(db.session, kit.office, kit.task.id)
        db.session.commit()
    page = request("get", f"/office/tasks/{kit.task.id}/draw").get_data(as_text=True)
    assert "监督人输入的随机字符串" in page and 'name="csrf_token"' in page
    resp = request("post", f"/office/tasks/{kit.task.id}/draw", data={"witness_entropy": "x", "confirmed": "1"})
    assert resp.status_code == 400 and "CSRF 校验失败" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Draw.id))) == 0

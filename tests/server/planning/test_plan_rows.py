"""Plan rows name registry records, keep their key through versions, link to the tasks that carry them out,
and show the leader an adjustment's changes row by row before approval."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.errors import ValidationError
from server.models.approvals import Approval
from server.services.kernel import approvals
from server.services.planning import plan_export, plan_rows, plans, tasks
from tests.factories import create_department, create_inspector, create_item
from tests.server import drawkit


def _text(resp) -> str:
    return re.sub(r"\s+", " ", resp.get_data(as_text=True))


@pytest.fixture
def kit(session):
    office, leader = drawkit.people(session)
    zfd = create_department(session, code="ZFD", name="执法队")
    scj = create_department(session, code="SCJ", name="县市场监督管理局", kind="external")
    taxi = create_item(session, code="JT-007", name="巡游出租汽车经营服务")
    repair = create_item(session, code="JT-005", name="机动车维修经营")
    return type("Kit", (), {"office": office, "leader": leader, "zfd": zfd, "scj": scj, "taxi": taxi,
                            "repair": repair})


def _row(kit, **kw) -> dict:
    row = {"name": "出租汽车联合抽查", "task_type": "undirected", "item_ids": [kit.taxi.id],
           "lead_department_id": kit.zfd.id, "cooperating_department_ids": [kit.scj.id], "ratio": "5%",
           "period_start": "2024-04-01", "period_end": "2024-10-31"}
    row.update(kw)
    return row


def _published(session, kit, rows):
    plan = plans.create_plan(session, kit.office, year=2024, name="2024年度计划", entries=rows)
    approvals.decide(session, kit.leader, plans.submit_plan(session, kit.office, plan.id).id, approve=True)
    plans.publish_plan(session, kit.office, plan.id)
    return plan


def test_a_row_names_items_and_departments_by_id(session, kit):
    plan = plans.create_plan(session, kit.office, year=2024, name="计划", entries=[_row(kit)])
    (row,) = plans.current(plan).content["entries"]
    assert (row["key"], row["item_ids"], row["department_ids"]) == ("R1", [kit.taxi.id], [kit.zfd.id, kit.scj.id])
    text = plan_rows.row_text(row, plan_rows.Names.load(session))
    assert text["items"] == "JT-007 巡游出租汽车经营服务"
    assert text["departments"] == "执法队（发起）、县市场监督管理局"
    assert (text["task_type"], text["period"]) == ("不定向", "2024-04-01 至 2024-10-31")


@pytest.mark.parametrize("change,message", [
    ({"item_ids": ["999999"]}, "抽查事项（编号 999999）不在已发布的抽查事项清单中"),
    ({"item_ids": ["出租车"]}, "计划第 1 项的抽查事项“出租车”无效，请从列表中选择"),
    ({"lead_department_id": "", "cooperating_department_ids": ["SCJ-ID"]}, "配合部门“SCJ-ID”无效"),
    ({"lead_department_id": ""}, "选择了配合部门，请同时选择发起部门"),
    ({"period_end": ""}, "抽查时间段请同时填写开始和结束日期"),
    ({"period_end": "2024-03-01"}, "结束日期不能早于开始日期"),
    ({"period_start": "4月1日"}, "开始日期“4月1日”不是有效日期"),
    ({"task_type": "随机"}, "抽查类型“随机”无效"),
    ({"name": ""}, "计划第 1 项缺少抽查任务名称"),
])
def test_bad_rows_are_refused_with_nothing_stored(session, kit, change, message):
    with pytest.raises(ValidationError, match=message):
        plans.create_plan(session, kit.office, year=2024, name="计划", entries=[_row(kit, **change)])
    assert session.scalars(select(plans.Plan)).all() == []


def test_new_rows_take_only_published_items_and_active_departments(session, kit):
    retired = create_item(session, code="JT-099", name="已停用事项", status="retired")
    with pytest.raises(ValidationError, match="“JT-099 已停用事项”不在已发布的抽查事项清单中"):
        plans.create_plan(session, kit.office, year=2024, name="计划", entries=[_row(kit, item_ids=[retired.id])])
    kit.scj.is_active = False
    with pytest.raises(ValidationError, match="部门“县市场监督管理局”已停用"):
        plans.create_plan(session, kit.office, year=2024, name="计划", entries=[_row(kit)])


def test_a_row_keeps_an_item_retired_since_it_was_saved(session, kit):
    plan = plans.create_plan(session, kit.office, year=2024, name="计划", entries=[_row(kit)])
    kit.taxi.status, kit.scj.is_active = "retired", False
    row = plans.current(plan).content["entries"][0]
    plans.update_plan(session, kit.office, plan.id, entries=[{**_row(kit), "key": row["key"], "ratio": "10%"}])
    saved = plans.current(plan).content["entries"][0]
    assert saved["item_ids"] == [kit.taxi.id] and saved["department_ids"] == [kit.zfd.id, kit.scj.id]


def test_keys_stay_through_an_adjustment_and_the_changes_are_listed_row_by_row(session, kit):
    plan = _published(session, kit, [_row(kit), _row(kit, name="维修企业抽查", item_ids=[kit.repair.id],
                                                     cooperating_department_ids=[])])
    taxi_row, repair_row = plans.current(plan).content["entries"]
    plans.start_adjustment(session, kit.office, plan.id)
    plans.update_plan(session, kit.office, plan.id, description="增加驾培", entries=[
        {**_row(kit, ratio="10%", period_end="2024-11-30"), "key": taxi_row["key"]},
        _row(kit, name="驾培机构抽查", cooperating_department_ids=[])])
    rows = plans.current(plan).content["entries"]
    assert rows[0]["key"] == taxi_row["key"] and rows[1]["key"] not in (taxi_row["key"], repair_row["key"])
    changes = plans.changes_under_review(session, plan)
    assert [(c["kind"], c["name"]) for c in changes["rows"]] == [
        ("changed", "出租汽车联合抽查"), ("added", "驾培机构抽查"), ("removed", "维修企业抽查")]
    assert changes["rows"][0]["changes"] == [("抽查比例及频次", "5%", "10%"),
                                              ("抽查时间段", "2024-04-01 至 2024-10-31", "2024-04-01 至 2024-11-30")]
    assert changes["description"] == ("", "增加驾培")


def test_text_from_before_is_kept_until_the_office_clears_it(session, kit):
    plan = plans.create_plan(session, kit.office, year=2024, name="计划", entries=[_row(kit)])
    version = plans.current(plan)
    version.content = {**version.content, "entries": [{**version.content["entries"][0],
                                                        "unmatched": {"departments": "县交警大队（配合）"}}]}
    key = version.content["entries"][0]["key"]
    plans.update_plan(session, kit.office, plan.id, entries=[{**_row(kit), "key": key}])
    assert plans.current(plan).content["entries"][0]["unmatched"] == {"departments": "县交警大队（配合）"}
    text = plan_rows.row_text(plans.current(plan).content["entries"][0], plan_rows.Names.load(session))
    assert "（原文，未对应到名录：县交警大队（配合））" in text["departments"]
    plans.update_plan(session, kit.office, plan.id, entries=[{**_row(kit), "key": key, "clear_unmatched": True}])
    assert "unmatched" not in plans.current(plan).content["entries"][0]


def test_a_task_names_the_row_it_carries_out(session, kit):
    plan = _published(session, kit, [_row(kit)])
    key = plans.current(plan).content["entries"][0]["key"]
    create_inspector(session, kit.zfd), create_inspector(session, kit.zfd)
    with pytest.raises(ValidationError, match="所选的计划安排不在本计划的现行版本中"):
        tasks.create_task(session, kit.office, plan.id, drawkit.task_data([kit.taxi], [kit.zfd], plan_row="R9"))
    task = tasks.create_task(session, kit.office, plan.id, drawkit.task_data([kit.taxi], [kit.zfd], plan_row=key))
    assert task.plan_row == key
    wb = load_workbook(io.BytesIO(plan_export.plan_workbook(session, plan)))
    sheet = wb["年度抽查计划"]
    header = [c.value for c in sheet[7]]
    row = [c.value for c in sheet[8]]
    assert header[-1] == "执行的抽查任务" and row[-1] == task.code
    assert row[header.index("发起部门和配合部门")] == "执法队（发起）、县市场监督管理局"
    assert [c.value for c in wb["抽查任务"][2]][10] == "出租汽车联合抽查"


# --- pages ---------------------------------------------------------------------------------------------------

def test_office_saves_rows_from_the_form_by_id(client, login, session, kit):
    plan = plans.create_plan(session, kit.office, year=2024, name="2024年度计划")
    session.commit()
    login(kit.office)
    page = _text(client.get(f"/office/plans/{plan.id}"))
    assert 'aria-label="第 1 项抽查事项"' in page and "JT-007 巡游出租汽车经营服务" in page
    data = {"name": "2024年度计划", "entry_count": "2", "entry-0-name": "出租汽车联合抽查",
            "entry-0-task_type": "undirected", "entry-0-item_ids": [str(kit.taxi.id)],
            "entry-0-lead_department_id": str(kit.zfd.id), "entry-0-cooperating_department_ids": [str(kit.scj.id)],
            "entry-0-period_start": "2024-04-01", "entry-0-period_end": "2024-10-31", "entry-1-name": ""}
    page = _text(client.post(f"/office/plans/{plan.id}/edit", data=data, follow_redirects=True))
    assert "计划内容已保存" in page
    (row,) = plans.current(plan).content["entries"]
    assert row["item_ids"] == [kit.taxi.id] and row["department_ids"] == [kit.zfd.id, kit.scj.id]
    bad = client.post(f"/office/plans/{plan.id}/edit", data={**data, "entry-0-period_end": "2024-01-01"},
                      follow_redirects=True)
    assert "结束日期不能早于开始日期" in _text(bad)
    assert plans.current(plan).content["entries"][0]["period_end"] == "2024-10-31"


def test_the_leader_sees_the_changes_on_the_page_where_they_approve(client, login, session, kit):
    plan = _published(session, kit, [_row(kit)])
    key = plans.current(plan).content["entries"][0]["key"]
    plans.start_adjustment(session, kit.office, plan.id)
    plans.update_plan(session, kit.office, plan.id, entries=[{**_row(kit, ratio="20%"), "key": key},
                                                             _row(kit, name="维修企业抽查", item_ids=[kit.repair.id])])
    plans.submit_plan(session, kit.office, plan.id, "投诉集中，提高比例")
    session.commit()
    login(kit.leader)
    page = _text(client.get(f"/office/plans/{plan.id}"))
    assert "第 2 版与现行第 1 版相比的变化" in page and "调整理由：投诉集中，提高比例" in page
    assert "抽查比例及频次：<s>5%</s> → <strong>20%</strong>" in page
    assert "新增</span></td> <td>维修企业抽查" in page and "JT-005 机动车维修经营" in page
    assert page.index("相比的变化") < page.index('value="approve"')
    approval = session.scalar(select(Approval).where(Approval.status == "pending"))
    inbox = _text(client.get("/office/approvals"))  # the inbox says how much changed and links to the page
    assert "调整年度抽查计划：2024年度计划（第 2 版）：新增 1 项、修改 1 项" in inbox
    assert f'href="/office/plans/{plan.id}"' in inbox
    client.post(f"/office/approvals/{approval.id}/decide-here", data={"decision": "approve",
                                                                       "back": f"/office/plans/{plan.id}"})
    assert plans.current(plan).status == "approved"


def test_new_task_form_is_filled_from_the_plan_row(client, login, session, kit):
    plan = _published(session, kit, [_row(kit)])
    key = plans.current(plan).content["entries"][0]["key"]
    session.commit()
    login(kit.office)
    page = _text(client.get(f"/office/plans/{plan.id}"))
    assert f"/office/plans/{plan.id}/tasks/new?row={key}" in page
    form = _text(client.get(f"/office/plans/{plan.id}/tasks/new?row={key}"))
    assert 'value="出租汽车联合抽查"' in form and f'<option value="{key}" selected>' in form
    assert f'name="cooperating_department_ids" value="{kit.scj.id}" checked' in form
    assert 'name="period_start" value="2024-04-01"' in form


def test_public_plan_shows_rows_with_registry_names(client, session, kit):
    _published(session, kit, [_row(kit, task_type="upper", name="全市出租汽车专项抽查")])
    session.commit()
    page = _text(client.get("/public/plans"))
    assert "JT-007 巡游出租汽车经营服务" in page and "执法队（发起）、县市场监督管理局" in page
    assert "上级任务 <span class=\"badge\">上级部署</span>" in page

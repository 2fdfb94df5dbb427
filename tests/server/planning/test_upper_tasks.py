"""Tasks received from the level above (上级任务): who deployed them, the list it sends (imported and matched by
USCC, the missing targets added from the sheet), the draw over that list, and the results sheet sent back."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.registry import Target
from server.services.draw import checks
from server.services.followup import publication, review, upper_export
from server.services.kernel import approvals
from server.services.planning import tasks, upper_tasks
from server.services.registry.spreadsheets import FileProblem
from tests.factories import create_department, create_inspector, create_item, create_target, create_user, make_uscc
from tests.server import drawkit
from tests.server.sheet_builders import csv_bytes, xlsx_bytes

AUTHORITY, DOC_NO = "晋城市交通运输局", "晋市交运发〔2024〕12号"
HEAD = ["序号", "统一社会信用代码", "企业名称", "住所"]


def _text(resp) -> str:
    return re.sub(r"\s+", " ", resp.get_data(as_text=True))


@pytest.fixture
def kit(session):
    office, leader = drawkit.people(session)
    dept = create_department(session, name="执法队")
    inspectors = [create_inspector(session, dept) for _ in range(4)]
    item = create_item(session, code="JT-004", name="危险货物道路运输")
    known = [create_target(session, name=f"阳城县危货运输公司{n}") for n in range(2)]
    plan = drawkit.published_plan(session, office, leader)
    return type("Kit", (), {"office": office, "leader": leader, "dept": dept, "inspectors": inspectors, "item": item,
                            "known": known, "plan": plan})


def _upper(kit, **kw) -> dict:
    data = drawkit.task_data([kit.item], [kit.dept], name="全市危险货物道路运输企业专项抽查", task_type="upper",
                             upper_authority=AUTHORITY, upper_doc_no=DOC_NO, upper_task_code="JC2024-WH-01",
                             upper_source="list")
    return {**data, **kw}


def _sheet(rows) -> bytes:
    return xlsx_bytes([HEAD] + rows, title_rows=("全市危险货物道路运输企业专项抽查名单", f"（{DOC_NO}附件）"))


def _list_task(session, kit, unknown_uscc=None):
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit))
    unknown_uscc = unknown_uscc or make_uscc()
    rows = [[n + 1, t.uscc, t.name, "阳城县凤城镇"] for n, t in enumerate(kit.known)]
    rows.append([3, unknown_uscc, "阳城县新设危货物流有限公司", "阳城县北留镇工业园 8 号"])
    status = upper_tasks.import_list(session, kit.office, task.id, _sheet(rows), "名单.xlsx", {})
    return task, status, unknown_uscc


def test_an_upper_task_records_who_deployed_it_and_takes_every_listed_target(session, kit):
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit))
    assert (task.task_type, task.upper_authority, task.upper_doc_no, task.upper_task_code) == (
        "upper", AUTHORITY, DOC_NO, "JC2024-WH-01")
    assert task.ratios == {"low": "1", "general": "1", "higher": "1", "high": "1"} and task.upper_columns[0] == "抽查计划编号"


@pytest.mark.parametrize("change,message", [
    ({"upper_doc_no": " "}, "上级任务须填写上级下达文件的文号"),
    ({"upper_authority": ""}, "上级任务须填写下达任务的上级机关"),
    ({"upper_source": ""}, "请选择检查对象的来源"),
    ({"upper_columns": "检查结果\n领导签字"}, "回传表的列“领导签字”无法识别"),
    ({"upper_columns": "企业名称\n单位名称"}, "回传表的列“企业名称”和“单位名称”是同一项内容"),
])
def test_bad_upper_task_input_is_refused_with_nothing_stored(session, kit, change, message):
    before = session.scalar(select(func.count(tasks.Task.id)))
    with pytest.raises(ValidationError, match=message):
        tasks.create_task(session, kit.office, kit.plan.id, _upper(kit, **change))
    assert session.scalar(select(func.count(tasks.Task.id))) == before


def test_the_list_is_matched_by_uscc_and_the_unknown_ones_reported(session, kit):
    task, status, unknown = _list_task(session, kit)
    assert [r.uscc for r in status] == [t.uscc for t in kit.known] + [unknown]
    assert [r.target is not None for r in status] == [True, True, False]
    assert status[2].name == "阳城县新设危货物流有限公司" and status[2].row == 6  # two title rows, the header, then the rows
    assert task.target_usccs == [r.uscc for r in status] and task.upper_list["filename"] == "名单.xlsx"
    preview = tasks.preview(session, task)
    assert preview["population"] == 2 and "有 1 个对象不在检查对象名录库中" in preview["warning"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "task.upper_import"))
    assert entry.detail["rows"] == 3 and entry.detail["unknown"] == 1


def test_publishing_waits_until_every_listed_target_is_in_the_registry(session, kit):
    task, _, unknown = _list_task(session, kit)
    with pytest.raises(ValidationError, match=f"上级下发名单中的 {unknown} 不在检查对象名录库中"):
        tasks.publish_task(session, kit.office, task.id)
    assert task.status == "draft" and task.commitment is None


def test_a_missing_target_is_added_from_its_row_in_the_sheet(session, kit):
    task, _, unknown = _list_task(session, kit)
    with pytest.raises(ValidationError, match="名单第 6 行（阳城县新设危货物流有限公司）未能添加到名录库：请填写行业类别"):
        upper_tasks.add_target(session, kit.office, task.id, unknown)
    added = upper_tasks.add_target(session, kit.office, task.id, unknown, "freight")
    assert (added.uscc, added.name, added.address, added.category) == (
        unknown, "阳城县新设危货物流有限公司", "阳城县北留镇工业园 8 号", "freight")
    assert all(r.target is not None for r in upper_tasks.list_status(session, task))
    with pytest.raises(Conflict, match="已在检查对象名录库中"):
        upper_tasks.add_target(session, kit.office, task.id, unknown, "freight")


def test_the_draw_takes_every_listed_target_and_stays_verifiable(session, kit):
    task, _, unknown = _list_task(session, kit)
    upper_tasks.add_target(session, kit.office, task.id, unknown, "freight")
    tasks.publish_task(session, kit.office, task.id)
    made = drawkit.drawn(session, kit.office, task.id, "市局监督员")
    assert sorted(s["uscc"] for s in made.record["selections"]) == sorted(task.target_usccs)
    assert made.record["task"]["type"] == "upper" and checks.verify(made.record) == []


def test_duplicate_codes_in_the_list_are_refused_and_nothing_changes(session, kit):
    task, before, _ = _list_task(session, kit)
    twice = kit.known[0].uscc
    sheet = _sheet([[1, twice, "甲"], [2, make_uscc(), "乙"], [3, twice.lower(), "甲（重复）"]])
    with pytest.raises(ValidationError, match=f"第 6 行的统一社会信用代码 {twice} 与第 4 行重复"):
        upper_tasks.import_list(session, kit.office, task.id, sheet, "新名单.xlsx", {"upper_doc_no": "新文号"})
    assert task.target_usccs == [r.uscc for r in before] and task.upper_list["filename"] == "名单.xlsx"
    assert task.upper_doc_no == DOC_NO


def test_an_import_without_the_document_number_is_refused(session, kit):
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit))
    sheet = _sheet([[1, kit.known[0].uscc, "甲"]])
    with pytest.raises(ValidationError, match="未导入：上级任务须填写上级下达文件的文号"):
        upper_tasks.import_list(session, kit.office, task.id, sheet, "名单.xlsx", {"upper_doc_no": ""})
    assert task.target_usccs == [] and task.upper_doc_no == DOC_NO


@pytest.mark.parametrize("data,filename,message", [
    (b"this is not a workbook", "名单.xlsx", "无法读取该 Excel 文件"),
    (b"\xd0\xcf\x11\xe0old", "名单.xls", "无法读取该 Excel 文件"),  # .xls is read now; this one is cut short
    (xlsx_bytes([["序号", "企业名称", "地址"], [1, "甲", "乙"]]), "名单.xlsx", "找不到表头行：请确认表格前 30 行中有一行列名，且包含“统一社会信用代码”列"),
    (xlsx_bytes([HEAD]), "名单.xlsx", "下面没有数据行"),
    (xlsx_bytes([HEAD, [1, "91140522MA0K000010", "甲"]]), "名单.xlsx", "第 3 行：统一社会信用代码校验位错误"),
    (xlsx_bytes([HEAD, [1, "", "甲"]]), "名单.xlsx", "第 3 行缺少统一社会信用代码"),
])
def test_a_malformed_sheet_is_refused_and_nothing_changes(session, kit, data, filename, message):
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit))
    with pytest.raises((FileProblem, ValidationError), match=re.escape(message)):
        upper_tasks.import_list(session, kit.office, task.id, data, filename, {})
    assert task.target_usccs == [] and task.upper_list == {}


def test_a_csv_list_saved_by_excel_in_gbk_is_read(session, kit):
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit))
    data = csv_bytes([["统一社会信用代码", "单位名称"], [kit.known[0].uscc, kit.known[0].name]], encoding="gb18030")
    (row,) = upper_tasks.import_list(session, kit.office, task.id, data, "名单.csv", {})
    assert row.target is kit.known[0]


def test_only_a_draft_list_task_takes_an_import(session, kit):
    drawn = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit, upper_source="draw"))
    with pytest.raises(Conflict, match="只有检查对象来源为“上级下发对象名单”的上级任务可以导入名单"):
        upper_tasks.import_list(session, kit.office, drawn.id, _sheet([[1, kit.known[0].uscc]]), "a.xlsx", {})
    task, _, unknown = _list_task(session, kit)
    upper_tasks.add_target(session, kit.office, task.id, unknown, "freight")
    tasks.publish_task(session, kit.office, task.id)
    with pytest.raises(Conflict, match="任务已发布，上级下发的名单已随任务锁定"):
        upper_tasks.import_list(session, kit.office, task.id, _sheet([[1, kit.known[0].uscc]]), "a.xlsx", {})
    with pytest.raises(PermissionDenied, match="您没有执行此操作的权限"):
        upper_tasks.import_list(session, kit.leader, task.id, b"", "a.xlsx", {})


def test_a_locally_drawn_upper_task_draws_at_the_ratio_it_sets(session, kit):
    data = _upper(kit, upper_source="draw", ratios={"low": "1", "general": "0.5", "higher": "1", "high": "1"})
    task = tasks.create_task(session, kit.office, kit.plan.id, data)
    assert task.ratios["general"] == "0.5" and task.target_usccs == []
    assert tasks.preview(session, task)["population"] == 2  # the whole registry in scope, drawn at the ratios


def _approve_and_publish(session, kit, insp):
    from tests.factories import submit_inspection
    submit_inspection(session, insp, result_categories=("01",))
    review.approve(session, kit.office, insp.id)
    pub = session.scalar(select(publication.Publication).where(publication.Publication.inspection_id == insp.id))
    (approval,) = publication.request_approval(session, kit.office, [pub.id])
    approvals.decide(session, kit.leader, approval.id, approve=True)
    return pub


def test_results_go_back_in_the_columns_the_level_above_asked_for(session, kit):
    columns = "单位名称\n统一社会信用代码\n检查事项\n检查结果\n下达文号\n办理状态"
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit, upper_columns=columns))
    rows = [[n + 1, t.uscc, t.name] for n, t in enumerate(kit.known)]
    upper_tasks.import_list(session, kit.office, task.id, _sheet(rows), "名单.xlsx", {})
    tasks.publish_task(session, kit.office, task.id)
    drawkit.drawn(session, kit.office, task.id)
    first = next(i for i in session.scalars(select(tasks.Inspection).where(tasks.Inspection.task_id == task.id))
                 if i.target_id == kit.known[0].id)
    _approve_and_publish(session, kit, first)
    name, data = upper_export.workbook(session, kit.office, task.id)
    assert name == "JC2024-WH-01-上级任务结果回传.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[0] == ["单位名称", "统一社会信用代码", "检查事项", "检查结果", "下达文号", "办理状态"]
    assert got[1] == [kit.known[0].name, kit.known[0].uscc, "危险货物道路运输", "未发现问题", DOC_NO, "已公示"]
    assert got[2] == [kit.known[1].name, kit.known[1].uscc, None, "结果尚未公示", DOC_NO, "待检查"]


def test_the_default_results_sheet_has_the_gsxt_fields(session, kit):
    task, _, unknown = _list_task(session, kit)
    upper_tasks.add_target(session, kit.office, task.id, unknown, "freight")
    tasks.publish_task(session, kit.office, task.id)
    drawkit.drawn(session, kit.office, task.id)
    header = [c.value for c in load_workbook(io.BytesIO(upper_export.workbook(session, kit.office, task.id)[1])).active[1]]
    assert header == ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查机关", "抽查完成日期",
                      "统一社会信用代码", "企业名称", "序号", "检查事项", "检查结果"]
    with pytest.raises(Conflict, match="只有上级任务需要导出上级回传表"):
        upper_export.workbook(session, kit.office, drawkit.setup(session).task.id)


# --- pages ---------------------------------------------------------------------------------------------------

def test_the_office_imports_adds_and_publishes_through_the_pages(client, login, session, kit):
    task = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit))
    unknown = make_uscc()
    session.commit()
    login(kit.office)
    sheet = _sheet([[1, kit.known[0].uscc, kit.known[0].name], [2, unknown, "阳城县新设危货物流有限公司", "北留镇"]])
    page = _text(client.post(f"/office/tasks/{task.id}/upper-list", data={
        "upper_authority": AUTHORITY, "upper_doc_no": DOC_NO, "file": (io.BytesIO(sheet), "名单.xlsx")},
        content_type="multipart/form-data", follow_redirects=True))
    assert "已导入上级下发名单 2 个对象，其中 1 个不在检查对象名录库中" in page and "不在名录库" in page
    assert f"/office/targets/new?uscc={unknown}" in page or f"uscc={unknown}" in page
    form = _text(client.get(f"/office/targets/new?uscc={unknown}&name=阳城县新设危货物流有限公司"))
    assert f'value="{unknown}"' in form and 'value="阳城县新设危货物流有限公司"' in form
    page = _text(client.post(f"/office/tasks/{task.id}/upper-list/add", data={"uscc": unknown, "category": "freight"},
                             follow_redirects=True))
    assert "已将“阳城县新设危货物流有限公司”" in page and "全部在检查对象名录库中" in page
    bad = _text(client.post(f"/office/tasks/{task.id}/upper-list", data={
        "upper_doc_no": "", "file": (io.BytesIO(sheet), "名单.xlsx")}, content_type="multipart/form-data",
        follow_redirects=True))
    assert "未导入：上级任务须填写上级下达文件的文号" in bad and "上级机关" not in bad.split("未导入")[1][:40]
    assert session.scalar(select(func.count(Target.id))) == 3


def test_the_plan_and_the_portal_show_it_as_deployed_from_above(client, login, session, kit):
    task, _, unknown = _list_task(session, kit)
    upper_tasks.add_target(session, kit.office, task.id, unknown, "freight")
    tasks.publish_task(session, kit.office, task.id)
    session.commit()
    deployed = f"上级部署（{AUTHORITY} {DOC_NO}）"
    assert deployed in _text(client.get("/public/tasks"))
    detail = _text(client.get(f"/public/tasks/{task.code}"))
    assert deployed in detail and "上级下发名单中的 3 个对象全部检查" in detail and "JC2024-WH-01" in detail
    assert deployed in _text(client.get("/public/plans"))
    login(kit.office)
    assert deployed in _text(client.get(f"/office/plans/{kit.plan.id}"))
    office_task = _text(client.get(f"/office/tasks/{task.id}"))
    assert f"<th>下达文号</th><td>{DOC_NO}</td>" in office_task and "上级下发名单" in office_task


def test_a_department_outside_the_task_cannot_download_its_results(client, login, session, kit):
    task, _, _ = _list_task(session, kit)
    other = create_user(session, role="dept_staff", department_id=create_department(session).id)
    session.commit()
    login(other)
    assert client.get(f"/office/tasks/{task.id}/upper-results.xlsx").status_code == 403


def test_the_list_changes_only_by_importing_it(session, kit):
    task, status, _ = _list_task(session, kit)
    tasks.update_task(session, kit.office, task.id, _upper(kit, name="改名后的专项抽查", target_usccs=[make_uscc()]))
    assert task.name == "改名后的专项抽查" and task.target_usccs == [r.uscc for r in status]
    typed = tasks.create_task(session, kit.office, kit.plan.id, _upper(kit, target_usccs=[kit.known[0].uscc]))
    assert typed.target_usccs == []  # a list task's targets never come from the 靶向 box
    tasks.update_task(session, kit.office, task.id, _upper(kit, upper_source="draw"))
    assert task.upper_list == {} and task.target_usccs == []

"""Two journeys of issue #16 in Chromium, through what each person sees:

- a 书面检查 from task to published result: the office writes a task whose method is 书面检查 and draws it; the
  inspector finds it on the office's 书面检查 page (not on the phone), answers the checkpoints, uploads the PDF the
  target sent and submits; the office approves, the leader approves publication and the portal shows the result;
  the 告知书 says what to send and by when, and the record is a 书面检查记录;
- a risk-level warning turned into a drawn 定向 task: 发起定向抽查 on the 工作台's warning opens a task form whose
  population is the warned targets, with the reason filled in; the task is saved, published, sealed and drawn
  before a witness, and the draw takes its targets, at random, from that population only.

The registries, the plan and the accounts are seeded through the services: other journeys walk their pages."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter
from sqlalchemy import select

from server.models.followup import RiskLevelChange
from server.models.inspections import Inspection
from server.models.registry import Target
from server.services.accounts import credentials
from tests.e2e import journey_kit as kit
from tests.e2e.journey_kit import choose, flash, kv, nav
from tests.factories import create_department, create_inspector, create_item, create_target
from tests.server import drawkit

PASSWORD = "password123"
DEPARTMENT = "执法一中队"
ITEM = ("JT-101", "道路货物运输经营行为检查")
CHECKPOINTS = ("是否取得道路运输经营许可证", "车辆技术档案是否齐全")
NAMES = ("阳城县宏达物流有限公司", "阳城县顺通货运有限公司", "阳城县鑫源运输有限公司", "阳城县通达运输有限公司")
INSPECTORS = (("wangjg", "王建国"), ("lim", "李明"))


@pytest.fixture
def seeded(live_server):
    """A department with two inspectors (each with an account), one published item, four freight targets, the
    office's and the leader's accounts and this year's published plan."""
    with live_server.session() as s:
        dept = create_department(s, name=DEPARTMENT)
        create_item(s, code=ITEM[0], name=ITEM[1], checkpoints=CHECKPOINTS)
        targets = [create_target(s, name=n, uscc=kit.uscc(200 + i), risk_level="general") for i, n in enumerate(NAMES)]
        for username, name in INSPECTORS:
            person = create_inspector(s, dept, name=name)
            credentials.create_user(s, None, username=username, password=PASSWORD, role="inspector",
                                    inspector_id=person.id, display_name=name)
        office = credentials.create_user(s, None, username="fazhi", password=PASSWORD, role="office",
                                         display_name="法制股 陈静")
        leader = credentials.create_user(s, None, username="juzhang", password=PASSWORD, role="leader",
                                         display_name="局长 周明")
        drawkit.published_plan(s, office, leader, year=kit.beijing_today().year)
        return {"item_label": f"{ITEM[0]} {ITEM[1]}（一般）", "targets": [(t.id, t.name, t.uscc) for t in targets]}


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def fill_task(office, item_label: str, ratio: str = "100"):
    office.get_by_label(item_label).check()
    for level in ("低", "一般", "较高", "高"):
        office.get_by_label(f"风险等级{level}的抽取比例", exact=True).fill(ratio)
    choose(office, "发起部门", DEPARTMENT)
    start = kit.beijing_today()
    office.get_by_label("开始日期").fill(start.isoformat())
    office.get_by_label("结束日期").fill((start + dt.timedelta(days=40)).isoformat())
    office.get_by_label("抽取后立即公开服务器种子").check()
    office.get_by_role("button", name="保存任务草稿").click()
    flash(office, "已保存任务草稿")
    office.get_by_role("button", name="发布任务（公开承诺值）").click()
    flash(office, "任务已发布，承诺值已在门户公开")


def seal_and_draw(office, population: int, chosen: int):
    office.get_by_role("link", name="组织抽取").click()
    office.get_by_role("button", name="封存抽取数据").click()
    flash(office, f"已封存：检查对象 {population} 个、执法人员 {len(INSPECTORS)} 人")
    office.get_by_label("监督人输入的随机字符串").fill(kit.WITNESS)
    office.get_by_label("我确认：监督人在场").check()
    office.get_by_role("button", name="开始抽取").click()
    flash(office, f"抽取完成：抽中 {chosen} 个检查对象，生成检查 {chosen} 项")


def test_a_desk_inspection_from_task_to_published_result(live_server, seeded, desk, context, tmp_path):
    office, leader, inspector = desk("fazhi"), desk("juzhang"), desk(INSPECTORS[0][0])
    nav(office, "计划与任务")
    office.get_by_role("row").filter(has_text="年度双随机抽查计划").get_by_role("link").first.click()
    office.get_by_role("link", name="新建抽查任务").click()
    office.get_by_label("任务名称").fill("道路货运经营者书面检查")
    office.get_by_label("不定向").check()
    office.get_by_label("书面检查", exact=True).check()
    fill_task(office, seeded["item_label"], ratio="25")  # one of the four (general) targets
    expect(kv(office, "检查方式")).to_have_text("书面检查")
    seal_and_draw(office, population=4, chosen=1)

    nav(inspector, "书面检查")
    row = inspector.get_by_role("row").filter(has_text="道路货运经营者书面检查")
    expect(row).to_have_count(1)
    target_name = row.get_by_role("cell").first.inner_text().splitlines()[0]
    row.get_by_role("link", name="录入").click()
    expect(inspector.get_by_text("告知书要求检查对象于")).to_be_visible()
    notice = inspector.request.get(inspector.get_by_role("link", name="查看告知书").evaluate("a => a.href"))
    assert notice.ok and notice.headers["content-type"] == "application/pdf"
    notice_text = kit.pdf_text(notice.body(), tmp_path)
    assert "检查方式：书面检查" in notice_text and "四、需要报送的材料" in notice_text
    for cp in CHECKPOINTS:
        inspector.locator("p").filter(has_text=cp).get_by_label("符合", exact=True).check()
    inspector.get_by_role("button", name="保存答案").click()
    flash(inspector, "已保存 2 项答案")
    inspector.get_by_label(re.compile("^上传材料")).set_input_files(
        {"name": "经营许可证及车辆技术档案.pdf", "mimeType": "application/pdf", "buffer": _pdf()})
    inspector.get_by_role("button", name="上传", exact=True).click()
    flash(inspector, "已上传 1 份材料")
    expect(inspector.get_by_role("link", name="经营许可证及车辆技术档案.pdf")).to_be_visible()
    inspector.get_by_label("未发现问题").check()
    inspector.get_by_label("无须后置处置措施").check()
    inspector.get_by_label("情况说明").fill("审查报送的许可证和车辆技术档案，未发现问题")
    inspector.get_by_role("button", name="提交审核").click()
    flash(inspector, "已提交审核")

    nav(office, "结果审核")
    office.get_by_role("row").filter(has_text=target_name).get_by_role("link", name="审核").click()
    expect(office.get_by_text("书面检查").first).to_be_visible()
    office.get_by_role("button", name="审核通过", exact=True).click()
    flash(office, "审核通过：已生成公示记录")
    with live_server.session() as s:
        inspection = s.scalars(select(Inspection)).one()
        assert (inspection.mode, inspection.status) == ("document", "approved")
        inspection_id = inspection.id
    record = office.request.get(f"{live_server.url}/office/inspections/{inspection_id}/record.pdf")
    assert record.ok
    assert "书面检查记录" in kit.pdf_text(record.body(), tmp_path)

    nav(office, "公示")
    office.get_by_label(f"选择 {target_name}").check()
    office.get_by_role("button", name="将所选记录提交领导审批").click()
    flash(office, "已提交领导审批 1 条公示记录")
    nav(leader, "审批")
    leader.get_by_label(re.compile(f"^选择 公示抽查结果：{target_name}")).check()
    leader.get_by_role("button", name="提交审批意见").click()
    flash(leader, "已批准 1 项")

    public = context.new_page()
    public.goto("/public/")
    public.get_by_role("navigation", name="公开栏目").get_by_role("link", name="抽查结果").click()
    public.get_by_label("企业名称或统一社会信用代码").fill(target_name)
    public.get_by_role("button", name="查询").click()
    result = public.locator("section").filter(has=public.get_by_role("heading", name=re.compile(target_name)))
    expect(result.get_by_role("row").filter(has_text=ITEM[1])).to_contain_text("未发现问题")


def test_a_risk_warning_turned_into_a_drawn_directed_task(live_server, seeded, desk):
    warned = seeded["targets"][:2]
    with live_server.session() as s:
        for target_id, _, _ in warned:
            s.add(RiskLevelChange(target_id=target_id, old_level="general", new_level="higher", cause="信用记录（较重）"))
            s.get(Target, target_id).risk_level = "higher"
    office = desk("fazhi")
    panel = office.locator("section").filter(has=office.get_by_role("heading", name="风险等级变化预警（近 30 天）"))
    expect(panel).to_contain_text(f"{warned[0][1]}")
    panel.get_by_role("link", name="发起定向抽查").click()
    expect(office.get_by_role("status").filter(has_text="已按预警和筛选结果填好")).to_be_visible()
    expect(office.get_by_label("定向", exact=True)).to_be_checked()
    names = office.get_by_label(re.compile("^定向：对象名单")).input_value().split()
    assert sorted(names) == sorted(u for _, _, u in warned)
    reason = office.get_by_label(re.compile("^检查事由")).input_value()
    assert reason.startswith("风险等级变化预警（近 30 天）：") and f"{warned[0][1]} 一般→较高" in reason
    fill_task(office, seeded["item_label"], ratio="50")  # 50% of the two warned targets (both 较高): one
    expect(kv(office, "定向对象名单")).to_contain_text("2 个对象，在名单内按比例随机抽取")
    expect(kv(office, "检查事由")).to_have_text(reason)
    seal_and_draw(office, population=2, chosen=1)
    section = office.locator("table").filter(has=office.get_by_role("columnheader", name="检查对象"))
    drawn = [n for _, n, _ in seeded["targets"] if section.get_by_text(n).count()]
    assert len(drawn) == 1 and drawn[0] in {n for _, n, _ in warned}, drawn

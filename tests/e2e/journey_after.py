"""The full journey's steps after review (test_full_journey.py): 7. referral and credit, 8. publication after the
leader's approval (never before, on the portal or in the export), 9. the 现场检查笔录 PDF."""
from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import expect

from tests.e2e import journey_kit as kit
from tests.e2e.journey_kit import TARGETS, Business, Person, choose, flash, nav

FINDING = "晋E12345 车辆技术档案缺少 2023 年度审验记录"  # what pwa_kit.record_complete_inspection records
CREDIT_FACT = "车辆技术档案不全，经责令改正"


@dataclass(frozen=True)
class Drawn:
    """The inspection the journey follows: its target, its group, and the member whose phone records it."""
    target: Business
    group: tuple[Person, ...]
    inspector: Person


# ---- 7. referral and credit -------------------------------------------------------------------------

def refer_and_mark_credit(office, drawn: Drawn):
    violations = office.get_by_role("table").filter(has=office.get_by_role("columnheader", name="违法行为"))
    violations.get_by_role("row").filter(has_text=FINDING).get_by_role("link", name="移送", exact=True).click()
    office.get_by_role("link", name="抄告", exact=True).click()
    office.get_by_label("案由").fill("道路货物运输经营者车辆技术档案不全")
    office.get_by_label("移送理由").fill("现场检查发现车辆技术档案缺少年度审验记录，抄告属地运管所跟踪整改")
    office.get_by_label("依据的法律规定").fill("《道路运输车辆技术管理规定》第二十八条")
    office.get_by_label("接收部门").fill("阳城县凤城镇交通运输管理所")
    office.get_by_role("button", name="登记移送").click()
    flash(office, "已登记移送")
    expect(office.get_by_role("heading", level=1)).to_contain_text("抄告")

    office.get_by_role("link", name="查看检查").click()
    row = violations.get_by_role("row").filter(has_text=FINDING)
    expect(row.get_by_role("cell").nth(1)).to_contain_text("待发送")  # the referral is listed with the finding
    credit = office.locator("form").filter(has=office.get_by_role("heading", name="记录信用"))
    choose(credit, "类别", "违法违规经营行为")
    choose(credit, "严重程度", "较重")
    credit.get_by_label("失信行为事实").fill(CREDIT_FACT)
    credit.get_by_label("认定依据").fill("《道路运输车辆技术管理规定》第二十八条")
    credit.get_by_label("在公示门户公示").check()
    credit.get_by_role("button", name="保存信用记录").click()
    flash(office, "信用记录已保存")
    target_page_shows_credit(office, drawn.target)


def target_page_shows_credit(office, target: Business):
    nav(office, "检查对象")
    office.get_by_role("searchbox", name="搜索").fill(target.uscc)
    office.get_by_role("button", name="查询").click()
    office.get_by_role("link", name=target.name).click()
    section = office.locator("section").filter(has=office.get_by_role("heading", name="信用记录", exact=True))
    expect(section.get_by_role("row").filter(has_text=CREDIT_FACT)).to_contain_text("违法违规经营行为")
    expect(section).to_contain_text("当前风险等级：较高")  # a 较重 record raises the level the next draw uses
    expect(section.get_by_role("listitem").filter(has_text="一般 → 较高")).to_be_visible()


# ---- 8. publication, and 9. the 现场检查笔录 ------------------------------------------------------------

def search_public_results(public, q: str):
    public.get_by_role("navigation", name="公开栏目").get_by_role("link", name="抽查结果").click()
    public.get_by_label("企业名称或统一社会信用代码").fill(q)
    public.get_by_role("button", name="查询").click()


def exported_rows(office) -> list[list[str]]:
    nav(office, "公示")
    return kit.xlsx_rows(kit.download(office, office.get_by_role("link", name="Excel（.xlsx）")))


def assert_nothing_published(office, public, targets):
    for t in targets:
        search_public_results(public, t.uscc)
        expect(public.get_by_text("没有找到已公示的抽查结果。")).to_be_visible()
    usccs = {t.uscc for t in targets}
    assert not [r for r in exported_rows(office) if usccs & set(r)]


def publish_after_leader_approves(office, leader, public, drawn: Drawn):
    target = drawn.target
    assert_nothing_published(office, public, TARGETS)  # approved, not yet published
    office.get_by_label(f"选择 {target.name}").check()
    office.get_by_role("button", name="将所选记录提交领导审批").click()
    flash(office, "已提交领导审批 1 条公示记录")
    assert_nothing_published(office, public, [target])  # waiting for the leader

    nav(leader, "审批")
    leader.get_by_label(re.compile(f"^选择 公示抽查结果：{target.name}")).check()
    leader.get_by_role("button", name="提交审批意见").click()
    flash(leader, "已批准 1 项")

    search_public_results(public, target.uscc)
    result = public.locator("section").filter(has=public.get_by_role("heading", name=re.compile(target.name)))
    expect(result).to_contain_text(target.uscc)
    expect(result.get_by_role("row").filter(has_text=kit.ITEM_NAME)).to_contain_text("发现问题已责令改正")
    expect(result).to_contain_text("信用记录：违法违规经营行为（较重")
    assert_nothing_published(office, public, [t for t in TARGETS if t != target])  # drawn, never inspected
    rows = [r for r in exported_rows(office) if target.uscc in r]
    assert len(rows) == 1 and target.name in rows[0] and kit.ITEM_NAME in rows[0], rows


def record_pdf_has_target_and_finding(office, code: str, drawn: Drawn, tmp_path):
    nav(office, "文书打印")
    office.get_by_role("row").filter(has_text=code).get_by_role("link", name="逐户文书").click()
    row = office.get_by_role("row").filter(has_text=drawn.target.uscc)
    data = kit.open_document(office, row.get_by_role("link", name="现场检查笔录"))
    assert data.startswith(b"%PDF")
    text = kit.pdf_text(data, tmp_path)
    assert kit.squeeze(drawn.target.name) in text
    assert kit.squeeze(FINDING) in text
    for person in drawn.group:  # the two inspectors with their 执法证号
        assert person.name in text and person.cert_no in text

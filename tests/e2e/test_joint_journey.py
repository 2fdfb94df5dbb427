"""联合抽查 walked in Chromium (进一次门、查多项事): a taxi firm is inspected once by 交通运输综合行政执法队 and
县市场监督管理局, each checking its own item. The bureau's draw selects the target and its member; the market bureau's
own staff then seal and draw its member with their own witness; the portal shows both parts and verify-draw checks
them together. Two phones, one per department, each record their own item (the other is read-only); each
department reviews its own item's part in the office pages (the bureau's staff, then the market bureau's); the
results are published per department — the bureau's through its leader, the market bureau's by
its own staff — and both appear on the portal.

The registries, the plan and the published task are seeded through the services (tests/server/jointkit.py), as
the full journey already walks them through the pages."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

from playwright.sync_api import expect
from sqlalchemy import select

from server.models.inspections import Inspection
from tests.e2e import journey_kit as kit
from tests.e2e.journey_kit import flash, nav
from tests.e2e.pwa_kit import (GPS, axe_violations, open_inspection, phone_ready, record_party, sign,
                               start_inspection, submit, wait_synced)
from tests.factories import create_user
from tests.server import jointkit

AT_ONCE = {"reveal_seed_at_once": True, "period_start": dt.date(2029, 4, 1), "period_end": dt.date(2029, 10, 31)}
TRANSPORT, PRICING = "巡游出租汽车经营服务", "出租汽车计价器计量和价格行为"
MARKET = "县市场监督管理局"


def _seed(live_server):
    with live_server.session() as s:
        world = jointkit.setup(s, targets=1, scj_inspectors=1, **AT_ONCE)
        for n, person in enumerate(world.ours + world.theirs):
            create_user(s, role="inspector", username=f"insp{n}", inspector_id=person.id)
        firm = world.firms[0]
        return {"task_id": world.task.id, "code": world.task.code, "office": world.office.username,
                "leader": world.leader.username, "firm": firm.name, "uscc": firm.uscc,
                "people": {p.id: f"insp{n}" for n, p in enumerate(world.ours + world.theirs)},
                "names": {p.id: p.name for p in world.ours + world.theirs}, "scj": world.scj.id}


def test_a_joint_task_drawn_in_two_parts_recorded_on_two_phones_and_published_per_department(
        live_server, desk, page, phone_context, tmp_path):
    w = _seed(live_server)
    office, market = desk(w["office"]), desk("scjstaff")
    initiating_draw(office, w)
    department_draw(market, w)
    portal_holds_both_parts(page, w, tmp_path)

    with live_server.session() as s:
        insp = s.scalar(select(Inspection).where(Inspection.task_id == w["task_id"]))
        by_dept = {m.department_id: m.inspector_id for m in insp.members}
        ours = next(i for d, i in by_dept.items() if d != w["scj"])
        theirs = by_dept[w["scj"]]
    group = [w["names"][ours], w["names"][theirs]]
    phone_records_own_item(phone_context, w["people"][ours], w["firm"])
    phone_records_own_item_and_submits(phone_context, w["people"][theirs], w["firm"], group)

    bureau_reviews_its_part(office, w)
    market_reviews_its_part(market, w)
    published_per_department(office, desk(w["leader"]), market, page, w)


def initiating_draw(office, w):
    office.goto(f"/office/tasks/{w['task_id']}")
    office.get_by_role("link", name="组织抽取").click()
    office.get_by_role("button", name="封存抽取数据").click()
    flash(office, "已封存：检查对象 1 个、执法人员 3 人")
    office.get_by_label("监督人输入的随机字符串").fill("县司法局监督员：出租联合")
    office.get_by_label("我确认：监督人在场").check()
    office.get_by_role("button", name="开始抽取").click()
    flash(office, "抽取完成：抽中 1 个检查对象，生成检查 1 项")
    parts = office.get_by_role("table", name="各部门抽取情况")
    expect(parts.get_by_role("row").filter(has_text="（发起）")).to_contain_text("已抽取")
    expect(parts.get_by_role("row").filter(has_text=f"{MARKET}（配合）")).to_contain_text("待封存")
    expect(office.get_by_text("检查组待配合部门抽取，暂未发送到手机")).to_be_visible()


def department_draw(market, w):
    market.goto(f"/office/tasks/{w['task_id']}")
    market.get_by_role("link", name="封存并抽取本部门人员").click()
    market.get_by_role("heading", name=f"{MARKET}：抽取本部门执法人员").wait_for()
    market.get_by_role("button", name="封存抽取数据").click()
    flash(market, "已封存：检查对象 1 个、执法人员 1 人")
    market.get_by_label("监督人输入的随机字符串").fill("市场监管局纪检员：计价器")
    market.get_by_label("我确认：监督人在场").check()
    market.get_by_role("button", name="开始抽取").click()
    flash(market, f"{MARKET}已完成本部门人员抽取：为 1 个检查对象各抽取 1 人")
    parts = market.get_by_role("table", name="各部门抽取情况")
    expect(parts.get_by_role("row").filter(has_text=f"{MARKET}（配合）")).to_contain_text("已抽取")
    expect(market.get_by_text("检查组待配合部门抽取，暂未发送到手机")).to_have_count(0)


def portal_holds_both_parts(public, w, tmp_path):
    public.goto(f"/public/tasks/{w['code']}")
    parts = public.get_by_role("table", name="各部门抽取情况")
    expect(parts.get_by_role("row").filter(has_text=f"{MARKET}（配合，抽取本部门人员）")).to_contain_text("已抽取")
    expect(public.get_by_text("本页已核对：已抽取的配合部门均以发起部门抽中并派员的对象为准")).to_be_visible()
    expect(public.get_by_role("heading", name=re.compile(f"配合部门抽取本部门人员：{MARKET}"))).to_be_visible()
    data = kit.download(public, public.get_by_role("link", name=re.compile("下载本任务全部抽取记录")))
    assert len(json.loads(data)["records"]) == 2
    path = tmp_path / f"draws-{w['code']}.json"
    path.write_bytes(data)
    checked = subprocess.run([str(kit.SPOTCHECK), "verify-draw", str(path)], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "的 2 份抽取记录均与重新计算的结果一致" in checked.stdout


def _answer(region, seq: int, label: str = "符合"):
    button = region.get_by_role("group", name=f"第 {seq} 项判定").get_by_role("button", name=label, exact=True)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def phone_records_own_item(phone_context, username: str, firm: str):
    _, phone = phone_ready(phone_context, username, **GPS)
    open_inspection(phone, firm)
    start_inspection(phone)
    theirs = phone.get_by_role("region", name=PRICING)
    expect(theirs.get_by_text(f"本事项由{MARKET}负责检查和录入，您只能查看。")).to_be_visible()
    expect(theirs.get_by_role("button", name="符合").first).to_be_disabled()
    own = phone.get_by_role("region", name=TRANSPORT)
    _answer(own, 1)
    _answer(own, 2)
    assert axe_violations(phone) == []  # the read-only item is announced, not just greyed out
    wait_synced(phone)


def phone_records_own_item_and_submits(phone_context, username: str, firm: str, group: list[str]):
    _, phone = phone_ready(phone_context, username, **GPS)
    open_inspection(phone, firm)  # already started by the other member
    phone.get_by_role("link", name=re.compile("逐项检查")).click()
    phone.get_by_role("heading", name="逐项检查").wait_for()
    theirs = phone.get_by_role("region", name=TRANSPORT)  # 执法队's answers arrived, read-only here
    expect(theirs.get_by_text("本事项由交通运输综合行政执法队负责检查和录入，您只能查看。")).to_be_visible()
    expect(theirs.get_by_role("button", name="符合").first).to_have_attribute("aria-pressed", "true")
    own = phone.get_by_role("region", name=PRICING)
    _answer(own, 1)
    _answer(own, 2)
    phone.get_by_role("link", name="返回检查详情").click()
    phone.get_by_role("link", name=re.compile("现场当事人")).click()
    record_party(phone, "孙建华", "经理")
    phone.get_by_role("link", name=re.compile("检查结论")).click()
    for label in ("未发现问题", "实地检查"):
        phone.get_by_label(label, exact=True).check()
    phone.get_by_label("无须后置处置措施").check()
    phone.get_by_text("已保存在手机上", exact=True).wait_for()
    phone.get_by_role("button", name="下一步：核对笔录并签名").click()
    phone.get_by_role("heading", name="签名").wait_for()
    for name in group:  # one phone for the group's signatures (SIGNATURE_COLLEAGUES_ON_DEVICE)
        sign(phone, f"检查人员 {name}")
    sign(phone, "当事人 孙建华")
    phone.get_by_role("link", name="返回", exact=True).click()
    phone.get_by_role("link", name=re.compile("核对并提交")).click()
    phone.get_by_text("必填内容已齐全，可以提交。").wait_for()
    submit(phone)
    phone.get_by_role("heading", name="证据已全部上传").wait_for(timeout=30_000)


def bureau_reviews_its_part(office, w):
    nav(office, "结果审核")
    office.get_by_role("row").filter(has_text=w["uscc"]).get_by_role("link", name="审核").click()
    office.get_by_role("heading", name=re.compile(w["firm"])).wait_for()
    flags = office.locator("ul.quality-flags > li")  # a visit of seconds is flagged: the reviewer acknowledges it
    expect(flags.filter(has_text="检查用时过短").first).to_be_visible()
    while flags.get_by_role("button", name="确认此提示").count():
        item = flags.filter(has=office.get_by_role("button", name="确认此提示")).first
        item.get_by_label("确认意见（核实了什么、为何仍可通过）").fill("两部门检查人员均在现场，已电话核实")
        item.get_by_role("button", name="确认此提示").click()
        flash(office, "已记录对该质量提示的确认意见")
    parts = office.get_by_role("table", name="各部门审核情况")
    expect(parts.get_by_role("row").filter(has_text=MARKET)).to_contain_text("待审核")
    office.get_by_role("button", name="审核通过", exact=True).click()
    flash(office, "已审核通过本部门检查的事项，已生成本部门的公示记录；待其他部门审核后检查才算审核通过")
    expect(parts.get_by_role("row").filter(has_text="本局（交通运输综合行政执法队）")).to_contain_text("已审核通过")
    expect(office.get_by_role("button", name="审核通过", exact=True)).to_have_count(0)  # the market bureau's is theirs
    nav(office, "结果审核")
    expect(office.get_by_text("另有 1 项联合检查本局已审核通过，待配合部门审核本部门的事项。")).to_be_visible()


def market_reviews_its_part(market, w):
    nav(market, "结果审核")
    row = market.get_by_role("row").filter(has_text=w["uscc"])
    expect(row).to_contain_text(f"联合抽查，待审核：{MARKET}")
    row.get_by_role("link", name="审核").click()
    market.get_by_role("heading", name=re.compile(w["firm"])).wait_for()
    parts = market.get_by_role("table", name="各部门审核情况")
    expect(parts.get_by_role("row").filter(has_text="本局（交通运输综合行政执法队）")).to_contain_text("已审核通过")
    expect(market.get_by_text(TRANSPORT).first).to_be_visible()  # the bureau's item, to read
    expect(market.get_by_role("button", name="确认此提示")).to_have_count(0)  # the visit's flags: the bureau's
    approve = market.locator("form").filter(has=market.get_by_role("heading", name=f"审核通过本部门检查的事项（{PRICING}）"))
    approve.get_by_label("审核意见").fill("计价器检定合格，明码标价")
    approve.get_by_role("button", name="审核通过", exact=True).click()
    flash(market, "审核通过：各部门均已审核通过，本部门的公示记录已生成")
    expect(parts.get_by_role("row").filter(has_text=MARKET)).to_contain_text("已审核通过")
    assert axe_violations(market) == []
    nav(market, "结果审核")
    expect(market.get_by_text("暂无待审核的检查结果。")).to_be_visible()


def published_per_department(office, leader, market, public, w):
    nav(office, "公示")
    rows = office.get_by_role("row").filter(has_text=w["uscc"])
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=f"{MARKET}检查的事项，由该部门公开")).to_have_count(1)
    office.get_by_label(f"选择 {w['firm']}").check()  # only the bureau's own record can be sent to its leader
    office.get_by_role("button", name="将所选记录提交领导审批").click()
    flash(office, "已提交领导审批 1 条公示记录")

    nav(leader, "审批")
    leader.get_by_label(re.compile(f"^选择 公示抽查结果：{w['firm']}")).check()
    leader.get_by_role("button", name="提交审批意见").click()
    flash(leader, "已批准 1 项")

    nav(market, "公示")
    market.get_by_role("row").filter(has_text=f"{MARKET}检查的事项").get_by_role("link", name="查看").click()
    market.get_by_label("说明").fill("县市场监督管理局审核同意")
    market.get_by_role("button", name="公开", exact=True).click()
    flash(market, "已公开本部门检查的事项结果")

    public.goto("/public/")
    public.get_by_role("navigation", name="公开栏目").get_by_role("link", name="抽查结果").click()
    public.get_by_label("企业名称或统一社会信用代码").fill(w["uscc"])
    public.get_by_role("button", name="查询").click()
    results = public.get_by_role("main")
    expect(results.get_by_role("row").filter(has_text=TRANSPORT)).to_contain_text("未发现问题")
    expect(results.get_by_role("row").filter(has_text=PRICING)).to_contain_text("未发现问题")
    expect(results).to_contain_text(MARKET)

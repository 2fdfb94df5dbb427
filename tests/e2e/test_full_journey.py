"""The journey that must always work (DESIGN §1), walked in Chromium through what each person sees:
office staff import 一单两库 from .xlsx files and the admin gives the inspectors their accounts; the plan is
written, approved by the leader and published; a task is published with its commitment and drawn before a
witness, and anyone can re-run the draw from the public record; an inspector on a Pixel 7 downloads the
inspection, records it offline (a 不符合 with a finding, a photo, the signatures), syncs and gets the
receipt; the office returns it, the phone fixes and resubmits it, the office approves it; the violation is
referred (抄告) and marked on the target's credit file; the leader approves publication and the result
appears on the portal and in the export, never before; the 现场检查笔录 PDF carries the target and finding.

Only the starting accounts (admin, office, leader) and the department are seeded: there is no page for them."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
from collections import Counter

from playwright.sync_api import expect

from tests.e2e import journey_kit as kit
from tests.e2e.journey_after import (FINDING, Drawn, publish_after_leader_approves, record_pdf_has_target_and_finding,
                                     refer_and_mark_credit)
from tests.e2e.journey_kit import INSPECTORS, TARGETS, choose, flash, kv, nav
from tests.e2e.pwa_kit import (PASSWORD, back_to_overview, open_inspection, open_section, phone_ready,
                               record_complete_inspection, sign_again, submit, wait_synced)
from tests.factories import create_department

PHOTO = "车辆技术档案（晋E12345）"
PARTY = "赵志强"
RETURN_NOTE = "请补充整改期限"
GPS = {"geolocation": {"latitude": kit.TARGET_LAT, "longitude": kit.TARGET_LON, "accuracy": 8},
       "permissions": ["geolocation"]}
STAFF = (("admin", "admin", "系统管理员 郭强"), ("office", "fazhi", "法制股 陈静"), ("leader", "juzhang", "局长 周明"))


def test_registries_to_published_result_and_printed_record(live_server, desk, page, phone_context, tmp_path):
    with live_server.session() as s:
        create_department(s, name=kit.DEPARTMENT, code="ZFYZD")
    for role, username, display_name in STAFF:
        live_server.create_user(role, username=username, display_name=display_name)
    admin, office, leader, public = desk("admin"), desk("fazhi"), desk("juzhang"), page

    import_registries(office)
    create_inspector_accounts(admin)
    plan_approved_and_published(office, leader, public)
    code, commitment = task_published(office, public)
    drawn = draw_with_witness(office, public, code, commitment, tmp_path)

    phone = record_offline_and_sync(phone_context, drawn)
    office_returns(office, drawn)
    phone_fixes_and_resubmits(phone, drawn)
    office_approves(office, drawn)
    refer_and_mark_credit(office, drawn)
    publish_after_leader_approves(office, leader, public, drawn)
    record_pdf_has_target_and_finding(office, code, drawn, tmp_path)


# ---- 1. 一单两库 and the inspectors' accounts ------------------------------------------------------------

def import_registries(office):
    kit.import_sheet(office, "检查对象", "检查对象名录.xlsx", kit.targets_sheet(), created=len(TARGETS))
    nav(office, "检查对象")
    for t in TARGETS:
        expect(office.get_by_role("row").filter(has_text=t.uscc)).to_contain_text(t.name)
    kit.import_sheet(office, "执法人员", "执法检查人员名录.xlsx", kit.inspectors_sheet(), created=len(INSPECTORS))
    kit.import_sheet(office, "抽查事项", "随机抽查事项清单.xlsx", kit.items_sheet(), created=1)
    nav(office, "抽查事项")
    expect(office.get_by_role("link", name=kit.ITEM_NAME)).to_be_visible()


def create_inspector_accounts(admin):
    nav(admin, "用户")
    for person in INSPECTORS:
        form = admin.get_by_role("region", name="新建用户")
        form.get_by_label("用户名").fill(person.username)
        choose(form, "角色", "执法检查人员")
        choose(form, "关联执法检查人员", person.option)
        choose(form, "所属部门", kit.DEPARTMENT)
        form.get_by_label("初始密码").fill(PASSWORD)
        form.get_by_role("button", name="创建用户").click()
        flash(admin, f"已创建用户 {person.username}")
    table = admin.get_by_role("table", name="用户列表")
    for person in INSPECTORS:
        expect(table.get_by_role("row").filter(has_text=person.username)).to_contain_text(
            f"{person.name}（执法证号 {person.cert_no}）")


# ---- 2. the annual plan -----------------------------------------------------------------------------

PLAN_ENTRY = {"抽查任务名称": "道路货运企业经营行为双随机抽查", "抽查对象范围": "道路普通货物运输经营者",
              "抽查比例及频次": "各风险等级 100%，每年 1 次"}
# A plan row names its type, items and departments from the registries (pickers, not free text).
PLAN_CHOICES = {"抽查类型": "不定向", "抽查事项": f"{kit.ITEM_CODE} {kit.ITEM_NAME}", "发起部门": kit.DEPARTMENT}


def plan_name() -> str:
    return f"{kit.beijing_today().year}年度道路运输领域“双随机、一公开”抽查计划"


def plan_approved_and_published(office, leader, public):
    nav(office, "计划与任务")
    office.get_by_label("年度").fill(str(kit.beijing_today().year))
    office.get_by_label("计划名称").fill(plan_name())
    choose(office, "制定部门", kit.DEPARTMENT)
    office.get_by_role("button", name="新建计划").click()
    flash(office, "已新建计划")
    for label, value in PLAN_ENTRY.items():  # the first row of the plan's table of tasks
        office.get_by_label(f"第 1 项{label}", exact=True).fill(value)
    for label, option in PLAN_CHOICES.items():
        office.get_by_label(f"第 1 项{label}", exact=True).select_option(label=option)
    office.get_by_label("第 1 项抽查时间段开始").fill(kit.beijing_today().isoformat())
    office.get_by_label("第 1 项抽查时间段结束").fill((kit.beijing_today() + dt.timedelta(days=60)).isoformat())
    office.get_by_role("button", name="保存计划内容").click()
    flash(office, "计划内容已保存")
    office.get_by_role("button", name="提交领导审批").click()
    flash(office, "已提交领导审批")

    nav(leader, "审批")  # the leader opens the plan from the inbox, reads it, approves it there
    leader.get_by_role("link", name=f"审批年度抽查计划：{plan_name()}（第 1 版）").click()
    expect(leader.get_by_role("cell", name=PLAN_ENTRY["抽查任务名称"])).to_be_visible()
    leader.get_by_label("审批意见").fill("同意")
    leader.get_by_role("button", name="批准", exact=True).click()
    flash(leader, "已批准")

    office.reload()
    office.get_by_role("button", name="公布计划").click()
    flash(office, "计划已公布")
    public.goto("/public/")
    public.get_by_role("navigation", name="公开栏目").get_by_role("link", name="抽查计划").click()
    expect(public.get_by_role("heading", name=re.compile(re.escape(plan_name())))).to_be_visible()
    expect(public.get_by_role("cell", name=PLAN_ENTRY["抽查任务名称"])).to_be_visible()


# ---- 3. the task and 4. the draw ------------------------------------------------------------------------

def task_published(office, public) -> tuple[str, str]:
    office.get_by_role("link", name="新建抽查任务").click()
    office.get_by_label("任务名称").fill(PLAN_ENTRY["抽查任务名称"])
    choose(office, "对应计划安排", f"第 1 项：{PLAN_ENTRY['抽查任务名称']}")
    office.get_by_label("不定向").check()
    office.get_by_label(kit.ITEM_LABEL).check()
    for level in ("低", "一般", "较高", "高"):
        office.get_by_label(f"风险等级{level}的抽取比例", exact=True).fill("100")
    choose(office, "发起部门", kit.DEPARTMENT)
    start = kit.beijing_today()
    office.get_by_label("开始日期").fill(start.isoformat())
    office.get_by_label("结束日期").fill((start + dt.timedelta(days=40)).isoformat())
    office.get_by_label("抽取后立即公开服务器种子").check()
    office.get_by_role("button", name="保存任务草稿").click()
    flash(office, "已保存任务草稿")
    expect(office.get_by_role("cell", name=re.compile("^总体抽查比例"))).to_have_text("总体抽查比例 100%")
    office.get_by_role("button", name="发布任务（公开承诺值）").click()
    flash(office, "任务已发布，承诺值已在门户公开")
    code = kv(office, "任务编号").inner_text().strip()
    commitment = kv(office, "承诺值 sha256(服务器种子)").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)

    public.get_by_role("navigation", name="公开栏目").get_by_role("link", name="抽查任务与抽取验证").click()
    public.get_by_role("link", name=code).click()
    expect(kv(public, "承诺值 sha256(服务器种子)")).to_have_text(commitment)
    expect(kv(public, "服务器种子")).to_have_text("抽取后公开")
    expect(public.get_by_text("该任务尚未抽取。")).to_be_visible()
    return code, commitment


def draw_with_witness(office, public, code: str, commitment: str, tmp_path) -> Drawn:
    office.get_by_role("link", name="组织抽取").click()
    expect(office.get_by_text(commitment)).to_be_visible()  # the witness checks it against the portal
    expect(office.get_by_label("监督人输入的随机字符串")).to_have_count(0)  # nothing to type before the seal
    office.get_by_role("button", name="封存抽取数据").click()  # 封存: listing, pool and recusals frozen
    flash(office, f"已封存：检查对象 {len(TARGETS)} 个、执法人员 {len(INSPECTORS)} 人、回避关系 0 条")
    seal = kv(office, "封存摘要 seal_sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", seal)
    public.reload()  # the seal is public before the witness types, and the witness checks it there
    expect(public.get_by_role("cell", name=f"封存摘要 seal_sha256：{seal}")).to_be_visible()
    expect(public.get_by_role("cell", name="已封存，待抽取")).to_be_visible()
    expect(office.get_by_text("规范化后的文字被记录并公开")).to_be_visible()
    office.get_by_label("监督人输入的随机字符串").fill(kit.WITNESS)
    office.get_by_label("我确认：监督人在场").check()
    office.get_by_role("button", name="开始抽取").click()
    flash(office, f"抽取完成：抽中 {len(TARGETS)} 个检查对象，生成检查 {len(TARGETS)} 项")
    expect(kv(office, "监督人输入的随机字符串")).to_have_text(kit.WITNESS)
    drawn = choose_inspection(office)

    public.reload()
    expect(public.get_by_text("抽中对象与检查组与记录一致，抽取所用的名单与封存时公开的一致，封存早于监督人输入。")).to_be_visible()
    record_bytes = kit.download(public, public.get_by_role("link", name="下载完整抽取记录（JSON）"))
    record = json.loads(record_bytes)
    assert record["commitment"] == commitment and record["witness_entropy"] == kit.WITNESS
    assert hashlib.sha256(bytes.fromhex(record["server_seed"])).hexdigest() == commitment
    expect(kv(public, "服务器种子")).to_have_text(record["server_seed"])
    expect(kv(public, "记录摘要 record_sha256")).to_have_text(record["record_sha256"])
    assert {s["uscc"] for s in record["selections"]} == {t.uscc for t in TARGETS}
    assert record["algorithm"] == "spotcheck-draw-v2" and record["seal"]["seal_sha256"] == seal
    expect(public.get_by_text("本页已按公开记录重新计算（算法 spotcheck-draw-v2）")).to_be_visible()
    checked = kit.verify_draw(record_bytes, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"验证通过：任务 {code}" in checked.stdout
    digest = kv(public, "记录摘要 record_sha256").inner_text().strip()  # what the page published, as copied off it
    checked = subprocess.run([str(kit.SPOTCHECK), "verify-draw", str(tmp_path / "draw-record.json"), "--commitment",
                              commitment, "--record-sha256", digest, "--seal-sha256", seal],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"封存摘要：{seal}（与公开的一致）" in checked.stdout
    return drawn


def choose_inspection(office) -> Drawn:
    """From the task page's groups: an inspection whose member has a second one (so the phone's list has an
    order to put the returned inspection on top of)."""
    groups = {}
    for t in TARGETS:
        cell = office.get_by_role("row").filter(has_text=t.uscc).get_by_role("cell").nth(3).inner_text()
        groups[t] = tuple(sorted((p for p in INSPECTORS if p.name in cell), key=lambda p: cell.index(p.name)))
        assert len(groups[t]) == 2, cell
    load = Counter(p for group in groups.values() for p in group)
    return next(Drawn(t, groups[t], p) for t in TARGETS for p in groups[t] if load[p] > 1)


# ---- 5. on the phone, and 6. review ---------------------------------------------------------------

def record_offline_and_sync(phone_context, drawn: Drawn):
    ctx, phone = phone_ready(phone_context, drawn.inspector.username, **GPS)
    ctx.set_offline(True)
    open_inspection(phone, drawn.target.name)
    record_complete_inspection(phone, party=PARTY, members=[p.name for p in drawn.group])
    phone.get_by_role("heading", name="尚未全部上传").wait_for()
    ctx.set_offline(False)  # back in signal: the outbox flushes by itself
    phone.get_by_role("heading", name="证据已全部上传").wait_for(timeout=30_000)
    phone.locator("#syncbar").filter(has_text="全部已同步").wait_for()
    return phone


def open_review(office, drawn: Drawn):
    nav(office, "结果审核")
    office.get_by_role("row").filter(has_text=drawn.target.uscc).get_by_role("link", name="审核").click()
    office.get_by_role("heading", name=re.compile(drawn.target.name)).wait_for()


def office_returns(office, drawn: Drawn):
    open_review(office, drawn)
    expect(office.get_by_role("row").filter(has_text=FINDING).first).to_be_visible()
    photo = office.get_by_role("img", name=f"现场照片：{PHOTO}")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") > 0  # the file itself arrived, not just its record
    signatures = office.get_by_role("region", name="当事人与签名")
    for who in [f"检查人员：{p.name}" for p in drawn.group] + [f"当事人：{PARTY}"]:
        expect(signatures.get_by_role("listitem").filter(has_text=who)).to_be_visible()
    office.get_by_label("需要补正的内容").fill(RETURN_NOTE)
    office.get_by_role("button", name="退回", exact=True).click()
    flash(office, "已退回：退回意见将在检查人员下次同步时送达手机")


def phone_fixes_and_resubmits(phone, drawn: Drawn):
    phone.goto("/app/#/")
    wait_synced(phone)
    items = phone.get_by_role("list", name="检查任务").get_by_role("listitem")
    expect(items).to_have_count(2)
    items.first.get_by_text(drawn.target.name).wait_for()
    items.first.get_by_text(f"退回意见：{RETURN_NOTE}").wait_for()
    open_inspection(phone, drawn.target.name)
    phone.get_by_text(f"已退回：{RETURN_NOTE}").wait_for()
    open_section(phone, "发现的问题")
    phone.get_by_role("link", name="修改").click()
    phone.get_by_label("整改期限").fill((kit.beijing_today() + dt.timedelta(days=30)).isoformat())
    phone.get_by_label("修改原因").fill("按审核意见补充整改期限")
    phone.get_by_role("button", name="保存修改").click()
    phone.get_by_role("heading", name="发现的问题").wait_for()
    back_to_overview(phone)
    # The signatures covered the finding as it was: the group and the party sign the corrected record again.
    sign_again(phone, [f"检查人员 {p.name}" for p in drawn.group] + [f"当事人 {PARTY}"])
    open_section(phone, "核对并提交")
    submit(phone)
    phone.get_by_role("heading", name="证据已全部上传").wait_for(timeout=30_000)


def office_approves(office, drawn: Drawn):
    open_review(office, drawn)
    expect(kv(office, "版本")).to_contain_text("第 2 版")
    deadline = (kit.beijing_today() + dt.timedelta(days=30)).isoformat()
    expect(office.get_by_role("row").filter(has_text=FINDING).filter(has_text=deadline).first).to_be_visible()
    flags = office.locator("ul.quality-flags > li")  # 走过场 signals: at least the visit took seconds, not minutes
    expect(flags.filter(has_text="检查用时过短").first).to_be_visible()
    while flags.get_by_role("button", name="确认此提示").count():
        item = flags.filter(has=office.get_by_role("button", name="确认此提示")).first
        item.get_by_label("确认意见（核实了什么、为何仍可通过）").fill("已电话核实当事人，检查组确在现场")
        item.get_by_role("button", name="确认此提示").click()
        flash(office, "已记录对该质量提示的确认意见")
    office.get_by_role("button", name="审核通过", exact=True).click()
    flash(office, "审核通过：已生成公示记录")

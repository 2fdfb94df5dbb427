"""People and the phone: a returned inspection comes back with the reviewer's note, is fixed and resubmitted;
two inspectors share one phone and never see each other's records; logging out with unsynced records asks
first and discards nothing."""
from __future__ import annotations

import re

from server.models.accounts import User
from server.models.fieldwork import Finding
from server.models.inspections import Inspection
from server.services.followup import review
from tests.e2e.pwa_kit import (TARGET, back_to_overview, begin_inspection, open_inspection, open_section, phone_login,
                               phone_ready, record_complete_inspection, seed_group, seed_inspection, sign, submit,
                               wait_synced)


def _logout(page):
    page.get_by_role("link", name="我的").click()
    page.get_by_role("button", name="退出登录").click()


def test_a_returned_inspection_shows_the_note_on_top_and_is_fixed_and_resubmitted(live_server, phone_context):
    with live_server.session() as s:
        people = seed_group(s)
        iid = seed_inspection(s, people)
        seed_inspection(s, people, target_name="阳城县顺通汽车运输有限公司")
    page = phone_context().new_page()
    phone_login(page, "wangjg")
    open_inspection(page)
    record_complete_inspection(page)
    page.get_by_role("heading", name="证据已全部上传").wait_for(timeout=20_000)

    office, _ = live_server.create_user("office")
    with live_server.session() as s:
        review.return_for_fix(s, s.query(User).filter_by(username=office).one(), iid, note="请补充整改期限")
    page.goto("/app/#/")
    wait_synced(page)
    first = page.get_by_role("list", name="检查任务").get_by_role("listitem").first
    first.get_by_text(TARGET).wait_for()
    first.get_by_text("退回意见：请补充整改期限").wait_for()
    page.get_by_role("link", name="需要处理").click()
    page.get_by_role("heading", name="被退回的检查（1）").wait_for()
    page.get_by_role("link", name="去修改").click()
    page.get_by_text("已退回：请补充整改期限").wait_for()
    open_section(page, "发现的问题")
    page.get_by_role("link", name="修改").click()
    page.get_by_role("button", name="保存修改").click()
    page.get_by_text("请填写修改原因").wait_for()
    page.get_by_label("整改期限").fill("2030-06-30")
    page.get_by_label("修改原因").fill("按审核意见补充整改期限")
    page.get_by_role("button", name="保存修改").click()
    page.get_by_role("heading", name="发现的问题").wait_for()
    page.get_by_text("修改前的版本（1）").wait_for()
    back_to_overview(page)
    open_section(page, "核对并提交")  # the signatures covered the finding as it was: they are asked for again
    page.get_by_role("link", name="当事人 赵志强 签名之后内容有改动，需重新签名").wait_for()
    assert page.get_by_role("button", name="提交检查结果").is_disabled()
    back_to_overview(page)
    open_section(page, "签名")
    for who in ("检查人员 王建国", "检查人员 李明", "当事人 赵志强"):
        sign(page, who, again=True)
    back_to_overview(page)
    open_section(page, "核对并提交")
    page.get_by_text("必填内容已齐全，可以提交。").wait_for()
    submit(page)
    page.get_by_role("heading", name="证据已全部上传").wait_for(timeout=20_000)
    with live_server.session() as s:
        insp = s.get(Inspection, iid)
        assert (insp.status, insp.version) == ("submitted", 2)
        findings = s.query(Finding).filter_by(inspection_id=iid).all()
        assert len(findings) == 2 and any(f.supersedes_id and str(f.rectify_by) == "2030-06-30" for f in findings)


def test_two_inspectors_on_one_phone_never_see_each_others_records(live_server, phone_context):
    with live_server.session() as s:
        iid_a = seed_inspection(s, seed_group(s))
        seed_inspection(s, seed_group(s, (("zhangs", "张三"), ("liuq", "刘强")), department="执法二中队"), target_name="阳城县安达驾驶员培训学校")
    ctx, page = phone_ready(phone_context)
    ctx.set_offline(True)
    begin_inspection(page, "不符合")

    page.get_by_role("link", name="我的").click()
    page.get_by_text(re.compile(r"^持久存储：(已获得|未获得)")).wait_for()
    page.get_by_text(re.compile(r"^已用 .+，可用上限 .+")).wait_for()
    _logout(page)  # 3 records not yet synced: the phone asks first
    page.get_by_role("heading", name="还有未同步的记录").wait_for()
    page.get_by_role("button", name="取消").click()
    page.get_by_role("heading", name="我的").wait_for()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="退出（记录保留在本机）").click()
    page.get_by_role("heading", name="登录").wait_for()
    page.get_by_text("王建国：2 条（需本人登录后同步，您看不到这些记录）").wait_for()

    ctx.set_offline(False)
    phone_login(page, "zhangs")
    page.get_by_text("阳城县安达驾驶员培训学校").wait_for()
    assert page.get_by_text(TARGET).count() == 0
    page.get_by_role("link", name="需要处理").click()
    assert page.get_by_text("检查要点判定").count() == 0
    _logout(page)  # nothing unsynced: no question
    page.get_by_role("heading", name="登录").wait_for()

    phone_login(page, "wangjg")
    page.get_by_text("2 条待同步").or_(page.get_by_text("全部已同步")).first.wait_for()
    wait_synced(page)
    with live_server.session() as s:
        insp = s.get(Inspection, iid_a)
        assert insp.status == "in_progress" and insp.started_at is not None

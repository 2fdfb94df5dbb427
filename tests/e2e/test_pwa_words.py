"""Words the inspector understands, on a 360×740 touch phone: the target card (the contact's name apart from the
phone number, a 危货 company's own 行业类别), no countdown for approved work, no raw codes (a version hash, a
key id), 需要处理 with its count, an offline receipt that says plainly what will happen, and a favicon."""
from __future__ import annotations

import re

from server.models.accounts import User
from server.models.inspections import Inspection
from server.services.followup import review
from tests.e2e.pwa_kit import (SMALL_PHONE, TARGET, open_inspection, record_complete_inspection, seed_group,
                               seed_inspection, small_phone)


HEX = r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"  # a hash or key id (with a letter: not a 执法证号)


def _row(page, label: str):
    return page.get_by_role("region", name="检查对象").locator(".kv").filter(has=page.get_by_text(label, exact=True))


def test_the_target_card_keeps_the_contact_apart_from_the_number_and_names_a_dangerous_goods_carrier(live_server, phone_context):
    with live_server.session() as s:
        people = seed_group(s)
        seed_inspection(s, people)
        danger = seed_inspection(s, people, target_name="阳城县安运危险货物运输有限公司")
        insp = s.get(Inspection, danger)
        insp.target_snapshot = {**insp.target_snapshot, "category": "freight", "licences": [
            {"kind": "道路运输经营许可证（危险货物运输）", "no": "晋交运管许可晋字140522000123号", "valid_until": "2027-06-30"}]}
    ctx, page = small_phone(phone_context)
    open_inspection(page)
    assert _row(page, "联系人").locator("dd").inner_text() == "赵志强"
    phone = _row(page, "联系电话").get_by_role("link", name="拨打 13903560000")
    assert phone.get_attribute("href") == "tel:13903560000" and phone.inner_text() == "13903560000"
    assert _row(page, "行业类别").locator("dd").inner_text() == "道路普通货物运输"
    open_inspection(page, "阳城县安运危险货物运输有限公司")
    assert _row(page, "行业类别").locator("dd").inner_text() == "道路危险货物运输"
    assert "危险货物运输" in _row(page, "许可证").inner_text()


def test_done_work_has_no_countdown_no_raw_codes_and_what_needs_her_is_counted(live_server, phone_context):
    with live_server.session() as s:
        people = seed_group(s)
        iid = seed_inspection(s, people)
        returned = seed_inspection(s, people, target_name="阳城县顺通货运有限公司")
        s.get(Inspection, returned).status, s.get(Inspection, returned).reviewer_note = "returned", "请补拍营业执照"
    ctx, page = small_phone(phone_context)
    open_inspection(page)
    record_complete_inspection(page)
    page.get_by_role("heading", name="证据已全部上传").wait_for(timeout=20_000)
    main = page.locator("main").inner_text()
    assert "签名密钥" not in main and not re.search(HEX, main), main
    office, _ = live_server.create_user("office")
    with live_server.session() as s:
        reviewer = s.query(User).filter_by(username=office).one()
        for flag in review.detail(s, reviewer, iid)["quality_flags"]:  # a quick e2e visit is flagged: acknowledged
            review.acknowledge_flag(s, reviewer, iid, flag.id, note="测试中的快速检查")
        review.approve(s, reviewer, iid, note="同意")
    page.goto("/app/#/")
    page.get_by_role("button", name="同步", exact=True).click()
    card = page.locator("li.inspection-card").filter(has_text=TARGET)
    card.get_by_text("已审核通过").wait_for()
    assert "还剩" not in card.inner_text()
    badge = page.locator("#attention-badge")
    assert badge.inner_text() == "1"  # the returned inspection needs her
    page.get_by_role("link", name="需要处理").click()
    page.get_by_text("共 1 项需要处理").wait_for()
    page.get_by_role("link", name="我的").click()
    page.get_by_role("heading", name="应用").wait_for()
    mine = page.locator("main").inner_text()
    version = page.request.get("/app/version.json").json()["version"]
    assert "已安装离线版本" in mine and version not in mine and not re.search(HEX, mine), mine


def test_the_offline_receipt_says_plainly_what_will_happen(live_server, phone_context):
    with live_server.session() as s:
        seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    ctx.set_offline(True)
    open_inspection(page)
    record_complete_inspection(page)
    status = page.get_by_role("status").filter(has_text="尚未全部上传")
    status.get_by_text("现在没有网络").wait_for()
    text = status.inner_text()
    assert "都已保存在这部手机上，不会丢失" in text and "有信号后会自动上传，不用再操作" in text, text
    assert "证据已全部上传" in text  # what she will see, and when


def test_the_app_has_a_favicon(live_server, phone_context):
    page = phone_context(**SMALL_PHONE).new_page()
    page.goto("/app/")
    icons = page.eval_on_selector_all("link[rel~=icon]", "els => els.map((e) => [e.getAttribute('href'), e.getAttribute('sizes')])")
    assert ["icons/favicon-32.png", "32x32"] in icons
    for href, _ in icons:
        resp = page.request.get(f"/app/{href}")
        assert resp.ok and resp.headers["content-type"] == "image/png", href
    root = page.request.get("/favicon.ico")  # browsers ask the site's root too
    assert root.ok and root.headers["content-type"] == "image/png"

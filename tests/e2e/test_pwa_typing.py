"""Nothing typed is lost (a note, a finding, a 新增问题, the party being typed survive a reload and a killed app,
offline), and the office's own check of a 身份证号 happens on the phone: a wrong check digit is flagged."""
from __future__ import annotations

from server.models.fieldwork import PartyRecord
from tests.e2e.pwa_kit import begin_inspection, seed_group, seed_inspection, small_phone, wait_synced

NOTE = "消防器材过期两个月，已拍照"
FINDING = "晋E12345 车辆技术档案缺少 2023 年度审验记录"


def _type(page, label: str, text: str):
    """Type as a thumb does, key by key, and never leave the field (no blur, no change event)."""
    field = page.get_by_label(label)
    field.click()
    field.press_sequentially(text, delay=5)
    page.wait_for_timeout(600)  # a pause in typing; then the app is killed


def test_a_note_and_a_new_finding_being_typed_survive_a_reload_and_a_killed_app(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    ctx.set_offline(True)
    begin_inspection(page, "不符合")
    _type(page, "第 1 项说明", NOTE)
    page.reload()
    page.get_by_role("heading", name="逐项检查").wait_for()
    assert page.get_by_label("第 1 项说明").input_value() == NOTE
    page.get_by_role("button", name="保存这条说明").click()
    page.get_by_role("button", name="保存这条说明").wait_for(state="detached")
    page.reload()  # recorded with the answer now: shown from the record, nothing left to restore
    page.get_by_role("heading", name="逐项检查").wait_for()
    assert page.get_by_label("第 1 项说明").input_value() == NOTE
    assert page.get_by_role("button", name="保存这条说明").count() == 0

    page.goto(f"/app/#/i/{iid}/finding/new?cp=2")
    page.get_by_role("heading", name="新增问题").wait_for()
    _type(page, "问题描述", FINDING)
    _type(page, "责令改正内容", "责令 30 日内补齐")
    page.close()  # the app is killed (swiped away)
    page = ctx.new_page()
    page.goto(f"/app/#/i/{iid}/finding/new?cp=2")
    page.get_by_role("heading", name="新增问题").wait_for()
    page.get_by_text("已恢复上次未保存的填写内容。").wait_for()
    assert page.get_by_label("问题描述").input_value() == FINDING
    assert page.get_by_label("责令改正内容").input_value() == "责令 30 日内补齐"
    page.get_by_role("button", name="保存问题").click()
    page.get_by_role("heading", name="发现的问题").wait_for()
    page.goto(f"/app/#/i/{iid}/finding/new?cp=2")  # saved as a record: the form starts empty again
    page.get_by_role("heading", name="新增问题").wait_for()
    assert page.get_by_label("问题描述").input_value() == ""


def test_the_party_being_typed_survives_and_a_wrong_id_check_digit_is_flagged(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    begin_inspection(page)
    page.goto(f"/app/#/i/{iid}/party")
    page.get_by_role("heading", name="现场当事人").wait_for()
    _type(page, "姓名", "赵志强")
    _type(page, "身份证号", "140522198803150017")  # one digit mistyped: the check digit no longer fits
    page.get_by_text("身份证号的校验位不对").wait_for()
    page.reload()
    page.get_by_role("heading", name="现场当事人").wait_for()
    assert page.get_by_label("姓名").input_value() == "赵志强"
    page.get_by_role("button", name="保存当事人信息").click()
    page.get_by_text("身份证号的校验位不对（最后一位与前 17 位不相符）").wait_for()
    assert page.get_by_role("heading", name="现场当事人").count() == 1  # not saved
    page.get_by_label("身份证号").fill("140522198803150014")
    page.get_by_role("button", name="保存当事人信息").click()
    page.get_by_role("heading", name="检查详情").wait_for()
    wait_synced(page)
    with live_server.session() as s:
        assert [p.id_number for p in s.query(PartyRecord).all()] == ["140522198803150014"]

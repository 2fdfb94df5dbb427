"""The phone follows the server's completeness rules (pwa/js/submit-rules.js): nobody on site (无人在场) needs no
party signature but a photo or a witness, the review screen says so in words, and the submit then goes through."""
from __future__ import annotations

from server.models.inspections import Inspection
from server.models.fieldwork import PartyRecord
from tests.e2e.pwa_kit import (answer, back_to_overview, choose_result, open_inspection, open_section, seed_group,
                               seed_inspection, sign, small_phone, start_inspection, submit, take_photo)


def test_nobody_on_site_is_recorded_proven_by_a_photo_and_submitted(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    open_inspection(page)
    start_inspection(page)
    for seq, label in ((1, "符合"), (2, "符合"), (3, "不涉及")):
        answer(page, seq, label)
    back_to_overview(page)
    open_section(page, "现场当事人")
    page.get_by_label("无人在场（找不到当事人或现场负责人）").check()
    page.get_by_role("button", name="保存当事人信息").click()
    page.get_by_text("无人在场的，请注明情况").wait_for()  # what was found is noted
    page.get_by_label("备注").fill("经营场所大门紧锁，拨打登记电话无人接听")
    page.get_by_role("button", name="保存当事人信息").click()
    page.get_by_role("heading", name="检查详情").wait_for()
    page.get_by_role("link", name="5. 现场当事人 无人在场").wait_for()
    open_section(page, "检查结论")
    choose_result(page, categories=("未发现问题",), follow_ups=("无须后置处置措施",))
    page.get_by_role("button", name="下一步：核对笔录并签名").click()
    page.get_by_role("heading", name="签名").wait_for()
    assert page.locator("li.signer").count() == 2  # the two inspectors: nobody of the party is there to sign
    for who in ("检查人员 王建国", "检查人员 李明"):
        sign(page, who)
    back_to_overview(page)
    open_section(page, "核对并提交")
    page.get_by_text("当事人无人在场，但没有见证人签名，也没有现场照片证明").wait_for()
    assert page.get_by_role("button", name="提交检查结果").is_disabled()
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, caption="经营场所大门（紧锁）")
    back_to_overview(page)
    open_section(page, "核对并提交")
    page.get_by_text("必填内容已齐全，可以提交。").wait_for()
    submit(page)
    page.get_by_role("heading", name="证据已全部上传").wait_for(timeout=20_000)
    with live_server.session() as s:
        assert s.get(Inspection, iid).status == "submitted"
        party = s.query(PartyRecord).filter_by(inspection_id=iid).one()
        assert party.absent and party.name == "" and "大门紧锁" in party.note

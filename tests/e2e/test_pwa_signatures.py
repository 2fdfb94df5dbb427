"""Signatures mean what they say, on a 360×740 touch phone: signing comes after the conclusion; a dot is not a
signature; 确认签名 shows it is working; a change after signing asks for the signatures again, 重新签名
replaces that person's signature (kept on record as superseded), and the receipt counts people, not records."""
from __future__ import annotations

import datetime as dt

from server.models.fieldwork import CheckpointAnswer, Signature
from server.models.inspections import Inspection
from server.models.sync import MutationLog
from server.services.documents import fieldwork_context
from tests.e2e.pwa_kit import (add_finding, answer, back_to_overview, choose_result, open_inspection, open_section,
                               record_complete_inspection, record_party, seed_group, seed_inspection, sign, small_phone,
                               start_inspection, submit, take_photo)


def _to_signatures(page):
    open_inspection(page)
    start_inspection(page)
    for seq, label in ((1, "符合"), (2, "不符合"), (3, "不涉及")):
        answer(page, seq, label)
    page.get_by_role("link", name="记录问题").click()  # a 不符合 needs its finding and a photo
    add_finding(page, "车辆技术档案缺少审验记录")
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, caption="车辆技术档案", checkpoint=2)
    back_to_overview(page)
    open_section(page, "现场当事人")
    record_party(page)


def _pad(page, who: str):
    pad = page.get_by_role("img", name=f"{who}的签名区域")
    pad.wait_for()
    return pad.bounding_box()


def test_signing_comes_after_the_conclusion(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    _to_signatures(page)
    open_section(page, "签名")
    page.get_by_text("请先填写检查结论").wait_for()
    assert page.locator("li.signer").get_by_role("link", name="签名", exact=True).count() == 0
    page.goto(f"/app/#/i/{iid}/sign/party")
    page.get_by_text("请先填写检查结论").wait_for()
    assert page.get_by_role("img", name="当事人 赵志强的签名区域").count() == 0
    page.get_by_role("link", name="去填写检查结论").click()
    choose_result(page)
    page.get_by_role("button", name="下一步：核对笔录并签名").click()
    sign(page, "当事人 赵志强")


def test_a_dot_is_refused_and_confirming_shows_that_it_is_working(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    _to_signatures(page)
    open_section(page, "检查结论")
    choose_result(page)
    page.goto(f"/app/#/i/{iid}/sign/party")
    box = _pad(page, "当事人 赵志强")
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a 2-pixel dot
    page.get_by_role("button", name="确认签名").click()
    page.get_by_role("alert").filter(has_text="签名太小").wait_for()
    assert page.get_by_role("heading", name="签名").count() == 1 and "/sign/" in page.url
    page.get_by_role("button", name="清除重签").click()
    page.mouse.move(box["x"] + 40, box["y"] + 150)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 40 + i * 20, box["y"] + 150 - (i % 3) * 30)
    page.mouse.up()
    # What the button says while the signature is stored (recorded as it changes: it is quick).
    page.evaluate("""() => {
      window.__seen = [];
      const b = [...document.querySelectorAll('button')].find((x) => x.textContent === '确认签名');
      new MutationObserver(() => window.__seen.push([b.textContent, b.disabled])).observe(b, { childList: true, attributes: true });
    }""")
    page.get_by_role("button", name="确认签名").click()
    page.locator("li.signer.done").filter(has_text="当事人 赵志强").wait_for()
    assert ["正在保存签名…", True] in page.evaluate("() => window.__seen")
    with live_server.session() as s:
        assert s.query(Signature).count() == 0  # not yet synced: nothing was sent for the dot either


def test_a_change_after_signing_asks_again_and_re_signing_replaces(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context)
    _to_signatures(page)
    open_section(page, "检查结论")
    choose_result(page, summary="车辆技术档案不全")
    signers = ("检查人员 王建国", "检查人员 李明", "当事人 赵志强")
    page.get_by_role("button", name="下一步：核对笔录并签名").click()
    for who in signers:
        sign(page, who)
    back_to_overview(page)
    page.get_by_role("link", name="签名 3/3").wait_for()
    open_section(page, "逐项检查")  # the party points out checkpoint 3 does apply
    answer(page, 3, "符合")
    back_to_overview(page)
    page.get_by_role("link", name="签名 0/3，需重新签名").wait_for()
    open_section(page, "核对并提交")
    for who in signers:
        page.get_by_role("link", name=f"{who} 签名之后内容有改动，需重新签名").wait_for()
    assert page.get_by_role("button", name="提交检查结果").is_disabled()
    back_to_overview(page)
    open_section(page, "签名")
    page.get_by_text("签名之后内容有改动，需重新签名").first.wait_for()
    for who in signers:
        sign(page, who, again=True)
    page.get_by_text("被重新签名替换的签名 3 个").wait_for()
    page.get_by_role("link", name="预览现场检查笔录").click()
    page.locator(".sigs .sig").nth(2).wait_for()
    assert page.locator(".sigs .sig").count() == 3  # the current ones, not six
    page.go_back()
    back_to_overview(page)
    open_section(page, "核对并提交")
    page.get_by_text("必填内容已齐全，可以提交。").wait_for()
    submit(page)
    page.get_by_role("heading", name="证据已全部上传").wait_for(timeout=20_000)
    received = page.get_by_role("region", name="服务器已收到")
    received.get_by_text("签名：3", exact=True).wait_for()  # three signers, not six signature records
    received.get_by_text("检查要点判定：3", exact=True).wait_for()  # three checkpoints, four answers
    with live_server.session() as s:
        assert s.get(Inspection, iid).status == "submitted"
        assert s.query(Signature).count() == 6 and s.query(CheckpointAnswer).count() == 4
        pdf = fieldwork_context.load_record(s, s.get(Inspection, iid))
        assert len(pdf["signatures"]) == 3


def test_a_submit_over_content_the_partner_changed_is_refused_and_needs_attention_says_what_to_do(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
        third = s.get(Inspection, iid).checklist_snapshot[0]["checkpoints"][2]["id"]
    ctx, page = small_phone(phone_context)
    ctx.set_offline(True)  # 王建国 records, has everyone sign and submits without signal
    open_inspection(page)
    record_complete_inspection(page)
    api = live_server.app.test_client()  # meanwhile 李明 corrects checkpoint 3 from his own phone
    token = api.post("/api/v1/auth/token", json={"username": "lim", "password": "password123",
                                                 "device_name": "李明的手机"}).get_json()["token"]
    later = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat()
    resp = api.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {token}"}, json={
        "protocol": 1, "client_id": "22222222-2222-4222-8222-222222222222", "mutations": [{
            "id": 1, "name": "checkpoint.record", "created_at": later, "args": {
                "id": "33333333-3333-4333-8333-333333333333", "inspection_id": iid, "checkpoint_id": third,
                "answer": "compliant", "note": "复核：涉及并符合", "base": []}}]})
    assert resp.get_json()["results"][0]["status"] == "applied"
    ctx.set_offline(False)
    page.get_by_text("被服务器拒收：请在“需要处理”中查看原因").wait_for(timeout=20_000)
    page.get_by_role("link", name="需要处理").click()
    card = page.locator("li.attention").filter(has_text="提交检查结果")
    card.get_by_text("签名之后检查内容有改动").wait_for()
    card.get_by_text("请上述人员重新签名，再提交").wait_for()
    card.get_by_role("link", name="去重新签名").click()
    page.get_by_role("heading", name="签名").wait_for()
    page.get_by_text("签名之后内容有改动，需重新签名").first.wait_for()
    with live_server.session() as s:
        assert s.get(Inspection, iid).status == "in_progress"  # not locked over content nobody signed
        assert s.query(MutationLog).filter_by(code="signatures_stale").count() == 1

"""The inspector's whole day on a Pixel 7: download online, go offline, record, photograph, sign, submit;
come back online, sync, get the receipt; the office sees the inspection."""
from __future__ import annotations

import re

from server.models.inspections import Inspection
from tests.e2e.pwa_kit import (GPS, TARGET, open_inspection, phone_ready, record_complete_inspection, seed_group,
                               seed_inspection)


def test_offline_inspection_syncs_to_a_complete_receipt_and_reaches_the_office(live_server, phone_context, page,
                                                                               office_login):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, phone = phone_ready(phone_context, **GPS)
    phone.locator("#syncbar").filter(has_text="全部已同步").wait_for()

    ctx.set_offline(True)
    open_inspection(phone)
    record_complete_inspection(phone)
    phone.get_by_role("heading", name="尚未全部上传").wait_for()
    assert re.search(r"还有 \d+ 条记录未上传", phone.get_by_role("main").inner_text())
    assert "离线" in phone.locator("#syncbar").inner_text()

    ctx.set_offline(False)  # the `online` event flushes the outbox by itself
    phone.get_by_role("heading", name="证据已全部上传").wait_for(timeout=20_000)
    phone.locator("#syncbar").filter(has_text="全部已同步").wait_for()

    with live_server.session() as s:
        insp = s.get(Inspection, iid)
        assert insp.status == "submitted"
        assert insp.result_categories == ["02"] and insp.follow_ups == ["rectify"]
    office_user, password = live_server.create_user("office")
    office_login(page, office_user, password)
    page.goto("/office/review")
    row = page.get_by_role("row").filter(has_text=TARGET)
    row.get_by_role("link", name="审核").click()
    page.get_by_text("晋E12345 车辆技术档案缺少 2023 年度审验记录").first.wait_for()
    page.get_by_text("赵志强").first.wait_for()
    page.goto("/app/")  # an office browser has no inspector session on the phone app
    page.get_by_role("heading", name="登录").wait_for()

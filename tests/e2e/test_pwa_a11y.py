"""Accessibility: axe-core finds no serious or critical violation on any screen of the phone app
(login, list, every inspection step, receipt, 需要处理, 我的, and the logout question)."""
from __future__ import annotations

import pytest

from tests.e2e.pwa_kit import (AXE, axe_violations, phone_login, record_pending_work, seed_group, seed_inspection,
                               visit_every_screen)

pytestmark = pytest.mark.skipif(not AXE.exists(), reason="缺少 axe-core：请在 tests/pwa 中运行 npm install")


def test_no_serious_accessibility_violations_on_any_screen(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx = phone_context()
    page = ctx.new_page()
    page.goto("/app/")
    page.get_by_role("heading", name="登录").wait_for()
    found = {"登录": axe_violations(page)}
    phone_login(page, "wangjg")
    ctx.set_offline(True)  # unsynced work, so every screen shows its pending state too
    record_pending_work(page, iid)
    for name, p in visit_every_screen(page, iid):
        found[name] = axe_violations(p)
    page.goto("/app/#/me")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="还有未同步的记录").wait_for()
    found["退出确认"] = axe_violations(page)
    assert len(found) == 18
    assert {k: v for k, v in found.items() if v} == {}

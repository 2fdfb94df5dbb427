"""Offline on the phone: a reload, a new tab and a browser restart with queued records lose nothing; a new
version of the app waits for “更新” while records are queued, and the queue survives the update."""
from __future__ import annotations

from server.models.fieldwork import CheckpointAnswer
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.e2e.pwa_kit import (answer, begin_inspection, phone_login, phone_ready, seed_group, seed_inspection,
                               wait_for_controller, wait_synced)


def _answers(live_server, iid):
    with live_server.session() as s:
        return s.query(CheckpointAnswer).filter_by(inspection_id=iid).count()


def _shell_caches(page) -> list[str]:
    """The names of the service worker's shell caches in the page's origin."""
    return page.evaluate("async () => (await caches.keys()).filter((k) => k.startsWith('spotcheck-shell-'))")


def _record_two(page):
    begin_inspection(page)
    answer(page, 2, "不涉及")


def test_reload_and_a_new_tab_while_offline_keep_the_queue(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = phone_ready(phone_context)
    ctx.set_offline(True)
    _record_two(page)
    page.reload()
    page.get_by_role("heading", name="逐项检查").wait_for()
    assert page.get_by_role("group", name="第 1 项判定").get_by_role("button", name="符合", exact=True).get_attribute("aria-pressed") == "true"
    page.locator("#syncbar").filter(has_text="离线：3 条记录保存在手机上").wait_for()
    other = ctx.new_page()
    other.goto("/app/")
    other.get_by_role("heading", name="我的检查任务").wait_for()
    other.get_by_text("3 条待同步").wait_for()
    other.close()
    assert _answers(live_server, iid) == 0
    ctx.set_offline(False)
    page.locator("#syncbar").filter(has_text="全部已同步").wait_for()
    assert _answers(live_server, iid) == 2


def test_restarting_the_phone_browser_offline_keeps_the_queue(live_server, playwright, tmp_path):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}

    def launch(offline: bool):
        ctx = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, offline=offline,
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **device)
        ctx.set_default_timeout(TIMEOUT_MS)
        return ctx

    ctx = launch(offline=False)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    phone_login(page, "wangjg")
    wait_for_controller(page)
    ctx.set_offline(True)
    _record_two(page)
    ctx.close()

    ctx = launch(offline=True)  # the phone restarts in the depot, still without signal
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.goto("/app/")
        page.get_by_role("heading", name="我的检查任务").wait_for()
        page.get_by_text("3 条待同步").wait_for()
        assert _answers(live_server, iid) == 0
        ctx.set_offline(False)
        wait_synced(page)
        assert _answers(live_server, iid) == 2
    finally:
        ctx.close()


def test_a_new_version_waits_for_update_and_keeps_the_queued_records(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = phone_ready(phone_context)
    ctx.route("**/api/v1/sync/push", lambda route: route.abort())  # the server is out of reach for now
    _record_two(page)
    page.locator("#syncbar").filter(has_text="3 条待同步").wait_for()
    old = _shell_caches(page)

    live_server.app.config["PWA_VERSION"] = "2"  # a deploy: sw.js changes
    page.reload()
    page.get_by_text("有新版本可用。待同步的记录不受影响。").wait_for()
    assert _shell_caches(page).count(old[0]) == 1, "the old version keeps running until the user taps 更新"
    page.get_by_role("button", name="更新").click()
    page.wait_for_event("load")
    page.get_by_role("heading", name="逐项检查").wait_for()
    page.locator("#syncbar").filter(has_text="3 条待同步").wait_for()
    caches = _shell_caches(page)
    assert len(caches) == 1 and caches != old, "the old shell cache is deleted on activate"
    assert page.get_by_text("有新版本可用").count() == 0

    ctx.unroute("**/api/v1/sync/push")
    wait_synced(page)
    assert _answers(live_server, iid) == 2

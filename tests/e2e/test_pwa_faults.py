"""Faults on the phone: a mutation the server rejects is shown with its reason and kept; a 500 or an HTML
error page in the middle of a sync keeps the queue; a full disk says so and loses nothing; a phone clock
far off from the server's is shown and recorded."""
from __future__ import annotations

import datetime as dt

from server.models.fieldwork import CheckpointAnswer, Photo
from server.models.inspections import InspectionMember
from tests.e2e.pwa_kit import (back_to_overview, begin_inspection, jpeg_bytes, open_inspection, open_section,
                               phone_login, phone_ready, seed_group, seed_inspection, take_photo, wait_synced)

HTML_502 = "<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"


def test_a_rejected_mutation_is_shown_with_the_server_reason_and_kept(live_server, phone_context):
    with live_server.session() as s:
        people = seed_group(s)
        iid = seed_inspection(s, people)
        me = people[0].id
    ctx, page = phone_ready(phone_context)
    ctx.set_offline(True)
    begin_inspection(page, "不符合")
    with live_server.session() as s:  # meanwhile the office replaced 王建国 in the group
        member = s.query(InspectionMember).filter_by(inspection_id=iid, inspector_id=me).one()
        member.active = False
    ctx.set_offline(False)
    page.get_by_text("被服务器拒收：请在“需要处理”中查看原因").wait_for()
    page.get_by_role("link", name="需要处理").click()
    page.get_by_role("heading", name="服务器拒收的记录（3）").wait_for()
    card = page.locator("li.attention").filter(has_text="检查要点判定：第 1 项")
    card.get_by_text("原因：该检查不属于您所在的检查组").wait_for()
    page.get_by_text("您已不在该检查的检查组").wait_for()
    card.get_by_role("button", name="知道了").click()
    card.get_by_text("已读").wait_for()
    page.reload()
    page.locator("li.attention").filter(has_text="检查要点判定：第 1 项").get_by_text("已读").wait_for()
    with live_server.session() as s:
        assert s.query(CheckpointAnswer).filter_by(inspection_id=iid).count() == 0
    page.get_by_role("link", name="任务").click()
    page.get_by_text("还没有下载到检查任务。").wait_for()


def test_an_html_error_page_in_the_middle_of_a_sync_keeps_the_queue_and_the_retry_delivers(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = phone_ready(phone_context)
    ctx.set_offline(True)
    begin_inspection(page)
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, jpeg_bytes(900, 700))
    # The photo uploads, then the proxy answers the push with its own error page.
    ctx.route("**/api/v1/sync/push", lambda route: route.fulfill(status=502, content_type="text/html", body=HTML_502))
    ctx.set_offline(False)
    page.locator("#syncbar").filter(has_text="服务器暂时无法处理（返回了错误页面）").wait_for()
    page.locator("#syncbar").filter(has_text="3 条待同步").wait_for()
    with live_server.session() as s:
        assert s.query(Photo).filter_by(inspection_id=iid).count() == 0
    ctx.unroute("**/api/v1/sync/push")
    ctx.route("**/api/v1/sync/push", lambda route: route.fulfill(status=500, content_type="application/json",
              body='{"status": 500, "code": "internal_error", "message": "服务器内部错误，请稍后再试；如持续出现请联系管理员", "errors": {}}'))
    page.get_by_role("button", name="同步", exact=True).click()
    page.locator("#syncbar").filter(has_text="服务器内部错误，请稍后再试").wait_for()
    ctx.unroute("**/api/v1/sync/push")
    wait_synced(page)
    with live_server.session() as s:
        assert s.query(Photo).filter_by(inspection_id=iid).count() == 1
        assert s.query(CheckpointAnswer).filter_by(inspection_id=iid).count() == 1


# A full disk as the browser reports it: IndexedDB refuses a write with a QuotaExceededError. (CDP's
# Storage.overrideQuotaForOrigin is not applied to an origin whose storage Chromium already has open, so
# the refusal is injected at the IndexedDB boundary, for writes that carry a file.)
DISK_FULL = """(() => {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (value, key) {
    if (globalThis.__diskFull && value && value.blob instanceof Blob) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    return put.call(this, value, key);
  };
})();"""


def test_a_full_disk_says_so_and_loses_nothing(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = phone_ready(phone_context, init_script=DISK_FULL)
    ctx.set_offline(True)
    begin_inspection(page)
    back_to_overview(page)
    open_section(page, "现场照片")
    page.evaluate("() => { globalThis.__diskFull = true; }")
    page.get_by_label("拍照").set_input_files([{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1600, 1200)}])
    page.get_by_role("alert").filter(has_text="手机存储空间已满，本条记录没有保存（之前的记录都还在）").wait_for()
    assert page.locator("ul.photos > li").count() == 0
    page.locator("#syncbar").filter(has_text="2 条记录保存在手机上").wait_for()
    page.reload()  # nothing half-stored: the queue still holds exactly the two earlier records
    page.locator("#syncbar").filter(has_text="2 条记录保存在手机上").wait_for()
    assert page.locator("ul.photos > li").count() == 0
    take_photo(page, jpeg_bytes(1600, 1200))  # space was freed
    ctx.set_offline(False)
    page.locator("#syncbar").filter(has_text="全部已同步").wait_for()
    with live_server.session() as s:
        assert s.query(CheckpointAnswer).filter_by(inspection_id=iid).count() == 1
        assert s.query(Photo).filter_by(inspection_id=iid).count() == 1


def test_a_phone_clock_three_hours_fast_is_shown_and_recorded_with_each_photo(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx = phone_context()
    page = ctx.new_page()
    page.clock.set_system_time(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3))
    phone_login(page, "wangjg")
    page.get_by_text("手机时间比服务器快 3 小时：请校准手机时间。").wait_for()
    open_inspection(page)
    open_section(page, "现场照片")
    take_photo(page, jpeg_bytes(900, 700))
    wait_synced(page)
    with live_server.session() as s:
        photo = s.query(Photo).filter_by(inspection_id=iid).one()
        assert abs(photo.clock_offset_ms - 3 * 3600 * 1000) < 120_000
        server_now = dt.datetime.now(dt.timezone.utc)
        assert photo.taken_at - server_now > dt.timedelta(hours=2, minutes=50), "the device time is kept as it was"

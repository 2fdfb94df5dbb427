"""The photos screen on a 360×740 touch phone: no sideways scrolling, a photo can be enlarged and deleted before
submitting (withdrawn: kept on record, shown to the reviewer), and a photo too small to be evidence is refused
with the reason — on the phone, and by the server for a file uploaded by another client."""
from __future__ import annotations

from server.models.fieldwork import Photo, PhotoWithdrawal
from tests.e2e.pwa_kit import (GPS, back_to_overview, begin_inspection, jpeg_bytes, open_section, record_pending_work,
                               seed_group, seed_inspection, small_phone, take_photo, visit_every_screen, wait_synced)

WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')].filter((e) => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.right > document.documentElement.clientWidth + 0.5;
}).map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${Math.round(e.getBoundingClientRect().right)} px`)"""


def test_no_screen_scrolls_sideways_on_a_360_px_phone(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context, **GPS)
    ctx.set_offline(True)
    record_pending_work(page, iid)
    for name, p in visit_every_screen(page, iid):
        width = p.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, (name, width, p.evaluate(WIDER_THAN_SCREEN))


def test_a_photo_is_enlarged_and_deleted_before_submitting_and_kept_on_record(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context, **GPS)
    begin_inspection(page)
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, jpeg_bytes(1200, 900, seed=1), caption="经营许可证")
    take_photo(page, jpeg_bytes(1200, 900, seed=2), caption="拍错了：隔壁公司的车")
    wait_synced(page)  # the mistaken photo already reached the server
    page.get_by_role("button", name="放大查看：拍错了：隔壁公司的车").click()
    viewer = page.get_by_role("dialog", name="照片")
    image = viewer.get_by_role("img")
    image.wait_for()
    assert image.evaluate("img => img.naturalWidth") >= 1200 and image.bounding_box()["width"] > 300  # full size
    viewer.get_by_role("button", name="删除照片").click()
    page.get_by_role("button", name="删除", exact=True).click()
    page.get_by_text("已删除照片（记录中保留备查）").wait_for()
    page.get_by_role("heading", name="已拍照片（1）").wait_for()
    page.get_by_text("已删除的照片（1，记录中保留备查）").wait_for()
    assert page.get_by_role("button", name="放大查看：拍错了：隔壁公司的车").count() == 0
    wait_synced(page)
    back_to_overview(page)
    page.get_by_role("link", name="现场照片 1 张").wait_for()
    with live_server.session() as s:
        assert s.query(Photo).filter_by(inspection_id=iid).count() == 2  # nothing dropped
        [withdrawal] = s.query(PhotoWithdrawal).all()
        assert s.get(Photo, withdrawal.photo_id).caption == "拍错了：隔壁公司的车"


def test_a_photo_below_the_minimum_size_is_refused_with_the_reason(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    ctx, page = small_phone(phone_context, **GPS)
    begin_inspection(page)
    back_to_overview(page)
    open_section(page, "现场照片")
    page.get_by_label("拍照").set_input_files([{"name": "thumb.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(64, 48)}])
    page.get_by_role("alert").filter(has_text="照片太小（64×48 像素）").wait_for()
    page.get_by_text("短边至少需要 240 像素").wait_for()
    assert page.locator("ul.photos > li").count() == 0
    take_photo(page, jpeg_bytes(800, 600))
    wait_synced(page)
    with live_server.session() as s:
        assert s.query(Photo).filter_by(inspection_id=iid).count() == 1

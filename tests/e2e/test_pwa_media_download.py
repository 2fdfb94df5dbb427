"""The other member of the group sees the evidence: on 李明's phone, 王建国's photo and signature appear as
images (the server's thumbnails, fetched with 李明's token and kept on the phone, never uploaded again);
offline, a photo whose thumbnail was never fetched keeps “王建国拍摄（在服务器上）”, and it appears once the
phone is back online."""
from __future__ import annotations

import re

from tests.e2e.pwa_kit import (GPS, back_to_overview, choose_result, jpeg_bytes, open_inspection, open_section, phone_login,
                               seed_group, seed_inspection, sign, start_inspection, take_photo, wait_for_controller,
                               wait_synced)
PLACEHOLDER = "王建国拍摄（在服务器上）"


def loaded_images(page, selector: str) -> list[str]:
    """The alt texts of the images under `selector` that have decoded (a real picture, not a broken link)."""
    return page.eval_on_selector_all(selector, "els => els.filter((i) => i.complete && i.naturalWidth > 0).map((i) => i.alt)")


def wait_images(page, selector: str, count: int):
    page.locator(selector).nth(count - 1).wait_for()
    for _ in range(100):
        if len(loaded_images(page, selector)) >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector}: only {loaded_images(page, selector)} decoded")


def pull_until_photos(page, count: int):
    """Tap 同步 until the inspection overview counts `count` photos (the pull has been stored)."""
    for _ in range(20):
        page.goto(page.url.split("#")[0] + "#/")
        wait_synced(page)
        open_inspection(page)
        if page.get_by_role("link", name=re.compile(f"现场照片.*{count} 张")).count():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the pull never brought {count} photos")


def media_traffic(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}") if "/api/v1/media/" in r.url else None)
    return seen


def test_the_second_member_sees_the_first_members_photo_and_signature(live_server, phone_context):
    with live_server.session() as s:
        seed_inspection(s, seed_group(s))
    wang = phone_context(**GPS).new_page()
    phone_login(wang, "wangjg")
    open_inspection(wang)
    start_inspection(wang)
    back_to_overview(wang)
    open_section(wang, "现场照片")
    take_photo(wang, jpeg_bytes(seed=1), caption="经营许可证")
    back_to_overview(wang)
    open_section(wang, "检查结论")  # signing comes after the conclusion
    choose_result(wang)
    back_to_overview(wang)
    open_section(wang, "签名")
    sign(wang, "检查人员 王建国")
    wait_synced(wang)

    ctx = phone_context(**GPS)
    li = ctx.new_page()
    traffic = media_traffic(li)
    phone_login(li, "lim")
    wait_for_controller(li)
    open_inspection(li)
    open_section(li, "现场照片")
    wait_images(li, "ul.photos img.thumb", 1)
    assert loaded_images(li, "ul.photos img.thumb") == ["经营许可证"]
    assert PLACEHOLDER not in li.get_by_role("main").inner_text()
    li.goto(li.url.replace("/photos", "/preview"))
    preview = li.get_by_role("article", name="现场检查笔录预览")
    preview.get_by_role("img", name="王建国的签名").wait_for()
    wait_images(li, "img.sig-img", 1)
    assert "王建国（已签名）" not in preview.inner_text()

    wang.goto(wang.url.split("#")[0] + "#/")  # 王建国 takes a second photo; 李明 pulls it but does not look at it
    open_inspection(wang)
    open_section(wang, "现场照片")
    take_photo(wang, jpeg_bytes(seed=2), caption="车辆技术档案")
    wait_synced(wang)
    pull_until_photos(li, 2)

    ctx.set_offline(True)
    open_inspection(li)
    open_section(li, "现场照片")
    li.get_by_role("heading", name="已拍照片（2）").wait_for()
    li.get_by_text(PLACEHOLDER).wait_for()  # the new photo: never fetched, no signal
    wait_images(li, "ul.photos img.thumb", 1)
    assert loaded_images(li, "ul.photos img.thumb") == ["经营许可证"], "the first one is kept on the phone"

    ctx.set_offline(False)
    li.reload()
    wait_images(li, "ul.photos img.thumb", 2)
    assert sorted(loaded_images(li, "ul.photos img.thumb")) == ["经营许可证", "车辆技术档案"]
    assert li.get_by_text(PLACEHOLDER).count() == 0

    fetched = [t for t in traffic if re.search(r"/api/v1/media/[0-9a-f]{64}/thumb$", t)]
    assert all(t.startswith("GET ") for t in fetched) and len(fetched) == 3, traffic  # two photos, one signature
    assert fetched == [t for t in traffic], "李明's phone never sends (HEAD or PUT) what it only downloaded"

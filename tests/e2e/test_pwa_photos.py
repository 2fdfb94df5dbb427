"""Photos on the phone, in Chromium: EXIF orientation applied, resized on the device, a caption band with
time, place, target and inspectors, a SHA-256 the server agrees with, GPS with accuracy, the clock offset;
a huge or corrupt camera file gets a clear message and stores nothing."""
from __future__ import annotations

import base64
import hashlib
import io

from PIL import Image

from server.models.fieldwork import MediaFile, Photo
from tests.e2e.pwa_kit import (GPS, back_to_overview, jpeg_bytes, open_inspection, open_section, phone_login,
                               phone_ready, seed_group, seed_inspection, start_inspection, take_photo)

PROCESS = """async ([b64, settings, lines]) => {
  const { processPhoto } = await import('/app/js/photos.js');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const out = await processPhoto(new Blob([bytes], { type: 'image/jpeg' }), settings, lines);
  const bmp = await createImageBitmap(out.blob);
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  const px = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
  const buf = new Uint8Array(await out.blob.arrayBuffer());
  let bin = ''; for (const b of buf) bin += String.fromCharCode(b);
  return { width: out.width, height: out.height, bytes: out.bytes, sha256: out.sha256, source: out.source,
           top: px(Math.floor(bmp.width / 2), 20), middle: px(Math.floor(bmp.width / 2), Math.floor(out.source.height * 0.9)),
           band: px(5, bmp.height - 5), b64: btoa(bin) };
}"""


def halves(width=400, height=300, orientation=6) -> bytes:
    """Left half red, right half blue, stored landscape with an EXIF orientation tag."""
    img = Image.new("RGB", (width, height), (220, 0, 0))
    img.paste((0, 0, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def _near(rgb, target, tol=60):
    return all(abs(a - b) <= tol for a, b in zip(rgb, target))


def _photos_screen(live_server, phone_context):
    """王建国's phone, logged in, on the 现场照片 screen of a seeded inspection."""
    with live_server.session() as s:
        seed_inspection(s, seed_group(s))
    page = phone_context().new_page()
    phone_login(page, "wangjg")
    open_inspection(page)
    open_section(page, "现场照片")
    return page


def test_exif_orientation_is_applied_and_the_caption_band_sits_below(phone_page):
    phone_page.goto("/app/")
    res = phone_page.evaluate(PROCESS, [base64.b64encode(halves()).decode(), {}, ["时间：2024-05-06 09:05:12", "检查对象：宏达"]])
    # Orientation 6 turns the 400×300 landscape into a 300×400 portrait: the red left half becomes the top.
    assert res["source"] == {"width": 300, "height": 400, "format": "jpeg", "orientation": 6}
    assert res["width"] == 300 and res["height"] > 400, "the caption band is added below the image"
    assert _near(res["top"], (220, 0, 0)) and _near(res["middle"], (0, 0, 220))
    assert _near(res["band"], (17, 17, 17), 30), "a dark band for the caption"
    data = base64.b64decode(res["b64"])
    assert hashlib.sha256(data).hexdigest() == res["sha256"]


def test_a_12_megapixel_photo_is_resized_to_the_long_edge_and_stays_small(phone_page):
    phone_page.goto("/app/")
    res = phone_page.evaluate(PROCESS, [base64.b64encode(jpeg_bytes(4000, 3000)).decode(), {"max_side_px": 1600, "jpeg_quality": 0.8},
                                        ["时间", "地点", "对象", "人员"]])
    assert res["width"] == 1600 and 1200 < res["height"] < 1500, "1600×1200 plus the caption band"
    assert res["bytes"] <= 500 * 1024


def test_photo_on_the_phone_records_gps_clock_offset_and_reaches_the_server_with_its_hash(live_server, phone_context):
    with live_server.session() as s:
        iid = seed_inspection(s, seed_group(s))
    _, page = phone_ready(phone_context, **GPS)
    open_inspection(page)
    start_inspection(page)
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, jpeg_bytes(2000, 1500), caption="车辆技术档案")
    page.get_by_text("误差约 8 米").wait_for()
    page.get_by_role("button", name="同步", exact=True).click()
    page.locator("#syncbar").filter(has_text="全部已同步").wait_for()
    with live_server.session() as s:
        photo = s.query(Photo).filter_by(inspection_id=iid).one()
        assert (photo.latitude, photo.longitude, photo.accuracy_m) == (35.4862, 112.4153, 8.0)
        assert photo.caption == "车辆技术档案"
        assert photo.width == 1600 and photo.height > 1200
        assert photo.clock_offset_ms is not None and abs(photo.clock_offset_ms) < 60_000, (photo.clock_offset_ms, photo.taken_at, photo.byte_size)
        media = s.get(MediaFile, photo.sha256)
        assert media is not None and media.byte_size <= 500 * 1024


def test_a_huge_camera_file_is_refused_with_a_clear_message_and_nothing_is_stored(live_server, phone_context):
    page = _photos_screen(live_server, phone_context)
    huge = Image.new("RGB", (9000, 6000), (90, 90, 90))  # 54 MP: more than the 40 MP limit
    buf = io.BytesIO()
    huge.save(buf, "JPEG", quality=50)
    page.get_by_label("拍照").set_input_files([{"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}])
    page.get_by_role("alert").filter(has_text="照片像素过大（9000×6000，约 54 百万像素，上限 40 百万像素）").wait_for()
    assert page.locator("ul.photos > li").count() == 0
    assert "待同步" not in page.locator("#syncbar").inner_text()


def test_a_corrupt_camera_file_is_refused_and_the_next_photo_works(live_server, phone_context):
    page = _photos_screen(live_server, phone_context)
    broken = jpeg_bytes(800, 600)[:3000]  # the camera app died while writing
    page.get_by_label("拍照").set_input_files([{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": broken}])
    page.get_by_role("alert").filter(has_text="无法读取这张照片（文件可能已损坏）：请重新拍摄").wait_for()
    page.get_by_label("拍照").set_input_files([{"name": "text.jpg", "mimeType": "image/jpeg", "buffer": "不是图片".encode() * 10}])
    page.get_by_role("alert").filter(has_text="无法读取这张照片").wait_for()
    assert page.locator("ul.photos > li").count() == 0
    take_photo(page, jpeg_bytes(800, 600))
    assert page.locator("ul.photos > li").count() == 1

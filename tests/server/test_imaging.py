"""server/imaging.py: real-image checks, limits, the decompression-bomb guard and thumbnails."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from server import imaging
from tests.server.images import huge_png, image_bytes, truncated_jpeg

LIMIT = 40_000_000


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_real_images_are_accepted_with_their_size(fmt):
    info = imaging.inspect(image_bytes(fmt, (640, 480)), max_pixels=LIMIT)
    assert (info.format, info.width, info.height) == (fmt, 640, 480)


@pytest.mark.parametrize("data,code", [
    (b"not an image at all", "bad_image"),
    (b"", "bad_image"),
    (image_bytes("GIF", (10, 10)), "bad_image"),
    (truncated_jpeg(), "truncated_image"),
    (huge_png(), "image_too_large"),
    (huge_png(10_000, 10_000), "image_too_large"),
    (huge_png(20_001, 10), "image_too_large"),
])
def test_bad_images_are_refused_with_a_precise_code(data, code):
    with pytest.raises(imaging.ImageRejected) as err:
        imaging.inspect(data, max_pixels=LIMIT)
    assert err.value.code == code and err.value.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_cut_file_is_truncated_even_when_pillow_is_told_to_tolerate_it(fmt, monkeypatch):
    from PIL import ImageFile
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as WeasyPrint sets it on import
    data = image_bytes(fmt, (400, 300), noise=True)
    assert imaging.inspect(data, max_pixels=LIMIT).width == 400
    for cut in (len(data) // 2, len(data) - 2):
        with pytest.raises(imaging.ImageRejected) as err:
            imaging.inspect(data[:cut], max_pixels=LIMIT)
        assert err.value.code == "truncated_image"


def test_the_pixel_limit_is_configurable():
    with pytest.raises(imaging.ImageRejected, match="图片尺寸过大（1600×1200 像素）"):
        imaging.inspect(image_bytes("PNG", (1600, 1200)), max_pixels=1_000_000)


def test_thumbnail_is_a_small_jpeg_with_exif_orientation_applied():
    info, thumb = imaging.verify_and_thumbnail(image_bytes("JPEG", (1600, 1200), exif_orientation=6),
                                               max_pixels=LIMIT)
    im = Image.open(io.BytesIO(thumb))
    assert (info.width, info.height) == (1600, 1200)
    assert im.format == "JPEG" and im.size == (240, 320)  # rotated a quarter turn, long edge 320


def test_thumbnail_of_a_transparent_png_has_a_white_background():
    im = Image.new("RGBA", (100, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    im.save(out, "PNG")
    _, thumb = imaging.verify_and_thumbnail(out.getvalue(), max_pixels=LIMIT)
    assert Image.open(io.BytesIO(thumb)).getpixel((10, 10)) == (255, 255, 255)

"""Image checks and thumbnails; pure: bytes in, bytes out (no Flask, no database, no files)."""
from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_SIDE_PX = 20_000
THUMB_SIDE_PX = 320


class ImageRejected(Exception):
    """The bytes are not an acceptable image; `code` is the API error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Ink:
    """The dark strokes on a light background (a signature): their bounding box and how many pixels."""

    width: int
    height: int
    pixels: int


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    ink: Ink | None = None  # measured for PNGs, the signatures' format

    @property
    def mime(self) -> str:
        return ALLOWED_FORMATS[self.format]


def _sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open and check the header only: format and dimensions, before any pixel is decoded."""
    fmt = _sniff(data)
    if fmt and not _complete(data, fmt):
        raise ImageRejected("truncated_image", "图片数据不完整（上传可能被中断），请重新上传")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected("bad_image", "文件不是有效的图片（仅支持 JPEG、PNG、WebP），请重新拍摄") from None
    if im.format not in ALLOWED_FORMATS:
        raise ImageRejected("bad_image", f"不支持的图片格式 {im.format}（仅支持 JPEG、PNG、WebP），请重新拍摄")
    width, height = im.size
    if width > MAX_SIDE_PX or height > MAX_SIDE_PX or width * height > max_pixels:
        raise _too_large(width, height, max_pixels)
    return im


def _too_large(width: int | None = None, height: int | None = None, max_pixels: int | None = None) -> ImageRejected:
    size = f"（{width}×{height} 像素）" if width else ""
    limit = f"上限为 {max_pixels // 1_000_000} 百万像素、单边 {MAX_SIDE_PX} 像素" if max_pixels else "超出上限"
    return ImageRejected("image_too_large", f"图片尺寸过大{size}，{limit}，请在设备上缩小后重新上传")


def _decode(im: Image.Image) -> Image.Image:
    """Decode every pixel: a cut or corrupt file fails here, never later in a report."""
    try:
        im.load()
    except (OSError, EOFError, SyntaxError, ValueError) as err:
        if isinstance(err, EOFError) or "truncated" in str(err).lower() or "broken data stream" in str(err).lower():
            raise ImageRejected("truncated_image", "图片数据不完整（上传可能被中断），请重新上传") from None
        raise ImageRejected("bad_image", "图片数据已损坏，无法读取，请重新拍摄") from None
    return im


_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _jpeg_complete(data: bytes) -> bool:
    """Walk the JPEG's segments to its end-of-image marker; a cut file never reaches it."""
    pos, n = 2, len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xD9:
            return True
        if marker == 0xFF or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 1 if marker == 0xFF else 2
            continue
        if pos + 4 > n:
            return False
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # entropy-coded data runs to the next marker that is not stuffing or a restart
            found = _MARKER.search(data, pos)
            if found is None:
                return False
            pos = found.start()
    return False


def _png_complete(data: bytes) -> bool:
    """Walk the PNG's chunks; the file is whole when IEND arrives within the data."""
    pos = 8
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IEND":
            return True
        pos += 12 + length
    return False


def _complete(data: bytes, fmt: str) -> bool:
    """Whether the file is whole. Checked here because Pillow's own truncation check is a process-wide
    switch that other libraries turn off (WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True)."""
    if fmt == "JPEG":
        return _jpeg_complete(data)
    if fmt == "PNG":
        return _png_complete(data)
    return len(data) >= 12 and int.from_bytes(data[4:8], "little") + 8 <= len(data)  # WebP's RIFF size


def _open_scaled(data: bytes, max_pixels: int, side: int) -> tuple[Image.Image, ImageInfo]:
    """Open, check, and decode — a JPEG at a reduced DCT scale near `side`: every entropy-coded byte is
    still decoded (so corrupt data still fails) at a fraction of the cost of full-size pixels."""
    im = _open(data, max_pixels)
    info = ImageInfo(im.format, im.size[0], im.size[1])
    if im.format == "JPEG":
        im.draft("RGB", (side, side))
    return _decode(im), info


def inspect(data: bytes, *, max_pixels: int) -> ImageInfo:
    """Verify that `data` is a whole JPEG/PNG/WebP within the limits; raise ImageRejected otherwise."""
    return _open_scaled(data, max_pixels, THUMB_SIDE_PX)[1]


def verify_and_thumbnail(data: bytes, *, max_pixels: int, side: int = THUMB_SIDE_PX,
                         quality: int = 75) -> tuple[ImageInfo, bytes]:
    """Verify the image and make a JPEG thumbnail (EXIF orientation applied) from one decode; a PNG's ink
    is measured from the same decode."""
    im, info = _open_scaled(data, max_pixels, side)
    if info.format == "PNG":
        info = ImageInfo(info.format, info.width, info.height, ink_of(im))
    return info, thumbnail_of(im, side=side, quality=quality)


INK_LEVEL = 128  # a pixel darker than this (and not transparent) is ink


def ink_of(im: Image.Image) -> Ink:
    """The ink of a decoded image: pixels darker than mid-grey, transparent ones counting as background."""
    rgba = im.convert("RGBA")
    grey = rgba.convert("L")
    dark = grey.point(lambda v: 255 if v < INK_LEVEL else 0)
    opaque = rgba.getchannel("A").point(lambda v: 255 if v >= INK_LEVEL else 0)
    mask = Image.composite(dark, Image.new("L", im.size, 0), opaque)
    box = mask.getbbox()
    if box is None:
        return Ink(0, 0, 0)
    return Ink(box[2] - box[0], box[3] - box[1], mask.histogram()[255])


def thumbnail_of(im: Image.Image, *, side: int = THUMB_SIDE_PX, quality: int = 75) -> bytes:
    """A JPEG at most `side` pixels on its long edge."""
    im = ImageOps.exif_transpose(im)
    im.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if im.mode not in ("RGB", "L"):
        background = Image.new("RGB", im.size, (255, 255, 255))
        rgba = im.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        im = background
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()

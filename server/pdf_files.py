"""Checks on an uploaded PDF (documents a target sent for a 书面检查) and its stand-in thumbnail; pure: bytes in,
bytes out (no Flask, no database, no files). The PDF is parsed whole with pypdf, as a photo is decoded whole:
a cut, encrypted or empty file is refused before anything is stored."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageDraw

MAX_PAGES = 500
THUMB_SIZE = (240, 320)


class PdfRejected(Exception):
    """The bytes are not an acceptable PDF; `code` is the error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    width: int  # the first page, in points (A4: 595 × 842)
    height: int


def is_pdf(data: bytes) -> bool:
    """Whether the bytes claim to be a PDF (its header)."""
    return data[:5] == b"%PDF-"


def inspect(data: bytes, *, max_pages: int = MAX_PAGES) -> PdfInfo:
    """Parse the whole PDF: its pages, not encrypted, not cut; PdfRejected in Chinese otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not is_pdf(data):
        raise PdfRejected("bad_pdf", "文件不是 PDF，请上传 PDF 文件或 JPEG、PNG、WebP 图片")
    if b"%%EOF" not in data[-2048:]:
        raise PdfRejected("truncated_pdf", "PDF 文件不完整（上传可能被中断），请重新上传")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRejected("encrypted_pdf", "PDF 文件设置了密码，无法查看，请对方提供未加密的文件")
        pages = len(reader.pages)
        if pages == 0:
            raise PdfRejected("empty_pdf", "PDF 文件没有页面，请重新上传")
        if pages > max_pages:
            raise PdfRejected("pdf_too_long", f"PDF 文件共 {pages} 页，超过 {max_pages} 页的上限，请分成几个文件上传")
        box = reader.pages[0].mediabox
        for page in reader.pages:  # every page must be readable, not only the first
            page.get_contents()
        return PdfInfo(pages, int(abs(float(box.width))), int(abs(float(box.height))))
    except PdfRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise PdfRejected("bad_pdf", "PDF 文件已损坏，无法读取，请重新上传") from None


def thumbnail(info: PdfInfo) -> bytes:
    """A stand-in JPEG for lists and printed records: a page with "PDF" and its page count."""
    im = Image.new("RGB", THUMB_SIZE, "white")
    draw = ImageDraw.Draw(im)
    draw.rectangle([4, 4, THUMB_SIZE[0] - 5, THUMB_SIZE[1] - 5], outline=(160, 40, 40), width=4)
    draw.text((THUMB_SIZE[0] // 2, 130), "PDF", fill=(160, 40, 40), anchor="mm", font_size=72)
    draw.text((THUMB_SIZE[0] // 2, 220), f"{info.pages} p", fill=(60, 60, 60), anchor="mm", font_size=40)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()

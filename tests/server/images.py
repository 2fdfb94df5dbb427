"""Image bytes for the media tests: real JPEG/PNG/WebP, a truncated JPEG, a 20,000×20,000 PNG header."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(1600, 1200), noise: bool = False, exif_orientation: int | None = None,
                quality: int = 85) -> bytes:
    if noise:
        im = Image.frombytes("RGB", size, bytes((i * 7919) % 251 for i in range(size[0] * size[1] * 3)))
    else:
        im = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    kw = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kw["exif"] = exif.tobytes()
    im.save(out, fmt, **kw)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A small file that claims width×height pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)  # a few rows; the header alone must be refused
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    data = image_bytes("JPEG", (800, 600), noise=True)
    return data[: len(data) // 2]

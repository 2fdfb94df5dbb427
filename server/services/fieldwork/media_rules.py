"""What makes a file acceptable as a photo or as a signature, beyond being a real image (server/imaging.py):
a photo's shorter side, and a signature's ink (a dot is not a signature). Checked at upload when the file's
kind is known (PUT …?kind=, or a record already names the file) and when a photo or signature record
names a file the server holds."""
from __future__ import annotations

from dataclasses import dataclass

PHOTO_TOO_SMALL = "photo_too_small"
SIGNATURE_TOO_SMALL = "signature_too_small"
KINDS = ("photo", "signature")


@dataclass(frozen=True)
class MediaLimits:
    """The minimums, from the config (PHOTO_MIN_SIDE_PX, SIGNATURE_MIN_INK_SIDE_PX, SIGNATURE_MIN_INK_PIXELS)."""

    photo_min_side_px: int = 240
    signature_min_ink_side_px: int = 40
    signature_min_ink_pixels: int = 100

    @classmethod
    def from_config(cls, config) -> "MediaLimits":
        return cls(int(config.get("PHOTO_MIN_SIDE_PX", cls.photo_min_side_px)),
                   int(config.get("SIGNATURE_MIN_INK_SIDE_PX", cls.signature_min_ink_side_px)),
                   int(config.get("SIGNATURE_MIN_INK_PIXELS", cls.signature_min_ink_pixels)))


def photo_problem(width: int | None, height: int | None, limits: MediaLimits) -> str | None:
    """Why a photo of width × height is too small to be evidence, or None."""
    if width is None or height is None or min(width, height) >= limits.photo_min_side_px:
        return None
    return (f"照片太小（{width}×{height} 像素），看不清现场情况：照片的短边至少需要 {limits.photo_min_side_px} 像素。"
            "请用手机相机重新拍摄，不要使用截图或缩略图")


def signature_problem(ink_width: int | None, ink_height: int | None, ink_pixels: int | None,
                      limits: MediaLimits) -> str | None:
    """Why the ink of a signature image is too little to be a signature, or None (None when not measured)."""
    if ink_width is None or ink_height is None or ink_pixels is None:
        return None
    if max(ink_width, ink_height) >= limits.signature_min_ink_side_px and ink_pixels >= limits.signature_min_ink_pixels:
        return None
    return (f"签名笔迹太小（笔迹范围 {ink_width}×{ink_height} 像素），不像一个完整的签名："
            f"笔迹至少需要 {limits.signature_min_ink_side_px} 像素长。请在签名框内正常书写完整姓名后重新签名")

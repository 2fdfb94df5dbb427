"""统一社会信用代码 (GB 32100-2015): normalisation and the check digit."""
from __future__ import annotations

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


# Zero-width spaces, joiners, direction marks, soft hyphens and BOMs: invisible, but each one a character.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalize(raw: str | None) -> str:
    """Full-width to half-width, no spaces (ordinary, non-breaking or zero-width), upper-case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", INVISIBLE.sub("", text)).upper()


def check_digit(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """None if `code` (already normalised) is a valid USCC, else what is wrong, in Chinese."""
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，实际为 {len(code)} 位"
    if not _SHAPE.match(code):
        bad = [c for c in code if c not in ALPHABET]
        if bad:
            return f"统一社会信用代码含有不允许的字符“{bad[0]}”（不使用 I、O、S、V、Z）"
        return "统一社会信用代码第 3–8 位应为行政区划码（数字）"
    if check_digit(code[:17]) != code[17]:
        return f"统一社会信用代码校验位错误（应为 {check_digit(code[:17])}）"
    return None


def is_valid(code: str) -> bool:
    return problem(normalize(code)) is None

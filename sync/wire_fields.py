"""Field types of the wire schemas and the limits of what the server can store (sync/wire.py uses them):
trimmed text, UUIDs, hashes, integers an integer column holds, times and dates in a storable range, NUL."""
from __future__ import annotations

import datetime as dt
import re
import uuid

from marshmallow import Schema, ValidationError, fields

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
REQUIRED = {"required": "必填", "null": "不能为空"}


class ChineseSchema(Schema):
    """Refuses unknown fields with a Chinese message."""

    error_messages = {"unknown": "不认识的字段", "type": "应为 JSON 对象"}


class Text(fields.String):
    """A trimmed string with a length range."""

    default_error_messages = {**REQUIRED, "invalid": "应为文本"}

    def __init__(self, max_len: int, min_len: int = 0, **kw):
        if min_len:
            kw.setdefault("required", True)
        else:
            kw.setdefault("load_default", "")
        super().__init__(**kw)
        self.min_len, self.max_len = min_len, max_len

    def _deserialize(self, value, attr, data, **kwargs):
        value = (super()._deserialize(value, attr, data, **kwargs) or "").strip()
        if len(value) < self.min_len:
            raise ValidationError("必填" if self.min_len == 1 else f"至少 {self.min_len} 个字")
        if len(value) > self.max_len:
            raise ValidationError(f"不能超过 {self.max_len} 个字")
        return value


class UUIDStr(fields.String):
    """A UUID, returned as its lowercase canonical string."""

    default_error_messages = {**REQUIRED, "invalid": "应为 UUID"}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return str(uuid.UUID(str(value)))
        except (ValueError, AttributeError, TypeError):
            raise self.make_error("invalid") from None


class Sha256(fields.String):
    default_error_messages = {**REQUIRED, "invalid": "应为 64 位小写十六进制 SHA-256"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not SHA256_RE.match(value):
            raise self.make_error("invalid")
        return value


# What the server's integer columns hold (PostgreSQL's integer): past it a value failed the whole push.
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1
NUL = "\x00"
NUL_MESSAGE = "含有空字符（U+0000），无法保存，请删除后重新录入"


def is_stored_int(value) -> bool:
    """Whether `value` is an integer (not a bool) an integer column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and INT_MIN <= value <= INT_MAX


def has_nul(value) -> bool:
    """Whether a NUL character (which PostgreSQL text cannot hold) is in any string or key of `value`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def without_nul(value):
    """`value` with each NUL in its strings and keys shown as ␀, so that a rejected entry can be kept."""
    if not has_nul(value):
        return value
    if isinstance(value, str):
        return value.replace(NUL, "␀")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return [without_nul(v) for v in value]


class StoredInt(fields.Integer):
    """A strict integer an integer column can hold (checked inline: a validator per field cost more)."""

    default_error_messages = {**REQUIRED, "invalid": "应为整数", "range": "数值超出范围"}

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if not INT_MIN <= number <= INT_MAX:
            raise self.make_error("range")
        return number


def int_field(**kw):
    return StoredInt(strict=True, **kw)


def float_field(**kw):
    return fields.Float(allow_none=True, load_default=None, allow_nan=False,
                        error_messages={**REQUIRED, "invalid": "应为数字", "special": "应为数字"}, **kw)


# Times and dates a phone can mean: a clock reset to 1970 is still kept (the office sees the skew), while
# 9999-12-31T23:59:59-14:00 (past year 9999 in UTC) or year 1 cannot be stored or shown.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
TIME_RANGE = "时间超出范围（应在 1970 年至 2099 年之间），请检查手机的日期和时间设置"
DATE_RANGE = "日期超出范围（应在 1970 年至 2099 年之间）"


def in_range(when: dt.datetime) -> bool:
    """Whether an aware time lies in [EARLIEST, LATEST) (converting it to UTC may overflow: then it does not)."""
    try:
        return EARLIEST <= when.astimezone(dt.timezone.utc) < LATEST
    except (OverflowError, ValueError):
        return False


class When(fields.AwareDateTime):
    """An ISO 8601 time with an offset, within the storable range."""

    default_error_messages = {**REQUIRED, "invalid": "应为带时区的时间（ISO 8601）",
                              "invalid_awareness": "时间必须带时区", "range": TIME_RANGE}

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        if not in_range(when):
            raise self.make_error("range")
        return when


class Day(fields.Date):
    """A YYYY-MM-DD date within the storable range."""

    default_error_messages = {**REQUIRED, "invalid": "应为日期（YYYY-MM-DD）", "range": DATE_RANGE}

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST.year <= day.year < LATEST.year:
            raise self.make_error("range")
        return day

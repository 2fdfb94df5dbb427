"""Wire schemas (marshmallow): the push envelope and the arguments of each mutation, with Chinese messages."""
from __future__ import annotations

import datetime as dt
import json

from marshmallow import ValidationError, fields, validate, validates_schema

from sync import PROTOCOL_VERSION
from sync.errors import (BATCH_TOO_LARGE, MALFORMED_JSON, UNSUPPORTED_PROTOCOL, VALIDATION_ERROR, Rejected,
                         SyncError)
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, AMEND_FINDING, ATTACH_PHOTO, RECORD_ANSWER, RECORD_PARTY, START,
                           SUBMIT, WITHDRAW_PHOTO, Vocabulary)
from sync.wire_fields import (NUL, NUL_MESSAGE, REQUIRED, TIME_RANGE, ChineseSchema, Day, Sha256, Text, UUIDStr, When,
                              float_field, has_nul, in_range, int_field, is_stored_int)

class PushSchema(ChineseSchema):
    protocol = int_field(required=True)
    client_id = UUIDStr(required=True)
    mutations = fields.List(fields.Raw(), required=True, error_messages={**REQUIRED, "invalid": "应为列表"})


ENTRY_FIELDS = frozenset({"id", "name", "created_at", "args"})


def _mutation(raw, errors: dict, index: int, nul: bool = True) -> dict | None:
    """Check one entry {id, name, created_at, args} by hand (marshmallow's nested load cost more than the
    rest of a push, for four fields).

    An entry that is not an object or has no usable id is an envelope error, recorded in `errors` (the push
    cannot record it as consumed, so it cannot advance past it). Any other problem is the entry's own:
    returned under "problems" ({field: message}), for the push to reject that entry alone and keep it.
    `nul`: whether the body may hold a NUL at all (JSON can only spell it \\u0000).
    """
    if not isinstance(raw, dict):
        errors[index] = {"_schema": ["应为 JSON 对象"]}
        return None
    mid = raw.get("id")
    if not is_stored_int(mid) or mid < 1:
        errors[index] = {"id": ["必填" if mid is None else "应为从 1 开始的整数（至多 2147483647）"]}
        return None
    problems = {str(k).replace(NUL, "␀"): "不认识的字段" for k in sorted(set(raw) - ENTRY_FIELDS, key=str)}
    name, args = raw.get("name"), raw.get("args")
    if not isinstance(name, str) or not name:
        problems["name"] = "必填" if name in (None, "") else "应为文本"
    elif nul and NUL in name:
        problems["name"] = NUL_MESSAGE
    if not isinstance(args, dict):
        problems["args"] = "必填" if args is None else "应为 JSON 对象"
    elif nul and has_nul(args):
        problems["args"] = NUL_MESSAGE
    if nul and has_nul(raw.get("created_at")):
        created, trouble = None, NUL_MESSAGE
    else:
        created, trouble = _created_at(raw.get("created_at"))
    if trouble:
        problems["created_at"] = trouble
    return {"id": mid, "name": name if isinstance(name, str) else ("" if name is None else str(name)),
            "created_at": created, "args": args, "problems": problems}


def _created_at(when) -> tuple[dt.datetime | None, str | None]:
    """The entry's device time, or why it is unusable (naming what was sent, for the reviewer)."""
    if when is None:
        return None, "必填"
    created = None
    try:
        created = dt.datetime.fromisoformat(when.replace("Z", "+00:00")) if isinstance(when, str) else None
    except ValueError:
        pass
    sent = f"（收到“{str(when)[:40]}”）"
    if created is None:
        return None, "应为带时区的时间（ISO 8601）" + sent
    if created.tzinfo is None:
        return None, "时间必须带时区" + sent
    if not in_range(created):
        return None, TIME_RANGE + sent
    return created, None


# ---- the arguments of each mutation -------------------------------------------------------------

class _InspectionArgs(ChineseSchema):
    inspection_id = int_field(required=True)


class StartArgs(_InspectionArgs):
    started_at = When(required=True)


class CheckpointArgs(_InspectionArgs):
    id = UUIDStr(required=True)
    checkpoint_id = int_field(required=True)
    answer = fields.String(required=True, validate=validate.OneOf(
        ["compliant", "noncompliant", "na"], error="应为 compliant（符合）、noncompliant（不符合）或 na（不涉及）"),
        error_messages=REQUIRED)
    note = Text(2000)
    base = fields.List(UUIDStr(), load_default=list, error_messages={"invalid": "应为答案编号列表"})


class FindingArgs(_InspectionArgs):
    id = UUIDStr(required=True)
    checkpoint_id = int_field(allow_none=True, load_default=None)
    description = Text(4000, 1)
    legal_basis = Text(2000)
    rectification = Text(2000)
    rectify_by = Day(allow_none=True, load_default=None)


class AmendArgs(FindingArgs):
    checkpoint_id = int_field(allow_none=True, load_default=None)
    finding_id = UUIDStr(required=True)
    reason = Text(500, 1)


class PhotoArgs(_InspectionArgs):
    id = UUIDStr(required=True)
    sha256 = Sha256(required=True)
    finding_id = UUIDStr(allow_none=True, load_default=None)
    checkpoint_id = int_field(allow_none=True, load_default=None)
    caption = Text(500)
    taken_at = When(required=True)
    latitude = float_field(validate=validate.Range(-90, 90, error="纬度应在 -90 到 90 之间"))
    longitude = float_field(validate=validate.Range(-180, 180, error="经度应在 -180 到 180 之间"))
    accuracy_m = float_field(validate=validate.Range(min=0, error="不能为负数"))
    width = int_field(allow_none=True, load_default=None)
    height = int_field(allow_none=True, load_default=None)
    bytes = int_field(allow_none=True, load_default=None)
    clock_offset_ms = int_field(allow_none=True, load_default=None)


class SignatureArgs(_InspectionArgs):
    id = UUIDStr(required=True)
    sha256 = Sha256(required=True)
    signer_role = fields.String(required=True, validate=validate.OneOf(
        ["inspector", "party", "witness"], error="应为 inspector（检查人员）、party（当事人）或 witness（见证人）"),
        error_messages=REQUIRED)
    signer_name = Text(64, 1)
    inspector_id = int_field(allow_none=True, load_default=None)
    signed_at = When(required=True)
    digest = Sha256(allow_none=True, load_default=None)  # what was signed (sync/signing.py)

    @validates_schema
    def _inspector_named(self, data, **kwargs):
        if data.get("signer_role") == "inspector" and not data.get("inspector_id"):
            raise ValidationError("检查人员签名须注明 inspector_id", "inspector_id")


class WithdrawPhotoArgs(_InspectionArgs):
    id = UUIDStr(required=True)
    photo_id = UUIDStr(required=True)
    reason = Text(500)


class PartyArgs(_InspectionArgs):
    id = UUIDStr(required=True)
    name = Text(64)
    position = Text(64)
    id_number = Text(32)
    phone = Text(32)
    refused_to_sign = fields.Boolean(load_default=False, error_messages={"invalid": "应为 true 或 false"})
    absent = fields.Boolean(load_default=False, error_messages={"invalid": "应为 true 或 false"})  # 无人在场
    note = Text(500)

    @validates_schema
    def _someone_or_nobody(self, data, **kwargs):
        if not data.get("absent") and not data.get("name"):
            raise ValidationError("必填（现场无人的，请注明 absent: true）", "name")


class SubmitArgs(_InspectionArgs):
    result_categories = fields.List(fields.String(), required=True, error_messages=REQUIRED)
    methods = fields.List(fields.String(), required=True, error_messages=REQUIRED)
    follow_ups = fields.List(fields.String(), required=True, error_messages=REQUIRED)
    summary = Text(4000)


ARGS_SCHEMAS = {
    START: StartArgs(), RECORD_ANSWER: CheckpointArgs(), ADD_FINDING: FindingArgs(), AMEND_FINDING: AmendArgs(),
    ATTACH_PHOTO: PhotoArgs(), ADD_SIGNATURE: SignatureArgs(), RECORD_PARTY: PartyArgs(), SUBMIT: SubmitArgs(),
    WITHDRAW_PHOTO: WithdrawPhotoArgs(),
}
PUSH_SCHEMA = PushSchema()
# A whole-push refusal changes nothing, and resending the same body gets the same answer.
KEPT = "。未同步的记录仍保存在本机，请更新应用后再同步"


def parse_push(raw: bytes | str, max_batch: int) -> tuple[dict, list[dict]]:
    """Decode and check a push body; returns (validated envelope, the raw mutation dicts)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SyncError(*MALFORMED_JSON, "同步数据格式错误（不是合法的 JSON），请重试；如持续出现请更新应用") from None
    if not isinstance(body, dict):
        raise SyncError(*VALIDATION_ERROR, "同步数据有误：应为 JSON 对象", {"_schema": ["应为 JSON 对象"]})
    if body.get("protocol") != PROTOCOL_VERSION:
        raise SyncError(*UNSUPPORTED_PROTOCOL, f"应用版本与服务器的同步协议不一致（服务器为第 {PROTOCOL_VERSION} 版），"
                        "请更新应用后再同步", {"supported": [PROTOCOL_VERSION]})
    mutations = body.get("mutations")
    if isinstance(mutations, list) and len(mutations) > max_batch:
        raise SyncError(*BATCH_TOO_LARGE, f"一次最多同步 {max_batch} 条操作，本次 {len(mutations)} 条，请分批发送",
                        {"max_batch": max_batch})
    try:
        envelope = PUSH_SCHEMA.load(body)
    except ValidationError as err:
        raise SyncError(*VALIDATION_ERROR, "同步数据有误：" + _summary(err.messages) + KEPT, err.messages) from None
    errors: dict = {}
    nul = (b"\\u0000" if isinstance(raw, bytes) else "\\u0000") in raw
    envelope["mutations"] = [_mutation(entry, errors, i, nul) for i, entry in enumerate(mutations)]
    ids = [m["id"] for m in envelope["mutations"] if m]
    if not errors and any(b != a + 1 for a, b in zip(ids, ids[1:])):
        errors["_schema"] = ["编号必须连续递增"]
    if errors:
        errors = {"mutations": errors}
        raise SyncError(*VALIDATION_ERROR, "同步数据有误：" + _summary(errors) + KEPT, errors)
    return envelope, mutations


def entry_rejection(problems: dict) -> Rejected:
    """The rejection of an entry whose own fields (name, created_at, args itself, unknown keys) are unusable."""
    return Rejected("invalid_args", "操作数据有误：" + _summary(problems), problems)


def load_args(name: str, args: dict, vocab: Vocabulary) -> dict:
    """Validate one mutation's arguments; raises Rejected(invalid_args) with field errors."""
    try:
        data = ARGS_SCHEMAS[name].load(args)
    except ValidationError as err:
        errors = _flatten(err.messages)
        raise Rejected("invalid_args", "操作数据有误：" + _summary(errors), errors) from None
    if name == SUBMIT:
        _check_codes(data, vocab)
    return data


def _check_codes(data: dict, vocab: Vocabulary) -> None:
    allowed = {"result_categories": vocab.result_categories, "methods": vocab.methods,
               "follow_ups": vocab.follow_ups}
    labels = {"result_categories": "检查结果", "methods": "检查方式", "follow_ups": "后续处置措施"}
    errors = {}
    for key, codes in allowed.items():
        values = data[key]
        if not values:
            errors[key] = f"请至少选择一项{labels[key]}"
        elif bad := [v for v in values if v not in codes]:
            errors[key] = f"未知的{labels[key]}代码：{'、'.join(bad)}"
        elif len(set(values)) != len(values):
            errors[key] = f"{labels[key]}有重复"
    if errors:
        raise Rejected("invalid_args", "操作数据有误：" + _summary(errors), errors)


def _flatten(messages) -> dict:
    """Marshmallow's {field: [msg]} as {field: "msg；msg"} (nested keys joined with '.')."""
    out = {}
    for key, value in (messages or {}).items():
        if isinstance(value, dict):
            for sub, text in _flatten(value).items():
                out[f"{key}.{sub}"] = text
        elif isinstance(value, list):
            out[str(key)] = "；".join(str(v) for v in value)
        else:
            out[str(key)] = str(value)
    return out


def _summary(messages) -> str:
    flat = _flatten(messages) if any(isinstance(v, (list, dict)) for v in messages.values()) else messages
    return "；".join(f"{k} {v}" for k, v in flat.items())

"""Changes to the registries from the office forms: records, credit ratings and recusals (回避)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, ValidationError
from server.models.registry import CreditRating, Inspector, Recusal, Target
from server.services.kernel import audit, workdays
from server.services.registry import risk, uscc as uscc_rules
from server.services.registry.cell_dates import Date
from server.services.registry.cell_types import CellError, cell_text
from server.services.registry.columns import Column, REGISTRIES, RegistrySpec
from server.services.registry.records import MODELS, RATING_FIELDS, apply, check_row, describe, diff, new_record
from server.services.registry.search import department_lookup, get_inspector, get_item, get_target, require_editor
from server.vocab import RATING_LEVELS, RatingSource

IMMUTABLE_KEYS = {"targets", "items"}  # a USCC or 事项编号 names the record everywhere; 执法证号 changes on renewal
GETTERS = {"targets": get_target, "inspectors": get_inspector, "items": get_item}
FORM_INVALID = "提交的内容有误，请按提示修改后再保存"


def form_columns(spec: RegistrySpec) -> list[Column]:
    """The columns an edit form shows (credit ratings have their own form with dates)."""
    return [c for c in spec.importable if c.field not in RATING_FIELDS]


def _parse_form(session: Session, spec: RegistrySpec, form: Mapping[str, Any], obj) -> tuple[dict, dict]:
    ctx = {"departments": department_lookup(session)}
    values, errors = {}, {}
    for col in form_columns(spec):
        if col.is_key and obj is not None and spec.name in IMMUTABLE_KEYS:
            continue
        raw = form.get(col.field, "")
        if col.required and col.type.is_blank(raw):
            errors[col.field] = f"请填写{col.header}"
            continue
        try:
            values[col.field] = col.type.parse(raw, ctx)
        except CellError as err:
            errors[col.field] = err.message
    for field, message in check_row(spec, values):
        errors.setdefault(field, message)
    return values, errors


def _key_taken(session: Session, spec: RegistrySpec, value: str, obj) -> str | None:
    model = MODELS[spec.name]
    other = session.scalar(select(model).where(getattr(model, spec.key_field) == value))
    if other is None or (obj is not None and other.id == obj.id):
        return None
    return f"{spec.key.header}“{value}”已被“{other.name}”使用"


def save_record(session: Session, actor, registry: str, record_id: int | None, form: Mapping[str, Any],
                today: dt.date | None = None):
    """Create (record_id None) or update a record from form fields; returns (record, changes)."""
    require_editor(actor)
    spec = REGISTRIES[registry]
    today = today or workdays.today()
    obj = None if record_id is None else GETTERS[registry](session, actor, record_id)
    values, errors = _parse_form(session, spec, form, obj)
    key = values.get(spec.key_field)
    if key and spec.key_field not in errors and (taken := _key_taken(session, spec, key, obj)):
        errors[spec.key_field] = taken
    if errors:
        raise ValidationError(FORM_INVALID, errors=errors)
    if obj is None:
        obj = new_record(spec)
        changes = {f: (None, v) for f, v in values.items()}
        apply(session, spec, obj, changes, today)
        session.add(obj)
        session.flush()
        audit.record(session, actor, f"{spec.singular}.create", obj,
                     detail={"key": getattr(obj, spec.key_field), "source": "form"})
        return obj, changes
    changes = diff(obj, values, today)
    if changes:
        apply(session, spec, obj, changes, today, actor=actor, cause="修改检查对象信息")
        session.flush()
        audit.record(session, actor, f"{spec.singular}.update", obj, detail={
            "key": getattr(obj, spec.key_field), "source": "form",
            "changes": {f: [describe(o), describe(n)] for f, (o, n) in changes.items()}})
    return obj, changes


def _rating_fields(form: Mapping[str, Any]) -> tuple[dict, dict]:
    errors, out = {}, {}
    source = RatingSource.by_label(cell_text(form.get("source")))
    if source is None:
        errors["source"] = "请选择信用等级来源：" + "、".join(m.label for m in RatingSource)
    else:
        out["source"] = source
        level = cell_text(form.get("level"))
        level = level.upper() if source != RatingSource.INTERNAL else level
        if level not in RATING_LEVELS[source]:
            errors["level"] = f"“{level}”不是有效的{source.label}信用等级，可选：{'、'.join(RATING_LEVELS[source])}"
        out["level"] = level
    for field, required in (("effective_from", True), ("effective_to", False)):
        raw = form.get(field)
        if cell_text(raw) == "":
            if required:
                errors[field] = "请填写生效日期"
            out[field] = None
            continue
        try:
            out[field] = Date().parse(raw, {})
        except CellError as err:
            errors[field] = err.message
    if out.get("effective_from") and out.get("effective_to") and out["effective_to"] < out["effective_from"]:
        errors["effective_to"] = "失效日期不能早于生效日期"
    return out, errors


def add_rating(session: Session, actor, target_id: int, form: Mapping[str, Any],
               today: dt.date | None = None) -> CreditRating:
    """Record a credit rating with its dates and refresh the target's derived risk level."""
    require_editor(actor)
    target = get_target(session, actor, target_id)
    values, errors = _rating_fields(form)
    if not errors and any(r.source == values["source"].value and r.effective_from == values["effective_from"]
                          for r in target.ratings):
        errors["effective_from"] = "同一来源在同一生效日期只能有一条信用等级，请核对日期"
    if errors:
        raise ValidationError(FORM_INVALID, errors=errors)
    rating = CreditRating(source=values["source"].value, level=values["level"],
                          effective_from=values["effective_from"], effective_to=values["effective_to"],
                          note=cell_text(form.get("note"))[:500])
    target.ratings.append(rating)
    session.flush()
    old, new = risk.refresh(session, target, today, actor=actor,
                            cause=f"新增{values['source'].label}信用等级 {rating.level}")
    audit.record(session, actor, "target.rating_add", target, detail={
        "uscc": target.uscc, "source": rating.source, "level": rating.level,
        "effective_from": describe(rating.effective_from), "effective_to": describe(rating.effective_to),
        "risk_level": [old, new]})
    return rating


def add_recusal(session: Session, actor, inspector_id: int, target_uscc: str, reason: str) -> Recusal:
    """Declare a conflict (回避) between an inspector and a registered target."""
    require_editor(actor)
    inspector = get_inspector(session, actor, inspector_id)
    code = uscc_rules.normalize(target_uscc)
    errors = {}
    problem = uscc_rules.problem(code) if code else "请填写需回避对象的统一社会信用代码"
    target = None if problem else session.scalar(select(Target).where(Target.uscc == code))
    if problem:
        errors["target_uscc"] = problem
    elif target is None:
        errors["target_uscc"] = f"名录库中没有统一社会信用代码为 {code} 的检查对象，请核对"
    reason = cell_text(reason, multiline=True)
    if not reason:
        errors["reason"] = "请填写回避事由（如：近亲属在该单位任职）"
    if errors:
        raise ValidationError(FORM_INVALID, errors=errors)
    if any(r.target_uscc == code for r in inspector.recusals):
        raise Conflict(f"{inspector.name}与“{target.name}”的回避已经登记过")
    recusal = Recusal(target_uscc=code, reason=reason[:1000])
    inspector.recusals.append(recusal)
    session.flush()
    audit.record(session, actor, "inspector.recusal_add", inspector,
                 detail={"cert_no": inspector.cert_no, "uscc": code, "target": target.name}, reason=reason)
    return recusal


def remove_recusal(session: Session, actor, inspector_id: int, recusal_id: int, reason: str) -> None:
    """Withdraw a recusal declaration; the reason is kept in the audit log."""
    require_editor(actor)
    inspector: Inspector = get_inspector(session, actor, inspector_id)
    recusal = next((r for r in inspector.recusals if r.id == recusal_id), None)
    if recusal is None:
        raise NotFound("找不到该回避记录，可能已被撤销")
    reason = cell_text(reason, multiline=True)
    if not reason:
        raise ValidationError("请填写撤销回避的理由", errors={"reason": "请填写撤销回避的理由"})
    audit.record(session, actor, "inspector.recusal_remove", inspector,
                 detail={"cert_no": inspector.cert_no, "uscc": recusal.target_uscc, "declared_reason": recusal.reason},
                 reason=reason)
    inspector.recusals.remove(recusal)
    session.flush()

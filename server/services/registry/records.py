"""Reading and writing one registry record through its columns: current values, diffs, changes.

The importer and the office edit forms both go through here, so a change made either way stores
the same thing, bumps an item's version the same way and refreshes a target's risk level.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.models.registry import Checkpoint, CreditRating, InspectionItem, Inspector, Target
from server.models.types import utcnow
from server.services.registry import risk
from server.services.registry.cell_dates import LONG_TERM
from server.services.registry.columns import RegistrySpec

MODELS = {"targets": Target, "inspectors": Inspector, "items": InspectionItem}
RATING_FIELDS = {"rating_transport": "transport", "rating_market": "market"}
NOT_COLUMNS = ("licences", "licence_valid_until", "checkpoints")  # kept elsewhere than a column of the same name
# Fields whose change makes a new version of an inspection item (what inspectors check against).
ITEM_CONTENT = {"name", "kind", "legal_basis", "methods", "target_categories", "qualification_tags", "checkpoints"}


def effective_rating(target: Target, source: str, day: dt.date) -> CreditRating | None:
    """The rating of `source` in effect on `day` (the latest one that has started), or None."""
    best = None
    for r in target.ratings:
        if r.source == source and r.effective_from <= day and (r.effective_to is None or r.effective_to >= day):
            if best is None or r.effective_from > best.effective_from:
                best = r
    return best


def eager_loads(spec: RegistrySpec) -> list:
    """Loader options for what current() reads besides the row itself (ratings, checkpoints)."""
    if spec.name == "targets":
        return [selectinload(Target.ratings)]
    if spec.name == "items":
        return [selectinload(InspectionItem.checkpoints)]
    return []


def current(obj: Any, field: str, day: dt.date) -> Any:
    """The record's value for one column, in the form the column's parser returns."""
    if field in RATING_FIELDS:
        r = effective_rating(obj, RATING_FIELDS[field], day)
        return r.level if r else ""
    if field == "licences":
        return [lic.get("no", "") for lic in obj.licences or []]
    if field == "licence_valid_until":
        dates = [licence_date(lic) for lic in obj.licences or []]
        return dates if any(dates) else []
    if field == "checkpoints":
        return [cp.text for cp in obj.checkpoints]
    return getattr(obj, field)


def _same(old: Any, new: Any) -> bool:
    if old in (None, "", []) and new in (None, "", []):
        return True
    if isinstance(old, float) or isinstance(new, float):
        try:
            return abs(float(old) - float(new)) < 1e-7
        except (TypeError, ValueError):
            return False
    return old == new


def diff(obj: Any, values: dict[str, Any], day: dt.date) -> dict[str, tuple[Any, Any]]:
    """Fields whose value would change, as {field: (old, new)}; a blank rating changes nothing."""
    changes = {}
    for field, new in values.items():
        if field in RATING_FIELDS and not new:
            continue
        old = current(obj, field, day)
        if not _same(old, new):
            changes[field] = (old, new)
    if "licences" in changes and "licence_valid_until" in values:  # new numbers take the row's dates
        changes.setdefault("licence_valid_until", (current(obj, "licence_valid_until", day),
                                                   values["licence_valid_until"]))
    return changes


def licence_date(licence: dict) -> str:
    """A licence's validity as a sheet shows it: 2027-12-31, 长期 (no end date), or "" when not known."""
    return LONG_TERM if licence.get("long_term") else (licence.get("valid_until") or "")


def _dated(licence: dict, date: str) -> dict:
    out = {k: v for k, v in licence.items() if k not in ("valid_until", "long_term")}
    if date == LONG_TERM:
        out.update(valid_until=None, long_term=True)
    else:
        out["valid_until"] = date or None
    return out


def _set_licences(target: Target, numbers: list[str] | None, dates: list[str] | None = None) -> None:
    # Keep what other screens know about a licence (kind, validity) when its number stays.
    known = {lic.get("no"): lic for lic in target.licences or []}
    if numbers is None:
        numbers = list(known)
    licences = [dict(known.get(no, {"no": no})) for no in numbers]
    if dates is not None:
        licences = [_dated(lic, dates[i] if i < len(dates) else "") for i, lic in enumerate(licences)]
    target.licences = licences


def _set_rating(target: Target, source: str, level: str, day: dt.date) -> None:
    """Start a new rating today; an open rating of the same source ends yesterday."""
    for r in target.ratings:
        if r.source != source:
            continue
        if r.effective_from == day:
            r.level = level
            return
        if r.effective_from < day and (r.effective_to is None or r.effective_to >= day):
            r.effective_to = day - dt.timedelta(days=1)
    target.ratings.append(CreditRating(source=source, level=level, effective_from=day))


def _set_checkpoints(item: InspectionItem, texts: list[str]) -> None:
    # Update in place by position, so checkpoint ids that answers refer to survive a wording fix.
    existing = list(item.checkpoints)
    for i, text in enumerate(texts):
        if i < len(existing):
            existing[i].text = text
        else:
            item.checkpoints.append(Checkpoint(seq=i + 1, text=text))
    del item.checkpoints[len(texts):]


def apply(session: Session, spec: RegistrySpec, obj: Any, changes: dict[str, tuple[Any, Any]],
          day: dt.date, *, actor=None, cause: str = "") -> None:
    """Write `changes` (from diff) into the record, then the derived fields (risk level, version)."""
    if "licences" in changes or "licence_valid_until" in changes:
        numbers, dates = changes.get("licences"), changes.get("licence_valid_until")
        _set_licences(obj, numbers[1] if numbers else None, dates[1] if dates else None)
    for field, (_old, new) in changes.items():
        if field in RATING_FIELDS:
            _set_rating(obj, RATING_FIELDS[field], new, day)
        elif field in ("licences", "licence_valid_until"):
            continue
        elif field == "checkpoints":
            _set_checkpoints(obj, new)
        else:
            setattr(obj, field, new)
    if spec.name == "targets" and obj.id is None:
        # A new target has no credit records yet: its first level comes from its ratings alone
        # (risk.refresh would log a "change" for a row that does not exist yet).
        obj.risk_level = risk.derive(list(obj.ratings), day).value
        obj.risk_updated_at = utcnow()
    elif spec.name == "targets" and any(f in RATING_FIELDS for f in changes):
        risk.refresh(session, obj, day, actor=actor, cause=cause)
    if spec.name == "items" and obj.id is not None and ITEM_CONTENT & changes.keys():
        obj.version = (obj.version or 1) + 1


def new_record(spec: RegistrySpec) -> Any:
    """An empty record of the registry's model, ready for apply()."""
    obj = MODELS[spec.name]()
    if spec.name == "targets":
        obj.licences, obj.tags, obj.ratings = [], [], []
    elif spec.name == "items":
        obj.checkpoints = []
    return obj


@dataclass(frozen=True)
class _NewRating:
    """What risk.derive reads of a rating, without an ORM object per row."""

    source: str
    level: str
    effective_from: dt.date
    effective_to: dt.date | None = None


def bulk_create(session: Session, spec: RegistrySpec, rows: list[dict[str, Any]], day: dt.date) -> None:
    """Insert many new records in a few statements (the same values apply() would give them)."""
    if not rows:
        return
    model = MODELS[spec.name]
    records, ratings, checkpoints = [], {}, {}
    now = utcnow()
    for values in rows:
        key = values[spec.key_field]
        record = {f: v for f, v in values.items() if f not in RATING_FIELDS and f not in NOT_COLUMNS}
        if "licences" in values:
            dates = values.get("licence_valid_until")
            record["licences"] = [{"no": no} if dates is None else _dated({"no": no}, dates[i] if i < len(dates) else "")
                                  for i, no in enumerate(values["licences"])]
        if spec.name == "targets":
            ratings[key] = [_NewRating(src, values[f], day) for f, src in RATING_FIELDS.items() if values.get(f)]
            record["risk_level"] = risk.derive(ratings[key], day).value
            record["risk_updated_at"] = now
        if "checkpoints" in values:
            checkpoints[key] = values["checkpoints"]
        records.append(record)
    # A plain Core executemany: the ORM-enabled insert takes twice as long, and RETURNING four times as
    # long on PostgreSQL; the new ids are read back by key only when ratings or checkpoints need them.
    table = model.__table__
    session.execute(table.insert(), records)
    if not any(ratings.values()) and not checkpoints:
        return
    key_col, keys, ids = table.c[spec.key_field], [r[spec.key_field] for r in records], {}
    for i in range(0, len(keys), 2000):
        ids.update((k, id_) for k, id_ in session.execute(select(key_col, table.c.id).where(key_col.in_(keys[i:i + 2000]))))
    rating_rows = [{"target_id": ids[k], "source": r.source, "level": r.level, "effective_from": r.effective_from,
                    "effective_to": None, "note": ""} for k, rs in ratings.items() for r in rs]
    if rating_rows:
        session.execute(CreditRating.__table__.insert(), rating_rows)
    checkpoint_rows = [{"item_id": ids[k], "seq": i, "text": text, "legal_basis": ""}
                       for k, texts in checkpoints.items() for i, text in enumerate(texts, start=1)]
    if checkpoint_rows:
        session.execute(Checkpoint.__table__.insert(), checkpoint_rows)


def check_row(spec: RegistrySpec, values: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across columns of one row, as [(field, message)]."""
    problems = []
    if spec.name == "inspectors":
        issued, expires = values.get("cert_issued_on"), values.get("cert_expires_on")
        if issued and expires and expires < issued:
            problems.append(("cert_expires_on", f"有效期至（{expires.isoformat()}）早于发证日期（{issued.isoformat()}）"))
    if spec.name == "targets" and "longitude" in values and "latitude" in values:
        lon, lat = values["longitude"], values["latitude"]
        if (lon is None) != (lat is None):
            field = "latitude" if lat is None else "longitude"
            problems.append((field, "经度和纬度须同时填写（或同时留空）"))
    if spec.name == "items" and "checkpoints" in values and not values["checkpoints"]:
        problems.append(("checkpoints", "请至少填写一条检查要点，每行一条"))
    if spec.name == "targets" and values.get("licence_valid_until"):
        problems.extend(_check_licence_dates(values))
    return problems


def _check_licence_dates(values: dict[str, Any]) -> list[tuple[str, str]]:
    """One validity per licence number, in order; a single one is every licence's (and is spread out here)."""
    dates, numbers = values["licence_valid_until"], values.get("licences")
    if numbers is None:
        return [("licence_valid_until", "填写许可证有效期时，表中须同时有“许可证号”列")]
    if not numbers:
        return [("licence_valid_until", "没有填写许可证号，不能只填有效期")]
    if len(dates) == 1 and len(numbers) > 1:
        values["licence_valid_until"] = dates * len(numbers)
    elif len(dates) != len(numbers):
        return [("licence_valid_until", f"填了 {len(dates)} 个有效期，但许可证号有 {len(numbers)} 个：请按许可证号的顺序"
                                        "一一对应，用“、”分隔，不知道的填“—”")]
    return []


def describe(value: Any) -> Any:
    """A value as stored in an audit entry's detail (dates as text, lists kept)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

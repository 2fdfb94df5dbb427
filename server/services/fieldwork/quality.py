"""Quality flags (走过场 / 纸上填报 signals), computed when an inspection is submitted and stored for the
reviewer (models/quality.py). Each is a hint with its reason in words, never a refusal: the reviewer
acknowledges it with a note before approving (quality_flags.py).

- short_visit: time on site (start to the submit, by the phone's clock) below QUALITY_MIN_SECONDS_PER_CHECKPOINT
  × the number of checkpoints;
- photo_far: a photo taken farther than REVIEW_PHOTO_MAX_DISTANCE_M from the target's registered coordinates;
- photo_no_gps: no photo that counts carries a position;
- photo_time: a photo taken outside the inspection's start–end (± QUALITY_PHOTO_TIME_TOLERANCE_MINUTES);
- clock_skew: the phone's clock differs from the server's by more than QUALITY_CLOCK_SKEW_MINUTES;
- same_answers: the same group gave identical answers at QUALITY_SAME_ANSWERS_MIN_TARGETS or more targets
  on one day (the submit that reaches the count is flagged, and each later one; the flag names the others);
- overlap: the group's inspections overlap in time (QUALITY_OVERLAP_MIN_INSPECTIONS or more at once).

The thresholds come from the app's config through configure() (services never import Flask).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session, aliased

from server.models.inspections import Inspection, InspectionMember
from server.models.quality import QualityFlag
from server.models.registry import Target
from server.models.types import utcnow
from server.services.kernel.workdays import local_midnight_utc, local_date, local_text

KINDS = {"short_visit": "检查用时过短", "photo_far": "照片拍摄位置偏离检查对象", "photo_no_gps": "照片没有定位",
         "photo_time": "照片拍摄时间不在检查时段内", "clock_skew": "手机时间与服务器时间不符",
         "same_answers": "多家检查对象答案完全相同", "overlap": "同组检查时间重叠"}
LOCKED_OR_DONE = ("pending_evidence", "submitted", "approved", "returned")
EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Thresholds:
    enabled: bool = True
    min_seconds_per_checkpoint: float = 60
    photo_max_distance_m: float = 500
    photo_time_tolerance_minutes: float = 10
    clock_skew_minutes: float = 10
    same_answers_min_targets: int = 3
    overlap_min_inspections: int = 2

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        get = config.get
        return cls(enabled=bool(get("QUALITY_FLAGS_ENABLED", True)),
                   min_seconds_per_checkpoint=float(get("QUALITY_MIN_SECONDS_PER_CHECKPOINT", 60)),
                   photo_max_distance_m=float(get("REVIEW_PHOTO_MAX_DISTANCE_M", 500)),
                   photo_time_tolerance_minutes=float(get("QUALITY_PHOTO_TIME_TOLERANCE_MINUTES", 10)),
                   clock_skew_minutes=float(get("QUALITY_CLOCK_SKEW_MINUTES", 10)),
                   same_answers_min_targets=int(get("QUALITY_SAME_ANSWERS_MIN_TARGETS", 3)),
                   overlap_min_inspections=int(get("QUALITY_OVERLAP_MIN_INSPECTIONS", 2)))


POLICY = {"thresholds": Thresholds()}


def configure(config) -> None:
    """Take the thresholds from the app's config (create_app calls it)."""
    POLICY["thresholds"] = Thresholds.from_config(config)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} 分钟" if seconds >= 60 else f"{seconds:.0f} 秒"


def answer_pattern(answers) -> str:
    """A digest of the answers (checkpoint → answer), to find identical records of one group."""
    text = ";".join(f"{a['checkpoint_id']}={a['answer']}" for a in sorted(answers, key=lambda a: a["checkpoint_id"]))
    return hashlib.sha256(text.encode()).hexdigest()


def _short_visit(t: Thresholds, start, end, n_checkpoints: int) -> tuple | None:
    if start is None or end is None or not n_checkpoints:
        return None
    took = (end - start).total_seconds()
    need = t.min_seconds_per_checkpoint * n_checkpoints
    if took >= need:
        return None
    return ("short_visit", f"现场检查用时 {_minutes(max(took, 0))}（{local_text(start, '%H时%M分')} 至 "
                           f"{local_text(end, '%H时%M分')}），{n_checkpoints} 个检查要点按每个至少 "
                           f"{_minutes(t.min_seconds_per_checkpoint)} 计应不少于 {_minutes(need)}：请核实是否到现场逐项检查",
            {"seconds": round(took), "needed": round(need), "checkpoints": n_checkpoints})


def _photo_flags(t: Thresholds, photos, target: tuple | None, start, end) -> list[tuple]:
    out = []
    located = [p for p in photos if p.get("latitude") is not None and p.get("longitude") is not None]
    if not located:
        out.append(("photo_no_gps", f"{len(photos)} 张现场照片都没有定位信息" if photos else "没有现场照片，无法核对检查位置",
                    {"photos": len(photos)}))
    elif target is not None and None not in target:
        far = [(p, distance_m(p["latitude"], p["longitude"], *target)) for p in located]
        far = [(p, d) for p, d in far if d > t.photo_max_distance_m]
        if far:
            worst = max(d for _, d in far)
            out.append(("photo_far", f"{len(far)} 张照片的拍摄位置距检查对象登记地址超过 {t.photo_max_distance_m:.0f} 米"
                                     f"（最远约 {worst:.0f} 米）：请核实是否在现场拍摄",
                        {"photos": [p["id"] for p, _ in far], "max_m": round(worst)}))
    if start is not None and end is not None:
        slack = dt.timedelta(minutes=t.photo_time_tolerance_minutes)
        outside = [p for p in photos if p.get("taken_at") is not None
                   and not (start - slack <= _aware(p["taken_at"]) <= end + slack)]
        if outside:
            times = "、".join(local_text(_aware(p["taken_at"])) for p in outside[:3])
            out.append(("photo_time", f"{len(outside)} 张照片的拍摄时间（{times}）不在检查时段 {local_text(start)} 至 "
                                      f"{local_text(end)} 内：请核实照片是否为本次现场拍摄",
                        {"photos": [p["id"] for p in outside]}))
    return out


def _clock_skew(t: Thresholds, photos, origin) -> tuple | None:
    offsets = [abs(p["clock_offset_ms"]) for p in photos if p.get("clock_offset_ms") is not None]
    ahead = (_aware(origin.created_at) - _aware(origin.received_at)).total_seconds() * 1000
    worst = max(offsets + [ahead, 0])
    if worst <= t.clock_skew_minutes * 60_000:
        return None
    return ("clock_skew", f"检查人员手机的时间与服务器相差约 {_minutes(worst / 1000)}（超过 {t.clock_skew_minutes:.0f} 分钟）："
                          "笔录上的检查时间可能不准，请核实实际检查时间", {"offset_ms": round(worst)})


def _group_flags(session: Session, t: Thresholds, insp: Inspection, start, end, pattern: str) -> list[tuple]:
    """Same answers at several targets on one day, and inspections of the group that overlap in time."""
    members = {m.inspector_id for m in insp.active_members}
    if start is None or not members:
        return []
    day = local_midnight_utc(local_date(start))
    # One round trip: the day's locked inspections of the group's first member that either have the same
    # answers or overlap this visit, one row per active member (so the group can be compared).
    rows, groups = {}, {}
    for r in session.execute(_group_query(), {"first": min(members), "insp": insp.id, "day": day,
                                              "next": day + dt.timedelta(days=1), "pattern": pattern,
                                              "start": start, "end": end or start}):
        rows[r.id] = r
        groups.setdefault(r.id, set()).add(r.member)
    same_group = [r for i, r in rows.items() if groups[i] == members]
    out = []
    same = [r for r in same_group if r.answer_pattern == pattern]
    if len(same) + 1 >= t.same_answers_min_targets:
        names = "、".join(r.name for r in same[:5])
        out.append(("same_answers", f"同一检查组当天在 {len(same) + 1} 家检查对象的检查要点判定完全相同（另有：{names}），"
                                    f"达到 {t.same_answers_min_targets} 家的提示线：请核实是否逐家现场检查",
                    {"inspections": [r.id for r in same]}))
    if end is not None:
        overlapping = [r for r in same_group if r.finished_at is not None
                       and _aware(r.started_at) < end and start < _aware(r.finished_at)]
        if len(overlapping) + 1 >= t.overlap_min_inspections:
            names = "、".join(f"{r.name}（{local_text(_aware(r.started_at), '%H:%M')}–"
                             f"{local_text(_aware(r.finished_at), '%H:%M')}）" for r in overlapping[:5])
            out.append(("overlap", f"同一检查组在本次检查（{local_text(start, '%H:%M')}–{local_text(end, '%H:%M')}）"
                                   f"期间还在检查：{names}：同一组人员不能同时在两处现场，请核实",
                        {"inspections": [r.id for r in overlapping]}))
    return out


@functools.cache
def _group_query():
    mine, everyone = aliased(InspectionMember), aliased(InspectionMember)
    return (select(Inspection.id, Inspection.started_at, Inspection.finished_at, Inspection.answer_pattern,
                   Inspection.target_snapshot["name"].as_string().label("name"), everyone.inspector_id.label("member"))
            .join(mine, mine.inspection_id == Inspection.id)
            .join(everyone, and_(everyone.inspection_id == Inspection.id, everyone.active.is_(True)))
            .where(mine.inspector_id == bindparam("first"), mine.active.is_(True), Inspection.id != bindparam("insp"),
                   Inspection.status.in_(LOCKED_OR_DONE), Inspection.started_at >= bindparam("day"),
                   Inspection.started_at < bindparam("next"),
                   or_(Inspection.answer_pattern == bindparam("pattern"),
                       and_(Inspection.started_at < bindparam("end"), Inspection.finished_at > bindparam("start")))))


def _target_position(session: Session, insp: Inspection) -> tuple | None:
    """The target's registered coordinates as the draw froze them (else as the registry has them now)."""
    snap = insp.target_snapshot or {}
    if "latitude" in snap and "longitude" in snap:
        pos = (snap.get("latitude"), snap.get("longitude"))
    else:
        pos = tuple(session.execute(select(Target.latitude, Target.longitude)
                                    .where(Target.id == insp.target_id)).one())
    return None if None in pos else pos


def compute(session: Session, insp: Inspection, origin, state, t: Thresholds) -> list[tuple]:
    """The flags (kind, reason, detail) of the inspection as submitted; sets its finished_at and pattern."""
    start, end = _aware(insp.started_at), _aware(origin.created_at)
    pattern = answer_pattern(state.answers)
    insp.finished_at, insp.answer_pattern = end, pattern
    n = sum(len(item.get("checkpoints", ())) for item in state.checklist)
    found = []
    if insp.mode in (None, "on_site"):
        found.append(_short_visit(t, start, end, n))
        found += _photo_flags(t, list(state.photos), _target_position(session, insp), start, end)
        found += _group_flags(session, t, insp, start, end, pattern)  # a desk check is no visit
    found.append(_clock_skew(t, state.photos, origin))
    return [f for f in found if f is not None]


def on_submit(session: Session, insp: Inspection, origin, state) -> list[str]:
    """Compute and store the flags of this submitted version; returns their kinds (for the audit entry)."""
    t = POLICY["thresholds"]
    if not t.enabled:
        return []
    flags = compute(session, insp, origin, state, t)
    version = insp.version
    now = utcnow()
    if flags:  # one INSERT for all of them
        session.execute(insert(QualityFlag), [
            {"inspection_id": insp.id, "inspection_version": version, "kind": kind, "reason": reason, "detail": detail,
             "created_at": now, "acknowledged_note": ""} for kind, reason, detail in flags])
    return [f[0] for f in flags]

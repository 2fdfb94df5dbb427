"""The derived risk level (RiskLevel) of a target, the stratum it is drawn in.

Rule, version 1 (documented on the public draw-method page too):
1. Take every credit rating in effect on the day (effective_from ≤ day ≤ effective_to, or open-ended);
   when one source has several, the latest effective_from counts.
2. Map each to a risk level: 市场监管 A/B/C/D → 低/一般/较高/高; 交通 AA,A/B/C/D → 低/一般/较高/高;
   内部 ratings name the level directly.
3. The target's level is the highest of these; with no rating in effect it is 一般 (general).
4. Credit records (信用记录, services.followup.credit) from approved inspections raise it further. A record counts
   while it is in effect (effective_from ≤ day ≤ effective_to) and not repaired (信用修复). Each sets a
   floor by its severity: 轻微 → none, 一般 → 一般, 较重 → 较高, 严重 → 高; three or more records of
   severity 一般 or above in effect at once set the floor to at least 较高. `refresh` applies these
   floors itself; `extra_floor` lets a caller add one more.
5. Every change of the stored level is kept (models.followup.RiskLevelChange) with its cause; the
   draw reads Target.risk_level, so the next draw uses the new level.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.followup import CreditRecord, RiskLevelChange
from server.models.registry import CreditRating, Target
from server.models.types import utcnow
from server.services.kernel import workdays
from server.vocab import RATING_LEVELS, RatingSource, RiskLevel


def rating_risk(source: str, level: str) -> RiskLevel | None:
    """The risk level one rating maps to, or None for an unknown source or level."""
    src = RatingSource.by_label(source)
    if src is None:
        return None
    return RATING_LEVELS[src].get((level or "").strip().upper() if src != RatingSource.INTERNAL else level.strip())


def derive(ratings: list[CreditRating], day: dt.date, extra_floor: RiskLevel | None = None) -> RiskLevel:
    """Apply the rule above to a target's ratings on `day`."""
    latest: dict[str, CreditRating] = {}
    for r in ratings:
        if r.effective_from <= day and (r.effective_to is None or r.effective_to >= day):
            if r.source not in latest or r.effective_from > latest[r.source].effective_from:
                latest[r.source] = r
    levels = [lv for r in latest.values() if (lv := rating_risk(r.source, r.level)) is not None]
    if extra_floor is not None:
        levels.append(extra_floor)
    return max(levels, key=lambda lv: lv.rank) if levels else RiskLevel.GENERAL


SEVERITY_FLOOR: dict[str, RiskLevel | None] = {
    "minor": None, "general": RiskLevel.GENERAL, "serious": RiskLevel.HIGHER, "severe": RiskLevel.HIGH,
}
MANY_RECORDS = 3


def credit_floor(records: list[CreditRecord], day: dt.date) -> RiskLevel | None:
    """Rule 4: the lowest level a target's credit records in effect on `day` allow, or None."""
    floors = [SEVERITY_FLOOR.get(r.severity) for r in records if r.in_effect(day)]
    floors = [f for f in floors if f is not None]
    if len(floors) >= MANY_RECORDS:
        floors.append(RiskLevel.HIGHER)
    return max(floors, key=lambda lv: lv.rank) if floors else None


def _highest(*levels: RiskLevel | None) -> RiskLevel | None:
    present = [lv for lv in levels if lv is not None]
    return max(present, key=lambda lv: lv.rank) if present else None


def refresh(session: Session, target: Target, day: dt.date | None = None,
            extra_floor: RiskLevel | None = None, *, actor=None, cause: str = "") -> tuple[str, str]:
    """Recompute and store the target's level; returns (old, new) so callers can warn on a change."""
    day = day or workdays.today()
    old = target.risk_level
    records = list(session.scalars(select(CreditRecord).where(CreditRecord.target_id == target.id))) \
        if target.id is not None else []
    floor = _highest(extra_floor, credit_floor(records, day))
    new = derive(list(target.ratings), day, floor).value
    if new != old:
        target.risk_level = new
        target.risk_updated_at = utcnow()
        session.add(RiskLevelChange(target_id=target.id, old_level=old, new_level=new, cause=cause[:300],
                                    actor_id=getattr(actor, "id", None)))
    return old, new

"""The derived risk level (RiskLevel) of a target, the stratum it is drawn in.

Rule, version 1 (documented on the public draw-method page too):
1. Take every credit rating in effect on the day (effective_from ≤ day ≤ effective_to, or open-ended);
   when one source has several, the latest effective_from counts.
2. Map each to a risk level: 市场监管 A/B/C/D → 低/一般/较高/高; 交通 AA,A/B/C/D → 低/一般/较高/高;
   内部 ratings name the level directly.
3. The target's level is the highest of these; with no rating in effect it is 一般 (general).
4. Credit records from approved inspections may raise it further (see services.credit, when present):
   `extra_floor` is the lowest level those records allow.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from server.models.registry import CreditRating, Target
from server.models.types import utcnow
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


def refresh(session: Session, target: Target, day: dt.date | None = None,
            extra_floor: RiskLevel | None = None) -> tuple[str, str]:
    """Recompute and store the target's level; returns (old, new) so callers can warn on a change."""
    old = target.risk_level
    new = derive(list(target.ratings), day or dt.date.today(), extra_floor).value
    if new != old:
        target.risk_level = new
        target.risk_updated_at = utcnow()
    return old, new

"""The period's done inspections in one statement:

- by target dimension (streamed in the order of ix_inspections_stats_dims), and by month (one index range
  each), each with how many found a problem (Inspection.problem_found, in the same covering index);
- by result categories, for the results other than exactly 未发现问题;
- the failed checkpoints, and the items with a failed checkpoint (InspectionFailure, stored at submit).

Python only adds up the groups that come back (a few hundred at province scale).
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, case, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.models.fieldwork import InspectionFailure
from server.models.registry import Checkpoint
from server.services.stats.filters import Filters
from server.services.stats.sql import CATEGORY, DONE_AT, REGION, RISK, bounds, by_task, not_only_no_problem, scope, walk
from server.services.stats.trend import months


@dataclass
class Cohort:
    dims: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)  # (cat, risk, region) -> (n, problems)
    months: dict[str, tuple[int, int]] = field(default_factory=dict)  # YYYY-MM -> (n, problems)
    results: dict[tuple, int] = field(default_factory=dict)  # result codes other than [01] -> inspections
    checkpoints: dict[int, int] = field(default_factory=dict)  # checkpoint id -> inspections it failed in
    items: dict[int, int] = field(default_factory=dict)  # item id -> inspections with a failed checkpoint of it

    def total(self, key=None, *, problems: bool = False):
        """Inspections (or those with a problem) added up by key((category, risk, region)); None: one total."""
        out: dict = {}
        for dims, (n, p) in self.dims.items():
            k = key(dims) if key else None
            out[k] = out.get(k, 0) + (p if problems else n)
        return out if key else out.get(None, 0)


# the inspections whose submitted version found a problem (services/fieldwork/problem_facts.py)
PROBLEMS = func.count(case((Inspection.problem_found.is_(True), 1)))


def _arm(kind: str, *, category=None, risk=None, region=None, month=None, codes=None, key=None, n, problems=None):
    text = lambda v: v if v is not None else cast(null(), String)  # noqa: E731
    number = lambda v: v if v is not None else cast(null(), Integer)  # noqa: E731
    return [literal(kind).label("kind"), text(category).label("category"), text(risk).label("risk"),
            text(region).label("region"), text(month).label("month"), text(codes).label("codes"),
            number(key).label("key"), n.label("n"), number(problems).label("problems")]


def _month_arms(f: Filters) -> list:
    """One index range per month (ix_inspections_stats_done): no date function per row, no sort."""
    arms = []
    for m in months(f):
        y, mo = (int(p) for p in m.split("-"))
        lo, hi = bounds(max(f.start, dt.date(y, mo, 1)), min(f.end, dt.date(y, mo, calendar.monthrange(y, mo)[1])))
        # only the month's bounds: given the period's too, SQLite may seek the wider pair and walk the year
        arms.append(select(*_arm("month", month=literal(m), n=func.count(), problems=PROBLEMS))
                    .where(*scope(f), Inspection.status != "withdrawn", DONE_AT >= lo, DONE_AT < hi))
    return arms


def load(session: Session, f: Filters) -> Cohort:
    """The cohort of `f` (its done inspections), in one round trip.

    Each group counts its inspections and those whose submitted version found a problem
    (Inspection.problem_found) in the same pass over a covering index; the failed checkpoints come from the
    few InspectionFailure rows of the cohort's inspections that found one."""
    dims = (select(*_arm("dims", category=CATEGORY, risk=RISK, region=REGION, n=func.count(), problems=PROBLEMS))
            .where(*walk(f, session)).group_by(CATEGORY, RISK, REGION))
    codes = cast(Inspection.result_categories, String)
    others = (select(*_arm("rc", codes=codes, n=func.count()))
              .where(*by_task(f, session), not_only_no_problem(session)).group_by(codes))
    found = select(Inspection.id).where(*walk(f, session), Inspection.problem_found.is_(True))
    done = (select(InspectionFailure.inspection_id, InspectionFailure.checkpoint_id, Checkpoint.item_id)
            .join(Checkpoint, Checkpoint.id == InspectionFailure.checkpoint_id)
            .where(InspectionFailure.inspection_id.in_(found),
                   *([Checkpoint.item_id == f.item_id] if f.item_id else []))
            .cte("done_failures").prefix_with("MATERIALIZED"))
    cps = select(*_arm("cp", key=done.c.checkpoint_id, n=func.count())).group_by(done.c.checkpoint_id)
    items = (select(*_arm("item", key=done.c.item_id, n=func.count(func.distinct(done.c.inspection_id))))
             .group_by(done.c.item_id))
    return _read(session.execute(union_all(dims, *_month_arms(f), others, cps, items)))


def _read(rows) -> Cohort:
    out = Cohort()
    for r in rows:
        if r.kind == "dims":
            out.dims[(r.category or "", r.risk or "", r.region or "")] = (r.n, r.problems or 0)
        elif r.kind == "month":
            out.months[r.month] = (r.n, r.problems or 0)
        elif r.kind == "rc":
            out.results[tuple(json.loads(r.codes) if r.codes else ())] = r.n
        elif r.kind == "cp":
            out.checkpoints[r.key] = r.n
        else:
            out.items[r.key] = r.n
    return out

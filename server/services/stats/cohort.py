"""The period's done inspections in one statement, over one materialized set of failures (current 不符合
answers and current findings):

- by target dimension (streamed in the order of ix_inspections_stats_dims), and by month (one index range
  each); and the same for those that found a problem, from the small set of them, materialized once;
- by result categories, for the results other than exactly 未发现问题;
- the failed checkpoints, and the items with a failed checkpoint.

Python only adds up the groups that come back (a few hundred at province scale).
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.models.registry import Checkpoint
from server.services.stats.filters import Filters
from server.services.stats.sql import (CATEGORY, DONE_AT, REGION, RISK, bounds, by_task, dialect, failures,
                                       local_month, not_only_no_problem, results_in, scope, walk)
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
        arms.append(select(*_arm("month", month=literal(m), n=func.count()))
                    .where(*scope(f), Inspection.status != "withdrawn", DONE_AT >= lo, DONE_AT < hi))
    return arms


def _unsought(session: Session, column):
    """The column in a form SQLite will not seek an index with (PostgreSQL plans without the hint)."""
    return column + 0 if dialect(session) == "sqlite" else column


def load(session: Session, f: Filters, id_range: tuple[int, int], negative: list) -> Cohort:
    """The cohort of `f` (its done inspections), in one round trip; `negative` from sql.negative_results.

    `found` is materialized once: the done inspections that found a problem (a failure, or a negative
    result), with their dimension and month — a few per cent of the cohort. The problem counts group it;
    the counts of all done inspections stream through the covering indexes without a probe."""
    fail = failures(session, id_range).cte("fail").prefix_with("MATERIALIZED")
    month = local_month(session, DONE_AT)
    # `id + 0` and the text comparison of results_in() keep SQLite from seeking rows one by one (a
    # "MULTI-INDEX OR" that reads a table row each): it checks them in the covering index it walks.
    failed = _unsought(session, Inspection.id).in_(select(fail.c.inspection_id))
    found = (select(Inspection.id.label("id"), CATEGORY.label("category"), RISK.label("risk"),
                    REGION.label("region"), month.label("month"))
             .where(*walk(f, session), or_(failed, results_in(session, negative)))
             .cte("found").prefix_with("MATERIALIZED"))
    dims = (select(*_arm("dims", category=CATEGORY, risk=RISK, region=REGION, n=func.count()))
            .where(*walk(f, session)).group_by(CATEGORY, RISK, REGION))
    dims_found = (select(*_arm("dims_found", category=found.c.category, risk=found.c.risk, region=found.c.region,
                               n=func.count())).group_by(found.c.category, found.c.risk, found.c.region))
    month_found = select(*_arm("month_found", month=found.c.month, n=func.count())).group_by(found.c.month)
    codes = cast(Inspection.result_categories, String)
    others = (select(*_arm("rc", codes=codes, n=func.count()))
              .where(*by_task(f, session), not_only_no_problem(session)).group_by(codes))
    done = (select(fail.c.inspection_id, fail.c.checkpoint_id, Checkpoint.item_id)
            .join(Checkpoint, Checkpoint.id == fail.c.checkpoint_id)
            .where(fail.c.inspection_id.in_(select(found.c.id)),
                   *([Checkpoint.item_id == f.item_id] if f.item_id else []))
            .cte("done_failures").prefix_with("MATERIALIZED"))
    cps = (select(*_arm("cp", key=done.c.checkpoint_id, n=func.count(func.distinct(done.c.inspection_id))))
           .group_by(done.c.checkpoint_id))
    items = (select(*_arm("item", key=done.c.item_id, n=func.count(func.distinct(done.c.inspection_id))))
             .group_by(done.c.item_id))
    return _read(session.execute(union_all(dims, dims_found, *_month_arms(f), month_found, others, cps, items)))


def _read(rows) -> Cohort:
    out, dims, dims_found, months, months_found = Cohort(), {}, {}, {}, {}
    for r in rows:
        key = (r.category or "", r.risk or "", r.region or "")
        if r.kind == "dims":
            dims[key] = r.n
        elif r.kind == "dims_found":
            dims_found[key] = r.n
        elif r.kind == "month":
            months[r.month] = r.n
        elif r.kind == "month_found":
            months_found[r.month] = r.n
        elif r.kind == "rc":
            out.results[tuple(json.loads(r.codes) if r.codes else ())] = r.n
        elif r.kind == "cp":
            out.checkpoints[r.key] = r.n
        else:
            out.items[r.key] = r.n
    out.dims = {k: (n, dims_found.get(k, 0)) for k, n in dims.items()}
    out.months = {m: (n, months_found.get(m, 0)) for m, n in months.items()}
    return out

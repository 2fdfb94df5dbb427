"""The period's figures from the rollup (services/stats/rollup.py) where it can answer, and from the
inspections where it can't:

- the rollup answers whole months; a period that starts or ends inside a month has those days counted
  from the inspections, seeking them by completion time (ix_inspections_stats_done);
- whether an inspection's 20 working days have passed depends on today: the months before the deadline's
  month have passed wholly, those after not at all, and the deadline's own month is counted from the
  inspections;
- the rollup's details have no 乡镇, so with a 乡镇 filter the details are counted from the inspections.

Every part is a sum, so the parts add up to what one statement over the whole period would count.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.models.stats import StatsTaskCell, StatsTaskDetail
from server.services.kernel.workdays import local_midnight_utc
from server.services.stats import progress, rollup
from server.services.stats.cohort import Cohort
from server.services.stats.filters import Filters
from server.services.stats.sql import DONE_AT, bounds, scope
from server.services.stats.trend import months



@dataclass
class Split:
    rolled: list[str] = field(default_factory=list)  # months the rollup answers
    days: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # day ranges counted from inspections
    due_month: str = ""  # the rolled months before it have passed their publication deadline
    due_before: dt.datetime | None = None  # done before this instant: past the deadline today


def split(f: Filters) -> Split:
    deadline_day = progress.deadline_day()
    out = Split(due_month=deadline_day.strftime("%Y-%m"), due_before=local_midnight_utc(deadline_day))
    for m in months(f):
        y, mo = (int(p) for p in m.split("-"))
        first, last = dt.date(y, mo, 1), dt.date(y, mo, calendar.monthrange(y, mo)[1])
        lo, hi = max(f.start, first), min(f.end, last)
        if (lo, hi) == (first, last) and not (m == out.due_month and deadline_day.day != 1):
            out.rolled.append(m)
        else:
            out.days.append((lo, hi))
    return out


def _cell_conds(f: Filters, model) -> list:
    """The rollup rows of the tasks in scope, of the chosen category (and 乡镇, for the cells: the details
    have none and are counted from the inspections when one is chosen)."""
    conds = [model.task_id.in_(f.task_ids)] if f.task_ids else [model.task_id.is_(None)]
    if f.category:
        conds.append(model.category == f.category)
    if f.town and model is StatsTaskCell:
        conds.append(model.region == f.town)
    return conds


def _overdue(session: Session, f: Filters) -> dict[int, int]:
    """task -> inspections not done past their due date, as the drill-down lists them (progress.stage_conditions;
    the not-done ones are sought by completion time)."""
    stmt = (select(Inspection.task_id, func.count())
            .where(*scope(f), progress.stage_conditions(f)["overdue"]).group_by(Inspection.task_id))
    return dict(session.execute(stmt).all())


def _rolled(f: Filters, s: Split) -> list:
    """The rollup's part in SQL (a few hundred rows back): each task's counts as they stand today and in
    the rolled months, and the rolled months by category and 乡镇 and by month."""
    c = StatsTaskCell
    where = _cell_conds(f, c)
    in_period = c.month.in_(s.rolled)
    due = c.month < s.due_month
    total = lambda col, *conds: func.coalesce(func.sum(case((and_(*conds), col), else_=0)), 0)  # noqa: E731
    blank = [literal(None, String()).label(n) for n in ("month", "category", "region")]
    tasks = select(literal("task").label("kind"), c.task_id, *blank,
                   func.sum(c.active), func.sum(c.done), func.sum(c.reviewed), func.sum(c.withdrawn),
                   func.sum(c.published), total(c.done, in_period), total(c.done, in_period, due),
                   total(c.published, in_period), total(c.on_time, in_period), total(c.declined, in_period),
                   total(c.published + c.declined, in_period, due)).where(*where).group_by(c.task_id)
    zeros = [literal(0)] * 9
    dims = (select(literal("dims"), literal(None, Integer()), literal(None, String()), c.category, c.region,
                   func.sum(c.done), func.sum(c.problems), *zeros)
            .where(*where, in_period).group_by(c.category, c.region))
    by_month = (select(literal("month"), literal(None, Integer()), c.month, literal(None, String()),
                       literal(None, String()), func.sum(c.done), func.sum(c.problems), *zeros)
                .where(*where, in_period).group_by(c.month))
    return [tasks, dims, by_month] if s.rolled else [tasks]


def figures(session: Session, f: Filters) -> tuple[dict, dict, Cohort]:
    """(per task progress, per task publication outcomes, the cohort) of `f`, in the shapes report.build
    hands to the sections: counts[task] = {drawn, inspected, reviewed, overdue, withdrawn, cohort,
    cohort_due}; pubs[task] = {published, on_time, late, declined, handled_due}."""
    s = split(f)
    counts: dict[int, dict] = {}
    pubs: dict[int, dict] = {}
    cohort = Cohort()

    def task(t):
        if t not in counts:
            counts[t] = {"drawn": 0, "inspected": 0, "reviewed": 0, "overdue": 0, "withdrawn": 0, "cohort": 0,
                         "cohort_due": 0}
            pubs[t] = {"published": 0, "on_time": 0, "late": 0, "declined": 0, "handled_due": 0}
        return counts[t], pubs[t]

    def in_period(t, done, due_done, published, on_time, declined, due_handled):
        c, p = task(t)
        c["cohort"] += done
        c["cohort_due"] += due_done
        p["late"] += published - on_time
        p["on_time"] += on_time
        p["declined"] += declined
        p["handled_due"] += due_handled

    for r in session.execute(union_all(*_rolled(f, s))):
        if r[0] == "task":
            c, p = task(r[1])
            c["drawn"] += r[5]
            c["inspected"] += r[6]
            c["reviewed"] += r[7]
            c["withdrawn"] += r[8]
            p["published"] += r[9]
            in_period(r[1], *r[10:16])
        elif r[0] == "dims":
            cohort.add(r[3], r[4], None, r[5], r[6])
        else:
            cohort.add(None, None, r[2], r[5], r[6])
    for lo, hi in s.days:
        start, end = bounds(lo, hi)
        stmt = rollup.cells(session, [*scope(f), DONE_AT >= start, DONE_AT < end], due_before=s.due_before)
        for r in session.execute(stmt):
            in_period(r.task_id, r.done, r.due_done, r.published, r.on_time, r.declined, r.due_handled)
            cohort.add(r.category, r.region, r.month, r.done, r.problems)
    for t, n in _overdue(session, f).items():
        task(t)[0]["overdue"] += n
    _details(session, f, s, cohort)
    return counts, pubs, cohort


def _details(session: Session, f: Filters, s: Split, cohort: Cohort) -> None:
    """Result categories, failed checkpoints and items, and the follow-up records: the rolled months' rows,
    and the rest counted."""
    ranges = s.days
    arms = []
    if f.town:  # the rollup's details have no 乡镇: count the whole period
        ranges = [(f.start, f.end)]
    elif s.rolled:
        d = StatsTaskDetail
        item = [or_(d.kind.not_in(("cp", "item")), d.item_id == f.item_id)] if f.item_id else []
        arms.append(select(d.kind, d.key, func.sum(d.n)).where(*_cell_conds(f, d), d.month.in_(s.rolled), *item)
                    .group_by(d.kind, d.key))
    for lo, hi in ranges:
        start, end = bounds(lo, hi)
        where = [*scope(f), DONE_AT >= start, DONE_AT < end]
        for arm in rollup.detail_arms(session, where, f.item_id):
            sub = arm.subquery()
            arms.append(select(sub.c[3], sub.c[4], sub.c[6]))
    if not arms:
        return
    for kind, key, n in session.execute(union_all(*arms) if len(arms) > 1 else arms[0]):
        if kind == "rc":
            codes = tuple(json.loads(key)) if key else ()
            _bump(cohort.results, codes, n)
        elif kind == "cp":
            _bump(cohort.checkpoints, int(key), n)
        elif kind == "item":
            _bump(cohort.items, int(key), n)
        elif kind == "rect":
            _bump(cohort.rect, key, n)
        elif kind == "ref":
            _bump(cohort.referrals, tuple(key.split("|", 1)), n)
        else:
            _bump(cohort.credit, key, n)


def _bump(table: dict, key, n: int) -> None:
    table[key] = table.get(key, 0) + n

"""The SQL building blocks every figure shares: the scope of the filters, the cohort of inspections
done in the period, the problem records, and the few expressions that differ between SQLite and
PostgreSQL.

Target dimensions (category, 乡镇, risk level) are the inspection's copy of its target snapshot, frozen
at the draw (Inspection.target_category, …): the figures count a target as what it was when it was drawn,
and no query joins the registry row by row.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import (Date, String, cast, false, func, literal, or_)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.services.kernel.workdays import local_midnight_utc
from server.services.stats.filters import Filters



CATEGORY, REGION, RISK = Inspection.target_category, Inspection.target_region, Inspection.target_risk_level
# An inspection is done (完成检查) when its group submitted it with every photo and signature held: the
# moment the publication clock starts. One still waiting for its files is not done yet.
DONE_AT = Inspection.first_completed_at
ONLY_NO_PROBLEM = ["01"]


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def text_of(session: Session, column):
    """A timestamp or date column to compare row by row: on SQLite as the text it is stored as.

    SQLite gives DATETIME and DATE columns NUMERIC affinity, so comparing one with a text value first tries
    to turn the text into a number, on every row (three times slower over 200,000 rows); compared as
    text, the stored ISO forms order correctly. Index seeks are not affected; use this inside CASEs."""
    return cast(column, String) if dialect(session) == "sqlite" else column


def value_of(session: Session, value):
    """A timestamp or date as the other side of a text_of() comparison."""
    if dialect(session) != "sqlite":
        return value
    if isinstance(value, dt.datetime):
        return literal(value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"), String)
    return literal(value.isoformat(), String)


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of the Beijing days start … end (end exclusive: the midnight after `end`)."""
    return local_midnight_utc(start), local_midnight_utc(end + dt.timedelta(days=1))


def local_day(session: Session, column):
    """The Beijing date of a UTC timestamp column, comparable with a Date column."""
    if dialect(session) == "sqlite":
        return func.date(column, "+8 hours")
    return cast(func.timezone("Asia/Shanghai", column), Date)


def local_month(session: Session, column):
    """The Beijing-time month (YYYY-MM) of a UTC timestamp column."""
    if dialect(session) == "sqlite":
        return func.strftime("%Y-%m", column, "+8 hours")
    return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")


def scope(f: Filters, session: Session | None = None, task_ids: list[int] | None = None) -> list:
    """Inspections of the tasks in scope (or of `task_ids`, some of them), of the chosen target category
    and 乡镇.

    With `session` on SQLite the task condition is written `task_id + 0 IN (…)`, which no index can
    seek: the planner then walks the covering index in GROUP BY order instead of seeking each task and
    sorting (see walk())."""
    task_ids = f.task_ids if task_ids is None else task_ids
    if not task_ids:
        return [false()]
    task = Inspection.task_id + 0 if session is not None and dialect(session) == "sqlite" else Inspection.task_id
    conds = [task.in_(task_ids)]
    if f.category:
        conds.append(CATEGORY == f.category)
    if f.town:
        conds.append(REGION == f.town)
    return conds


def done_in_period(f: Filters, session: Session | None = None) -> list:
    """Done in the period and not withdrawn. Without `session`, for a WHERE (the index seeks on it); with
    it, for a CASE evaluated on every row, or a WHERE the index must not seek (see text_of)."""
    lo, hi = bounds(f.start, f.end)
    if session is None:
        return [Inspection.status != "withdrawn", DONE_AT >= lo, DONE_AT < hi]
    done = text_of(session, DONE_AT)
    return [Inspection.status != "withdrawn", done >= value_of(session, lo), done < value_of(session, hi)]


def inspected(f: Filters) -> list:
    """The cohort: inspections in scope done in the period, not withdrawn.

    A returned and resubmitted inspection is one row and keeps its first completion, so it counts once;
    a withdrawn one is not here."""
    return scope(f) + done_in_period(f)


def walk(f: Filters, session: Session, task_ids: list[int] | None = None) -> list:
    """The cohort's conditions for a statement that should walk an index in its GROUP BY order (SQLite
    streams the groups instead of sorting 200,000 rows); the same rows as inspected(), or those of
    `task_ids` (some of the tasks in scope) only."""
    return scope(f, session, task_ids) + done_in_period(f, session)


_DISTINCT_RESULTS = """
WITH RECURSIVE r(v) AS (
  SELECT (SELECT result_categories FROM inspections ORDER BY result_categories LIMIT 1)
  UNION ALL
  SELECT (SELECT i.result_categories FROM inspections i WHERE i.result_categories > r.v
          ORDER BY i.result_categories LIMIT 1) FROM r WHERE r.v IS NOT NULL
)
SELECT v FROM r WHERE v IS NOT NULL"""


def not_only_no_problem(session: Session):
    """Result categories other than exactly [01] (compared as text on SQLite, so that it is checked in the
    covering task index rather than sought in the narrow result index, which would read every row)."""
    if dialect(session) == "sqlite":
        stored = cast(Inspection.result_categories, String)
        only = literal(json.dumps(ONLY_NO_PROBLEM), String)
    else:
        stored, only = Inspection.result_categories, cast(literal(json.dumps(ONLY_NO_PROBLEM)), JSONB)
    return or_(stored < only, stored > only)


def results_in(session: Session, stored: list):
    """`result_categories IN (stored values)`, compared as stored (SQLite: the JSON text; PostgreSQL: jsonb)."""
    if not stored:
        return false()
    if dialect(session) == "sqlite":  # as text: a JSON column has NUMERIC affinity (see text_of)
        return cast(Inspection.result_categories, String).in_([literal(v, String) for v in stored])
    return Inspection.result_categories.in_(stored)

"""The SQL building blocks every figure shares: the scope of the filters, the cohort of inspections
done in the period, the problem records, and the few expressions that differ between SQLite and
PostgreSQL.

Target dimensions (category, 乡镇, risk level) come from the inspection's target snapshot, frozen at
the draw, through the expression index ix_inspections_stats_dims: the figures count a target as what it
was when it was drawn, and no query joins the registry row by row.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, exists, false, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from server.models.fieldwork import CheckpointAnswer, Finding
from server.models.inspections import Inspection
from server.services.kernel.workdays import local_midnight_utc
from server.services.stats.filters import Filters
from server.vocab import NEGATIVE_RESULTS, ResultCategory

NEGATIVE_CODES = tuple(sorted(m.value for m in NEGATIVE_RESULTS))
ONLY_NO_PROBLEM = [ResultCategory.NO_PROBLEM.value]
NONCOMPLIANT = literal_column("'noncompliant'")  # a literal, so the partial index applies


def snap(key: str):
    """`target_snapshot ->> 'key'`: the same text on SQLite (3.38+) and PostgreSQL, so the index matches."""
    return Inspection.target_snapshot.op("->>", return_type=String)(literal_column(f"'{key}'"))


CATEGORY, REGION, RISK = snap("category"), snap("region"), snap("risk_level")
INSPECTED_AT = func.coalesce(Inspection.first_completed_at, Inspection.submitted_at)


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of the Beijing days start … end (end exclusive: the midnight after `end`)."""
    return local_midnight_utc(start), local_midnight_utc(end + dt.timedelta(days=1))


def local_month(session: Session, column):
    """The Beijing-time month (YYYY-MM) of a UTC timestamp column."""
    if dialect(session) == "sqlite":
        return func.strftime("%Y-%m", column, "+8 hours")
    return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")


def scope(f: Filters) -> list:
    """Inspections of the tasks in scope, of the chosen target category and 乡镇."""
    conds = [Inspection.task_id.in_(f.task_ids) if f.task_ids else false()]
    if f.category:
        conds.append(CATEGORY == f.category)
    if f.town:
        conds.append(REGION == f.town)
    return conds


def inspected(f: Filters) -> list:
    """The cohort: inspections in scope carried out (submitted at least once) in the period, not withdrawn.

    A returned and resubmitted inspection is one row, so it counts once; a withdrawn one is not here."""
    lo, hi = bounds(f.start, f.end)
    return scope(f) + [Inspection.status != "withdrawn", Inspection.submitted_at.is_not(None),
                       INSPECTED_AT >= lo, INSPECTED_AT < hi]


def negative_result(session: Session):
    """Whether the inspection's result categories include a negative one (a problem found)."""
    cheap = Inspection.result_categories != ONLY_NO_PROBLEM  # most results are exactly [01]: skip the unnesting
    if dialect(session) == "sqlite":
        each = func.json_each(Inspection.result_categories).table_valued("value")
        return and_(cheap, exists(select(1).select_from(each).where(each.c.value.in_(NEGATIVE_CODES))))
    codes = ", ".join(f"'{c}'" for c in NEGATIVE_CODES)
    return and_(cheap, Inspection.result_categories.op("?|")(literal_column(f"ARRAY[{codes}]")))


def result_codes(session: Session):
    """(table, column) unnesting each inspection's result category codes, for a FROM clause."""
    if dialect(session) == "sqlite":
        each = func.json_each(Inspection.result_categories).table_valued("value")
        return each, each.c.value
    each = func.jsonb_array_elements_text(Inspection.result_categories).table_valued("value")
    return each, each.c.value


def current_noncompliant(id_range: tuple[int, int]):
    """(inspection_id, checkpoint_id) whose current answer is 不符合: the latest answer by device time.

    The register's winner (sync/merge.py) is the latest head; the latest answer is a head unless device
    clocks disagree about who saw whom, so this is the register's answer in every ordinary case."""
    a, b = CheckpointAnswer, aliased(CheckpointAnswer)
    later = exists(select(1).where(b.inspection_id == a.inspection_id, b.checkpoint_id == a.checkpoint_id,
                                   or_(b.created_at > a.created_at, and_(b.created_at == a.created_at, b.id > a.id))))
    return (select(a.inspection_id.label("inspection_id"), a.checkpoint_id.label("checkpoint_id"))
            .where(a.answer == NONCOMPLIANT, a.inspection_id.between(*id_range), ~later))


def current_findings(id_range: tuple[int, int]):
    """(inspection_id, checkpoint_id) of findings no amendment supersedes."""
    f, newer = Finding, aliased(Finding)
    return (select(f.inspection_id.label("inspection_id"), f.checkpoint_id.label("checkpoint_id"))
            .where(f.inspection_id.between(*id_range), ~exists(select(1).where(newer.supersedes_id == f.id))))


def failures(id_range: tuple[int, int]):
    """Distinct (inspection_id, checkpoint_id) found wanting: a current 不符合 answer or a current finding."""
    return current_noncompliant(id_range).union(current_findings(id_range))


def problem(session: Session, id_range: tuple[int, int]):
    """Whether an inspection found a problem: a current 不符合 answer, a current finding, or a negative result."""
    recorded = select(failures(id_range).subquery().c.inspection_id)
    return or_(Inspection.id.in_(recorded), negative_result(session))

"""The rollup behind 统计分析 (models/stats.py): each task's inspections added up by completion month,
target category and 乡镇, and its result categories and failed checkpoints and items by month.

`refresh` recomputes the tasks the triggers marked since the last refresh, from the same two statements
(`cell_columns`, `detail_arms`) that also count the days the rollup cannot answer (see periods.py): so a
figure is the same whichever way it was counted.
"""
from __future__ import annotations

from sqlalchemy import (Integer, String, and_, case, cast, delete, func, insert, literal, null, or_, select, text,
                        union_all)
from sqlalchemy.orm import Session

from server.models.fieldwork import Finding, InspectionFailure
from server.models.followup import CreditRecord, Publication, Referral
from server.models.inspections import Inspection
from server.models.registry import Checkpoint, Target
from server.models.stats import REGISTRY, StatsDirty, StatsRegistry, StatsTaskCell, StatsTaskDetail
from server.services.stats import followup
from server.services.stats.progress import published_by_due
from server.services.stats.sql import CATEGORY, DONE_AT, REGION, dialect, local_month, not_only_no_problem

ACTIVE = Inspection.status != "withdrawn"
DONE = and_(ACTIVE, DONE_AT.is_not(None))
PUBLISHED = and_(ACTIVE, Publication.first_published_at.is_not(None))
DECLINED = and_(DONE, Publication.first_published_at.is_(None), Publication.status == "not_published")
REFRESH_LOCK = 7_120_315  # pg_advisory_xact_lock key: one refresh at a time
BATCH = 500  # tasks per recomputing statement


def _count(*conds):
    return func.count(case((and_(*conds), 1)))


def month_of(session: Session):
    """The Beijing completion month of an inspection, "" when it is not done."""
    return func.coalesce(local_month(session, DONE_AT), "")


def cell_columns(session: Session, *, due_before=None) -> list:
    """The counts of one cell (task, month, category, 乡镇), as StatsTaskCell names them; with
    `due_before` (an instant) also those of the done ones completed before it (whose 20 working days have
    passed): "due_done" and "due_handled" (published or declined)."""
    cols = [_count(ACTIVE).label("active"), _count(Inspection.status == "withdrawn").label("withdrawn"),
            _count(DONE).label("done"), _count(ACTIVE, Inspection.approved_at.is_not(None)).label("reviewed"),
            _count(DONE, Inspection.problem_found.is_(True)).label("problems"), _count(PUBLISHED).label("published"),
            _count(DONE, PUBLISHED, published_by_due(session)).label("on_time"), _count(DECLINED).label("declined")]
    if due_before is not None:
        due = DONE_AT < due_before
        cols += [_count(DONE, due).label("due_done"), _count(DONE, due, or_(PUBLISHED, DECLINED)).label("due_handled")]
    return cols


def cells(session: Session, where: list, *, due_before=None):
    """The cells of the inspections matching `where`: (task_id, month, category, region, *cell_columns)."""
    keys = [Inspection.task_id.label("task_id"), month_of(session).label("month"),
            func.coalesce(CATEGORY, "").label("category"), func.coalesce(REGION, "").label("region")]
    return (select(*keys, *cell_columns(session, due_before=due_before))
            .select_from(Inspection)
            .outerjoin(Publication, and_(Publication.inspection_id == Inspection.id,
                                         Publication.department_id.is_(None)))
            .where(*where).group_by(*keys[:4]))


def detail_arms(session: Session, where: list, item_id: int | None = None) -> list:
    """The details of the done inspections matching `where`, as StatsTaskDetail rows: result categories other
    than exactly [01], failed checkpoints (with their item) and items with a failed checkpoint."""
    month, category = month_of(session), func.coalesce(CATEGORY, "")
    keys = [Inspection.task_id.label("task_id"), month.label("month"), category.label("category")]
    codes = cast(Inspection.result_categories, String)
    rc = (select(*keys, literal("rc").label("kind"), codes.label("key"), cast(null(), Integer).label("item_id"),
                 func.count().label("n"))
          .where(*where, DONE, not_only_no_problem(session)).group_by(Inspection.task_id, month, category, codes))
    failed = (select(Inspection.task_id, month.label("month"), category.label("category"),
                     InspectionFailure.inspection_id,
                     InspectionFailure.checkpoint_id, Checkpoint.item_id)
              .join(InspectionFailure, InspectionFailure.inspection_id == Inspection.id)
              .join(Checkpoint, Checkpoint.id == InspectionFailure.checkpoint_id)
              .where(*where, DONE, Inspection.problem_found.is_(True),
                     *([Checkpoint.item_id == item_id] if item_id else []))
              .subquery())
    fk = [failed.c.task_id, failed.c.month, failed.c.category]
    cp = (select(*fk, literal("cp"), cast(failed.c.checkpoint_id, String), failed.c.item_id, func.count())
          .group_by(*fk, failed.c.checkpoint_id, failed.c.item_id))
    item = (select(*fk, literal("item"), cast(failed.c.item_id, String), failed.c.item_id,
                   func.count(func.distinct(failed.c.inspection_id)))
            .group_by(*fk, failed.c.item_id))
    return [rc, cp, item, *followup_arms(session, where)]


def followup_arms(session: Session, where: list) -> list:
    """The follow-up records of the done inspections matching `where`, as StatsTaskDetail rows: current
    findings ordered to rectify and those done, referrals by kind and state, credit records by severity."""
    month, category = month_of(session), func.coalesce(CATEGORY, "")
    keys = [Inspection.task_id, month, category]
    none = cast(null(), Integer)

    def arm(model, kind, key, *conds, by_key=True):
        return (select(*keys, literal(kind), key, none, func.count()).select_from(model)
                .join(Inspection, Inspection.id == model.inspection_id).where(*where, DONE, *conds)
                .group_by(*keys, *([key] if by_key else [])))
    state = followup.referral_state()
    ordered = followup.rectification_condition()
    return [arm(Finding, "rect", literal("ordered"), ordered, by_key=False),
            arm(Finding, "rect", literal("done"), ordered, followup.rectified(), by_key=False),
            arm(Referral, "ref", Referral.kind + "|" + state),
            arm(CreditRecord, "credit", CreditRecord.severity)]


def _registry(session: Session) -> None:
    """The registry by category, risk level and 乡镇, counted again."""
    session.execute(delete(StatsRegistry))
    keys = [func.coalesce(Target.category, ""), func.coalesce(Target.risk_level, ""), func.coalesce(Target.region, "")]
    session.execute(insert(StatsRegistry).from_select(["category", "risk_level", "region", "n"],
                                                      select(*keys, func.count()).group_by(*keys)))


def _marks(session: Session) -> tuple[list[int], list[int]]:
    rows = session.execute(select(StatsDirty.id, StatsDirty.task_id)).all()
    return [r.id for r in rows], sorted({r.task_id for r in rows})


def refresh(session: Session) -> int:
    """Recompute the rollup of every task marked since the last refresh, in the session's transaction
    (the caller commits, so that other connections read it). Returns how many marks it cleared (0: the
    rollup was current).

    A write that commits while this runs leaves its own mark, which stays for the next refresh."""
    if dialect(session) == "postgresql":
        if not session.execute(select(StatsDirty.id).limit(1)).first():
            return 0
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REFRESH_LOCK})
    ids, tasks = _marks(session)
    if REGISTRY in tasks:
        tasks.remove(REGISTRY)
        _registry(session)
    for start in range(0, len(tasks), BATCH):
        batch = tasks[start:start + BATCH]
        session.execute(delete(StatsTaskCell).where(StatsTaskCell.task_id.in_(batch)))
        session.execute(delete(StatsTaskDetail).where(StatsTaskDetail.task_id.in_(batch)))
        where = [Inspection.task_id.in_(batch)]
        stmt = cells(session, where)
        session.execute(insert(StatsTaskCell).from_select([c.name for c in stmt.selected_columns], stmt))
        arms = union_all(*detail_arms(session, where))
        session.execute(insert(StatsTaskDetail).from_select(
            ["task_id", "month", "category", "kind", "key", "item_id", "n"], arms))
    for start in range(0, len(ids), 5000):
        session.execute(delete(StatsDirty).where(StatsDirty.id.in_(ids[start:start + 5000])))
    session.flush()
    return len(ids)

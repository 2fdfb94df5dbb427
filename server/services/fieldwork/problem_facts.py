"""What a submitted inspection found wanting, stored with it for 统计分析.

At each submit (submit.submit_inspection) the inspection's current records are in hand: the register winner
of each checkpoint and the findings no amendment supersedes. From them, and from the result categories, the
submit stores

- `Inspection.problem_found`: the version found a problem — a 不符合 answer, a current finding (with or
  without a checkpoint) or a negative result category (vocab.NEGATIVE_RESULTS);
- one InspectionFailure row per checkpoint found wanting (不符合, or named by a current finding).

A submitted inspection is locked: nothing changes its records until it is returned, and the resubmission
writes them again. So the statistics count what was submitted (not a returned inspection's edits in
progress), and read a few tens of thousands of failure rows at province scale instead of anti-joining the
millions of answers on every view.

`recompute` derives the same facts in SQL from the stored records, for data that did not come through a
submit (the migration that introduced them, bulk loads): the latest answer by device time stands for the
register's winner, as it does in every ordinary case (sync/merge.py).
"""
from __future__ import annotations

import json

from sqlalchemy import String, and_, cast, delete, exists, false, insert, literal, or_, select, text, union, update
from sqlalchemy.orm import Session, aliased

from server.models.fieldwork import CheckpointAnswer, Finding, InspectionFailure
from server.models.inspections import Inspection
from server.services.fieldwork import record_view
from server.vocab import CheckpointAnswer as Answer

NONCOMPLIANT = Answer.NONCOMPLIANT.value


def on_submit(session: Session, insp: Inspection, state) -> None:
    """Store the facts of the version being submitted (`state`: submit_state.state of it)."""
    failed = {a["checkpoint_id"] for a in state.answers if a["answer"] == NONCOMPLIANT}
    failed |= {f["checkpoint_id"] for f in state.findings if f.get("checkpoint_id") is not None}
    insp.problem_found = bool(failed) or bool(state.findings) or record_view.is_negative(insp)
    session.execute(delete(InspectionFailure).where(InspectionFailure.inspection_id == insp.id))
    if failed:
        session.execute(insert(InspectionFailure),
                        [{"inspection_id": insp.id, "checkpoint_id": cp} for cp in sorted(failed)])


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _current_noncompliant(ids):
    """(inspection_id, checkpoint_id) whose latest answer (device time, then id) is 不符合: an anti-join from
    the partial index of 不符合 answers."""
    a, b = CheckpointAnswer, aliased(CheckpointAnswer)
    later = and_(b.inspection_id == a.inspection_id, b.checkpoint_id == a.checkpoint_id,
                 or_(b.created_at > a.created_at, and_(b.created_at == a.created_at, b.id > a.id)))
    stmt = (select(a.inspection_id, a.checkpoint_id).outerjoin(b, later)
            .where(a.answer == text("'noncompliant'"), b.inspection_id.is_(None)))  # literal: the partial index
    return stmt.where(a.inspection_id.in_(ids)) if ids is not None else stmt


def _current_findings(ids, *, with_checkpoint: bool):
    f, newer = Finding, aliased(Finding)
    stmt = select(f.inspection_id, f.checkpoint_id).where(~exists(select(1).where(newer.supersedes_id == f.id)))
    if with_checkpoint:
        stmt = stmt.where(f.checkpoint_id.is_not(None))
    return stmt.where(f.inspection_id.in_(ids)) if ids is not None else stmt


def _negative_values(session: Session) -> list:
    """Every stored result-category list with a negative code, as stored (a few dozen distinct values)."""
    out = []
    for (value,) in session.execute(text("SELECT DISTINCT result_categories FROM inspections")):
        codes = json.loads(value) if isinstance(value, str) else value
        if record_view.NEGATIVE_CODES.intersection(codes or ()):
            out.append(value)
    return out


def recompute(session: Session, inspection_ids: list[int] | None = None) -> None:
    """Derive the facts of the given inspections (None: of all) from their stored records, in SQL."""
    ids = list(inspection_ids) if inspection_ids is not None else None
    gone = delete(InspectionFailure)
    session.execute(gone.where(InspectionFailure.inspection_id.in_(ids)) if ids is not None else gone)
    pairs = union(_current_noncompliant(ids), _current_findings(ids, with_checkpoint=True)).subquery()
    session.execute(insert(InspectionFailure).from_select(["inspection_id", "checkpoint_id"],
                                                          select(pairs.c.inspection_id, pairs.c.checkpoint_id)))
    with_finding = _current_findings(ids, with_checkpoint=False).with_only_columns(Finding.inspection_id)
    failed = select(InspectionFailure.inspection_id)
    negative = _negative_values(session)
    if not negative:
        stored_negative = false()
    elif _sqlite(session):  # the JSON text as stored
        stored_negative = cast(Inspection.result_categories, String).in_([literal(v, String) for v in negative])
    else:  # jsonb values, bound through the column's type
        stored_negative = Inspection.result_categories.in_(negative)
    found = or_(Inspection.id.in_(failed), Inspection.id.in_(with_finding), stored_negative)
    # changed_at kept: a derived fact is no change a phone needs to pull
    stmt = (update(Inspection).values(problem_found=found, changed_at=Inspection.changed_at)
            .execution_options(synchronize_session=False))
    session.execute(stmt.where(Inspection.id.in_(ids)) if ids is not None else stmt)

"""`inspection.submit`: the completeness rules (sync/submit_rules.py), the lock, pending evidence, and the
quality flags for the reviewer (quality.py); and completing an inspection once its last file lands."""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from server.models.fieldwork import MediaFile, Photo, PhotoWithdrawal, Signature
from server.models.inspections import Inspection
from server.models.types import utcnow
from server.services.fieldwork import problem_facts, quality, submit_state
from server.services.fieldwork.mutations import Index, Origin, _open, write_pending
from server.services.kernel import audit
from sync.messages import APPLIED, LATE, SUBMIT


def submit_inspection(session: Session, actor, origin: Origin, index: Index, *, inspection_id: int,
                      result_categories: list, methods: list, follow_ups: list, summary: str) -> str:
    """Lock the inspection with its results: pending_evidence while a file is missing, else submitted.
    Refused (the data kept, as every rejection) when a rule of sync/submit_rules.py fails."""
    args = {"inspection_id": inspection_id, "result_categories": result_categories, "methods": methods,
            "follow_ups": follow_ups, "summary": summary}
    insp = _open(session, actor, origin, index, SUBMIT, args)
    if insp is None:
        return LATE
    # The records only: the inspection's row is updated (and locked) once, when the push ends.
    write_pending(index, flush=False)
    state = submit_state.check(session, insp, args)
    if insp.status == "returned":
        insp.version += 1
    insp.result_categories, insp.methods, insp.follow_ups = list(result_categories), list(methods), list(follow_ups)
    insp.summary = summary
    insp.started_at = insp.started_at or origin.created_at
    insp.submitted_at = origin.received_at
    missing = index.missing[insp.id] = missing_media(session, insp.id)
    insp.status = "pending_evidence" if missing else "submitted"
    insp.completed_at = None if missing else utcnow()
    insp.first_completed_at = insp.first_completed_at or insp.completed_at
    insp.changed_at = utcnow()
    problem_facts.on_submit(session, insp, state)
    flags = quality.on_submit(session, insp, origin, state)
    audit.record(session, actor, "inspection.submit", insp, detail={
        "version": insp.version, "status": insp.status, "missing_media": len(missing),
        "result_categories": insp.result_categories, "client_id": origin.client_id,
        "mutation_id": origin.mutation_id, "quality_flags": flags})
    return APPLIED


def missing_media(session: Session, inspection_id: int) -> list[tuple[str, str, str]]:
    """(kind, record id, sha256) of the photos (withdrawn and late ones excluded) and signatures whose file
    the server does not hold yet — one statement."""
    return [tuple(r) for r in session.execute(_missing_media_query(), {"inspection_id": inspection_id})]


@functools.cache
def _missing_media_query():
    inspection_id = bindparam("inspection_id")
    refs = union_all(
        select(literal("photo").label("kind"), Photo.id, Photo.sha256, Photo.received_at)
        .where(Photo.inspection_id == inspection_id,
               ~select(PhotoWithdrawal.id).where(PhotoWithdrawal.photo_id == Photo.id).exists()),
        select(literal("signature").label("kind"), Signature.id, Signature.sha256, Signature.received_at)
        .where(Signature.inspection_id == inspection_id)).subquery()
    return (select(refs.c.kind, refs.c.id, refs.c.sha256)
            .outerjoin(MediaFile, MediaFile.sha256 == refs.c.sha256).where(MediaFile.sha256.is_(None))
            .order_by(refs.c.kind, refs.c.received_at, refs.c.id))


def complete_waiting(session: Session, actor, sha256: str) -> list[Inspection]:
    """After a file lands: every pending_evidence inspection that now holds all its files becomes submitted."""
    ids = set(session.scalars(select(Photo.inspection_id).where(Photo.sha256 == sha256))) | set(
        session.scalars(select(Signature.inspection_id).where(Signature.sha256 == sha256)))
    done = []
    for insp in session.scalars(select(Inspection).where(Inspection.id.in_(ids),
                                                         Inspection.status == "pending_evidence")):
        if not missing_media(session, insp.id):
            insp.status, insp.completed_at, insp.changed_at = "submitted", utcnow(), utcnow()
            insp.first_completed_at = insp.first_completed_at or insp.completed_at
            audit.record(session, actor, "inspection.complete", insp, detail={"last_file": sha256,
                                                                             "version": insp.version})
            done.append(insp)
    return done

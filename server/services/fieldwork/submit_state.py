"""The inspection as the server holds it at a submit, for the pure rules of sync/submit_rules.py; and the
digest of what the signatures must cover, for the office page."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ValidationError
from server.models.fieldwork import CheckpointAnswer, Finding, PartyRecord, Photo, PhotoWithdrawal, Signature
from server.services.fieldwork.records import registers
from sync import signing, submit_rules

CONCLUSION = ("result_categories", "methods", "follow_ups", "summary")


def state(session: Session, insp, conclusion: dict) -> submit_rules.SubmitState:
    """The SubmitState of one inspection with the given conclusion (records written so far included)."""
    inspection_id = insp.id
    answers = session.execute(select(CheckpointAnswer.id, CheckpointAnswer.checkpoint_id, CheckpointAnswer.answer,
                                     CheckpointAnswer.note, CheckpointAnswer.base, CheckpointAnswer.created_at)
                              .where(CheckpointAnswer.inspection_id == inspection_id)).all()
    findings = session.execute(select(Finding.id, Finding.checkpoint_id, Finding.description, Finding.legal_basis,
                                      Finding.rectification, Finding.rectify_by, Finding.supersedes_id)
                               .where(Finding.inspection_id == inspection_id)).all()
    amended = {f.supersedes_id for f in findings if f.supersedes_id}
    sigs = session.execute(select(Signature.id, Signature.signer_role, Signature.signer_inspector_id,
                                  Signature.signer_name, Signature.signed_at, Signature.digest)
                           .where(Signature.inspection_id == inspection_id)).all()
    withdrawn = select(PhotoWithdrawal.id).where(PhotoWithdrawal.photo_id == Photo.id).exists()
    photos = session.execute(select(Photo.id, Photo.checkpoint_id, Photo.finding_id, Photo.taken_at, Photo.latitude,
                                    Photo.longitude, Photo.clock_offset_ms)
                             .where(Photo.inspection_id == inspection_id, ~withdrawn)).all()
    party = session.execute(select(PartyRecord.name, PartyRecord.refused_to_sign, PartyRecord.absent, PartyRecord.note)
                            .where(PartyRecord.inspection_id == inspection_id)
                            .order_by(PartyRecord.received_at.desc(), PartyRecord.id.desc()).limit(1)).first()
    return submit_rules.SubmitState(
        checklist=tuple({"name": item.get("name", ""), "checkpoints": tuple(item.get("checkpoints", ()))}
                        for item in insp.checklist_snapshot or ()),
        members=tuple({"inspector_id": m.inspector_id, "name": m.inspector.name} for m in insp.active_members),
        party=party._asdict() if party else None, mode=insp.mode or "on_site",
        photos=tuple(p._asdict() for p in photos),
        inspection_id=inspection_id, conclusion={k: conclusion[k] for k in CONCLUSION},
        answers=tuple({"checkpoint_id": cp, "answer": r.winner.answer, "note": r.winner.note}
                      for cp, r in registers(answers).items()),
        findings=tuple(f._asdict() for f in findings if f.id not in amended),
        signatures=tuple({"id": s.id, "signer_role": s.signer_role, "inspector_id": s.signer_inspector_id,
                          "signer_name": s.signer_name, "signed_at": s.signed_at, "digest": s.digest} for s in sigs))


def check(session: Session, insp, conclusion: dict) -> submit_rules.SubmitState:
    """Refuse the submit with the first rule's problem (its code is the protocol's rejection code; the
    others are in errors.also)."""
    st = state(session, insp, conclusion)
    problem = submit_rules.rejection(st)
    if problem:
        raise ValidationError(problem.message, code=problem.code, errors=problem.errors)
    return st


def signature_checks(session: Session, inspection) -> dict[str, str]:
    """Signature id → "current" (covers the submitted content), "stale", "unbound" (no digest) or "superseded"."""
    st = state(session, inspection, {"result_categories": inspection.result_categories or [],
                                        "methods": inspection.methods or [], "follow_ups": inspection.follow_ups or [],
                                        "summary": inspection.summary or ""})
    expected = st.content_digest()
    current = signing.current_ids(st.signatures)
    out = {}
    for s in st.signatures:
        if s["id"] not in current:
            out[s["id"]] = "superseded"
        elif not s["digest"]:
            out[s["id"]] = "unbound"
        else:
            out[s["id"]] = "current" if s["digest"] == expected else "stale"
    return out

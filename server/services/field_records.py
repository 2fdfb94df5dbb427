"""Reading field records back: per-inspection answers with their registers, findings, photos,
signatures, party records and late evidence — for pull bundles, receipts and the office pages."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.fieldwork import (CheckpointAnswer, Finding, LateEvidence, MediaFile, PartyRecord, Photo,
                                     Signature)
from server.models.inspections import Inspection
from sync.merge import Answer, Register, resolve


@dataclass
class Records:
    """Everything recorded for one inspection, in arrival order."""

    answers: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    photos: list = field(default_factory=list)
    signatures: list = field(default_factory=list)
    party: list = field(default_factory=list)
    late: list = field(default_factory=list)
    held: dict = field(default_factory=dict)  # sha256 -> MediaFile

    def registers(self) -> dict[int, Register]:
        """checkpoint id -> its register (current answer, heads, conflict)."""
        return registers(self.answers)

    def superseded_by(self) -> dict[str, list[str]]:
        """finding id -> ids of the findings that amend it."""
        out: dict[str, list[str]] = defaultdict(list)
        for f in self.findings:
            if f.supersedes_id:
                out[f.supersedes_id].append(f.id)
        return out

    def current_findings(self) -> list:
        """Findings not superseded by an amendment."""
        amended = self.superseded_by()
        return [f for f in self.findings if f.id not in amended]


def registers(answers) -> dict[int, Register]:
    """Resolve the register of every checkpoint (sync/merge.py rules)."""
    by_cp: dict[int, list[Answer]] = defaultdict(list)
    for a in answers:
        by_cp[a.checkpoint_id].append(Answer(a.id, a.answer, a.note, tuple(a.base or ()), a.created_at))
    return {cp: resolve(items) for cp, items in sorted(by_cp.items())}


def _grouped(session: Session, model, ids: list[int], order) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for row in session.scalars(select(model).where(model.inspection_id.in_(ids)).order_by(*order)):
        out[row.inspection_id].append(row)
    return out


def load(session: Session, inspection_ids: list[int]) -> dict[int, Records]:
    """Records of several inspections at once (one query per record kind)."""
    ids = list(inspection_ids)
    if not ids:
        return {}
    kinds = {
        "answers": _grouped(session, CheckpointAnswer, ids, (CheckpointAnswer.received_at, CheckpointAnswer.id)),
        "findings": _grouped(session, Finding, ids, (Finding.received_at, Finding.id)),
        "photos": _grouped(session, Photo, ids, (Photo.received_at, Photo.id)),
        "signatures": _grouped(session, Signature, ids, (Signature.received_at, Signature.id)),
        "party": _grouped(session, PartyRecord, ids, (PartyRecord.received_at, PartyRecord.id)),
        "late": _grouped(session, LateEvidence, ids, (LateEvidence.id,)),
    }
    hashes = {r.sha256 for k in ("photos", "signatures", "late") for rows in kinds[k].values() for r in rows
              if r.sha256}
    held = {m.sha256: m for m in session.scalars(select(MediaFile).where(MediaFile.sha256.in_(hashes)))} \
        if hashes else {}
    out = {}
    for i in ids:
        rec = Records(**{k: v.get(i, []) for k, v in kinds.items()})
        rec.held = {h: m for h, m in held.items()
                    if any(r.sha256 == h for r in rec.photos + rec.signatures + rec.late)}
        out[i] = rec
    return out


def refresh_conflicts(session: Session, insp: Inspection) -> bool:
    """Recompute the inspection's conflict flag from its registers; returns it."""
    answers = session.scalars(select(CheckpointAnswer).where(CheckpointAnswer.inspection_id == insp.id)).all()
    flag = any(r.conflict for r in registers(answers).values())
    if insp.has_conflicts != flag:
        insp.has_conflicts = flag
    return flag


@dataclass
class CheckpointRow:
    """One checkpoint of the checklist with its register and every answer given to it."""

    item: dict
    checkpoint: dict
    answers: list
    register: Register | None
    heads: list


def detail(session: Session, insp: Inspection) -> dict:
    """Everything the office shows about an inspection's field work and its sync history."""
    from server.models.sync import MutationLog

    rec = load(session, [insp.id])[insp.id]
    regs = rec.registers()
    by_cp: dict[int, list] = defaultdict(list)
    for a in rec.answers:
        by_cp[a.checkpoint_id].append(a)
    by_id = {a.id: a for a in rec.answers}
    rows = []
    for item in insp.checklist_snapshot or []:
        for cp in item.get("checkpoints", []):
            reg = regs.get(cp["id"])
            rows.append(CheckpointRow(item, cp, by_cp.get(cp["id"], []), reg,
                                      [by_id[h] for h in reg.heads] if reg else []))
    history = session.scalars(select(MutationLog).where(MutationLog.inspection_id == insp.id)
                              .order_by(MutationLog.received_at, MutationLog.id)).all()
    return {"records": rec, "checkpoints": rows, "conflicts": [r for r in rows if r.register and r.register.conflict],
            "superseded_by": rec.superseded_by(), "party": rec.party[-1] if rec.party else None,
            "history": history, "rejected": [h for h in history if h.status == "rejected"],
            "findings_by_id": {f.id: f for f in rec.findings}}

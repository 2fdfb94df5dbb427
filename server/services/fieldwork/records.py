"""Reading field records back: per-inspection answers with their registers, findings, photos,
signatures, party records and late evidence — for pull bundles, receipts and the office pages."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.fieldwork import (CheckpointAnswer, Finding, LateEvidence, MediaFile, PartyRecord, Photo,
                                     PhotoWithdrawal, Signature)
from server.models.accounts import User
from server.models.inspections import Inspection
from sync import signing
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
    withdrawals: list = field(default_factory=list)  # photos withdrawn before submitting (kept on record)
    held: dict = field(default_factory=dict)  # sha256 -> MediaFile
    user_names: dict = field(default_factory=dict)  # user id -> display name (light loads)

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

    def withdrawn(self) -> dict:
        """photo id -> the withdrawal record (the first, if withdrawn twice)."""
        out: dict = {}
        for w in self.withdrawals:
            out.setdefault(w.photo_id, w)
        return out

    def current_photos(self) -> list:
        """Photos not withdrawn."""
        gone = self.withdrawn()
        return [p for p in self.photos if p.id not in gone]

    def current_signatures(self) -> list:
        """The latest signature of each signer (re-signing replaces an earlier one, which stays on record)."""
        ids = current_signature_ids(self.signatures)
        return [s for s in self.signatures if s.id in ids]


def current_signature_ids(signatures) -> set[str]:
    """The ids of the signatures that count, by sync/signing.py's rule."""
    return signing.current_ids({"id": s.id, "signer_role": s.signer_role, "inspector_id": s.signer_inspector_id,
                                "signer_name": s.signer_name, "signed_at": s.signed_at} for s in signatures)


def registers(answers) -> dict[int, Register]:
    """Resolve the register of every checkpoint (sync/merge.py rules)."""
    by_cp: dict[int, list[Answer]] = defaultdict(list)
    for a in answers:
        by_cp[a.checkpoint_id].append(Answer(a.id, a.answer, a.note, tuple(a.base or ()), a.created_at))
    return {cp: resolve(items) for cp, items in sorted(by_cp.items())}


def _grouped(session: Session, model, ids: list[int], order, light: bool) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    q = select(model.__table__) if light else select(model)
    rows = session.execute(q.where(model.inspection_id.in_(ids)).order_by(*order))
    for row in (rows if light else rows.scalars()):
        out[row.inspection_id].append(row)
    return out


def load(session: Session, inspection_ids: list[int], *, light: bool = False) -> dict[int, Records]:
    """Records of several inspections at once (one query per record kind). `light` gives plain rows
    (column attributes, no relationships — several times faster) and the authors' names."""
    ids = list(inspection_ids)
    if not ids:
        return {}
    kinds = {
        "answers": _grouped(session, CheckpointAnswer, ids, (CheckpointAnswer.received_at, CheckpointAnswer.id), light),
        "findings": _grouped(session, Finding, ids, (Finding.received_at, Finding.id), light),
        "photos": _grouped(session, Photo, ids, (Photo.received_at, Photo.id), light),
        "signatures": _grouped(session, Signature, ids, (Signature.received_at, Signature.id), light),
        "party": _grouped(session, PartyRecord, ids, (PartyRecord.received_at, PartyRecord.id), light),
        "late": _grouped(session, LateEvidence, ids, (LateEvidence.id,), light),
        "withdrawals": _grouped(session, PhotoWithdrawal, ids, (PhotoWithdrawal.received_at, PhotoWithdrawal.id),
                                light),
    }
    names = {}
    if light:
        user_ids = {r.user_id for rows in kinds.values() for group in rows.values() for r in group if r.user_id}
        if user_ids:
            names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    hashes = {r.sha256 for k in ("photos", "signatures", "late") for rows in kinds[k].values() for r in rows
              if r.sha256}
    held = {m.sha256: m for m in session.scalars(select(MediaFile).where(MediaFile.sha256.in_(hashes)))} \
        if hashes else {}
    out = {}
    for i in ids:
        rec = Records(**{k: v.get(i, []) for k, v in kinds.items()}, user_names=names)
        mine = {r.sha256 for r in rec.photos + rec.signatures + rec.late}
        rec.held = {h: m for h, m in held.items() if h in mine}
        out[i] = rec
    return out


def refresh_conflicts(session: Session, insp: Inspection) -> bool:
    """Recompute the inspection's conflict flag from its registers; returns it."""
    rows = session.execute(select(CheckpointAnswer.id, CheckpointAnswer.checkpoint_id, CheckpointAnswer.answer,
                                  CheckpointAnswer.note, CheckpointAnswer.base, CheckpointAnswer.created_at)
                           .where(CheckpointAnswer.inspection_id == insp.id)).all()
    flag = any(r.conflict for r in registers(rows).values())
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


def dashboard_panel(session: Session) -> dict:
    """The 工作台 panel of the sync area: what waits on phones and what needs a reviewer's eye."""
    import datetime as dt

    from sqlalchemy import func

    from server.models.accounts import ApiToken
    from server.models.sync import MutationLog
    from server.models.types import utcnow

    week = utcnow() - dt.timedelta(days=7)
    count = lambda q: session.scalar(q)  # noqa: E731
    return {"title": "现场检查与同步", "rows": [
        ("等待补传照片或签名的检查", count(select(func.count(Inspection.id)).where(
            Inspection.status == "pending_evidence")), "office.inspections"),
        ("检查组判定不一致的检查", count(select(func.count(Inspection.id)).where(
            Inspection.has_conflicts.is_(True))), "office.inspections"),
        ("7 天内提交后到达的补充证据", count(select(func.count(LateEvidence.id)).where(
            LateEvidence.received_at >= week)), "office.inspections"),
        ("7 天内被拒绝的同步操作", count(select(func.count(MutationLog.id)).where(
            MutationLog.status == "rejected", MutationLog.received_at >= week)), "office.inspections"),
        ("有效的移动设备登录", count(select(func.count(ApiToken.id)).where(
            ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())), "office.devices"),
    ]}

"""The field records of an inspection as the 笔录's context.

The sync area reads an inspection's records back in the shape of the sync bundle's `record`
(sync/PROTOCOL.md §2.1: registers, findings, photos, signatures, party, result, late_evidence);
this module turns that record into the parts of the 笔录 context. Before any field work is synced
the record is empty and the 笔录 prints blank lines and empty check boxes.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models.sync import Receipt
from server.services.documents.formatting import iso, labels
from server.services.fieldwork.record_view import item_results
from server.services.fieldwork.records import current_signature_ids, registers
from server.vocab import ResultCategory

RESULT_STATUSES = ("pending_evidence", "submitted", "approved")  # results are chosen at submission
ROLE_LABELS = {"party": "现场人员签名", "inspector": "执法人员", "witness": "见证人"}


def _rows(session: Session, model, inspection_id: int, *columns):
    """Plain rows (no ORM objects: this runs on every cached download) in arrival order."""
    return session.execute(select(*columns).where(model.inspection_id == inspection_id)
                           .order_by(model.received_at, model.id)).all()


def load_record(session: Session, inspection) -> dict:
    """The inspection's field records in the shape of the sync bundle's `record` (PROTOCOL §2.1).

    Answers resolve to registers by the sync area's merge rule (field_records.registers).
    """
    from server.models.fieldwork import (CheckpointAnswer as A, Finding as F, LateEvidence, MediaFile, PartyRecord as P,
                                         Photo, PhotoWithdrawal, Signature as S)
    i = inspection.id
    answers = _rows(session, A, i, A.id, A.checkpoint_id, A.answer, A.note, A.base, A.created_at)
    findings = _rows(session, F, i, F.id, F.checkpoint_id, F.description, F.legal_basis, F.rectification,
                     F.rectify_by, F.supersedes_id)
    photos = _rows(session, Photo, i, Photo.id, Photo.sha256, Photo.finding_id, Photo.caption, Photo.taken_at,
                   Photo.latitude, Photo.longitude, Photo.accuracy_m)
    withdrawn = set(session.scalars(select(PhotoWithdrawal.photo_id).where(PhotoWithdrawal.inspection_id == i)))
    photos = [p for p in photos if p.id not in withdrawn]  # withdrawn before submitting: not the record's evidence
    signatures = _rows(session, S, i, S.id, S.sha256, S.signer_role, S.signer_name, S.signer_inspector_id, S.signed_at)
    current = current_signature_ids(signatures)  # a re-signed signature replaces the earlier one
    signatures = [s for s in signatures if s.id in current]
    party = _rows(session, P, i, P.name, P.position, P.id_number, P.phone, P.refused_to_sign, P.absent, P.note)
    late = session.scalar(select(func.count(LateEvidence.id)).where(LateEvidence.inspection_id == i))
    hashes = {r.sha256 for r in photos} | {r.sha256 for r in signatures}
    held = set(session.scalars(select(MediaFile.sha256).where(MediaFile.sha256.in_(hashes)))) if hashes else set()
    amended: dict[str, list[str]] = {}
    for f in findings:
        if f.supersedes_id:
            amended.setdefault(f.supersedes_id, []).append(f.id)
    return {
        "started_at": iso(inspection.started_at),
        "registers": [{"checkpoint_id": cp, "answer": r.winner.answer, "note": r.winner.note, "conflict": r.conflict}
                      for cp, r in registers(answers).items()],
        "findings": [{"id": f.id, "checkpoint_id": f.checkpoint_id, "description": f.description,
                      "legal_basis": f.legal_basis, "rectification": f.rectification, "rectify_by": iso(f.rectify_by),
                      "supersedes": f.supersedes_id, "superseded_by": amended.get(f.id, [])}
                     for f in findings],
        "photos": [{"id": p.id, "sha256": p.sha256, "finding_id": p.finding_id, "caption": p.caption,
                    "taken_at": iso(p.taken_at), "latitude": p.latitude, "longitude": p.longitude,
                    "accuracy_m": p.accuracy_m, "held": p.sha256 in held} for p in photos],
        "signatures": [{"sha256": s.sha256, "signer_role": s.signer_role, "signer_name": s.signer_name,
                        "signed_at": iso(s.signed_at), "held": s.sha256 in held} for s in signatures],
        "party": [dict(p._mapping) for p in party],
        "result": {"result_categories": list(inspection.result_categories or []),
                   "methods": list(inspection.methods or []), "follow_ups": list(inspection.follow_ups or []),
                   "summary": inspection.summary or "", "submitted_at": iso(inspection.submitted_at)},
        "late_evidence": late or 0,
    }


def load_receipt(session: Session, inspection) -> dict | None:
    """The body of the latest signed receipt the server issued for the inspection, if any."""
    row = session.scalars(select(Receipt).where(Receipt.inspection_id == inspection.id)
                          .order_by(Receipt.issued_at.desc(), Receipt.id.desc()).limit(1)).first()
    return dict(row.body) if row is not None else None


def fill_record(session: Session, inspection, context: dict) -> None:
    """Add answers, findings, party, signatures, photos, per-item results and the receipt to a 笔录 context."""
    record = load_record(session, inspection)
    fill_from_record(context, record)
    if inspection.status in RESULT_STATUSES:
        fill_item_results(context, inspection, record)
    receipt = load_receipt(session, inspection)
    if receipt:
        context["receipt"] = receipt_part(receipt)


def fill_item_results(context: dict, inspection, record: dict) -> None:
    """Each item's result in the terms it is published in (services.fieldwork.record_view.item_results)."""
    for item, result in zip(context["items"], item_results(inspection, record)):
        item["result_labels"] = labels(ResultCategory, result["codes"])


def fill_from_record(context: dict, record: dict) -> None:
    """Merge a PROTOCOL §2.1 record into a 笔录 context built from the inspection alone."""
    if not record:
        return
    context["time"]["start"] = record.get("started_at") or context["time"]["start"]
    result = record.get("result") or {}
    # Signing on site ends the inspection; the submission may reach the server much later (offline).
    signed = sorted((s["signed_at"] for s in record.get("signatures") or [] if s.get("signed_at")),
                    key=lambda v: dt.datetime.fromisoformat(v) if isinstance(v, str) else v)
    context["time"]["end"] = (signed[-1] if signed else None) or result.get("submitted_at") or context["time"]["end"]
    checkpoints = _answer_checkpoints(context, record.get("registers") or [])
    photos = _photos(record.get("photos") or [])
    findings = _findings(record.get("findings") or [], checkpoints, photos)
    for p in photos:
        p["finding_no"] = findings["by_id"].get(p.pop("finding_id"), None)
    context["findings"] = findings["list"]
    context["photos"] = photos
    context["party"] = _party(record.get("party") or [])
    context["signatures"] = [_signature(s) for s in record.get("signatures") or []]
    conclusion = context["conclusion"]
    for key, src in (("results", "result_categories"), ("methods", "methods"), ("follow_ups", "follow_ups")):
        conclusion[key] = list(result.get(src) or conclusion[key])
    conclusion["summary"] = result.get("summary") or conclusion["summary"]
    context["late_evidence"] = int(record.get("late_evidence") or 0)


def _answer_checkpoints(context: dict, registers: list[dict]) -> dict:
    """Put each register's answer on its checkpoint; return checkpoint id → (item name, text)."""
    by_id = {r.get("checkpoint_id"): r for r in registers}
    where = {}
    for item in context["items"]:
        for cp in item["checkpoints"]:
            where[cp["id"]] = (item["name"], cp["text"])
            reg = by_id.get(cp["id"])
            if reg:
                cp["answer"] = reg.get("answer") or ""
                notes = [reg.get("note") or ""]
                if reg.get("conflict"):
                    notes.append("组内答案不一致，待审核")
                cp["note"] = "；".join(n for n in notes if n)
    return where


def _photos(photos: list[dict]) -> list[dict]:
    out = []
    for n, p in enumerate(photos, start=1):
        sha = str(p.get("sha256") or "")
        out.append({"no": n, "id": p.get("id"), "sha256": sha, "sha12": sha[:12], "taken_at": p.get("taken_at"),
                    "latitude": p.get("latitude"), "longitude": p.get("longitude"),
                    "accuracy": p.get("accuracy_m"), "caption": p.get("caption") or "",
                    "finding_id": p.get("finding_id"), "held": bool(p.get("held", True))})
    return out


def _findings(findings: list[dict], checkpoints: dict, photos: list[dict]) -> dict:
    """Current findings (not superseded by an amendment), numbered, with their photos' numbers."""
    current = [f for f in findings if not f.get("superseded_by")]
    out, by_id = [], {}
    for n, f in enumerate(current, start=1):
        item_name, cp_text = checkpoints.get(f.get("checkpoint_id"), ("", ""))
        ids = {f.get("id")} | _ancestors(f, findings)
        by_id.update({i: n for i in ids if i})
        out.append({"no": n, "item_name": item_name, "checkpoint_text": cp_text,
                    "description": f.get("description") or "", "legal_basis": f.get("legal_basis") or "",
                    "rectification_order": f.get("rectification") or "",
                    "rectification_deadline": f.get("rectify_by"),
                    "photo_nos": [p["no"] for p in photos if p["finding_id"] in ids]})
    return {"list": out, "by_id": by_id}


def _ancestors(finding: dict, findings: list[dict]) -> set:
    """The ids a finding amends, directly or through earlier amendments (their photos still count)."""
    by_id = {f.get("id"): f for f in findings}
    seen, current = set(), finding.get("supersedes")
    while current and current not in seen:
        seen.add(current)
        current = (by_id.get(current) or {}).get("supersedes")
    return seen


def _party(parties: list[dict]) -> dict | None:
    """The party on site: the last record (records are append-only)."""
    if not parties:
        return None
    p = parties[-1]
    refused = bool(p.get("refused_to_sign"))
    if p.get("absent"):  # 无人在场: the note says what was found (a witness or a photo attests it)
        return {"name": "无人在场", "title": "", "relation": "", "id_no": "", "phone": "",
                "refusal_note": p.get("note") or "检查时现场无人"}
    return {"name": p.get("name") or "", "title": p.get("position") or "", "relation": "",
            "id_no": p.get("id_number") or "", "phone": p.get("phone") or "",
            "refusal_note": ((p.get("note") or "现场人员拒绝签名") if refused else "")}


def _signature(s: dict) -> dict:
    role = s.get("signer_role") or "party"
    return {"role": role, "role_label": ROLE_LABELS.get(role, role), "name": s.get("signer_name") or "",
            "sha256": s.get("sha256") or "", "signed_at": s.get("signed_at")}


def receipt_part(receipt: dict) -> dict:
    """The receipt reference printed on the 笔录: key id and signature prefix, time, completeness."""
    return {"ref": f"{receipt.get('key_id', '')}-{str(receipt.get('signature', ''))[:16]}",
            "complete": bool(receipt.get("complete")), "server_time": iso(receipt.get("server_time"))
            if not isinstance(receipt.get("server_time"), str) else receipt.get("server_time"),
            "missing_count": len(receipt.get("missing") or [])}

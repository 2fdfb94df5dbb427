"""A read-only view of an inspection's field record for review, publication and referrals.

The record has the shape of the sync bundle's `record` (sync/PROTOCOL.md §2.1): answers, registers,
findings, photos, signatures, party, result, late_evidence, built by the sync area's readers
(services.fieldwork.records and services.fieldwork.bundles). An inspection with nothing recorded has empty lists, so
review, publication and referrals still work from the inspection's own result fields.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.services.fieldwork import bundles, records
from server.vocab import NEGATIVE_RESULTS, CheckpointAnswer, ResultCategory

NEGATIVE_CODES = {m.value for m in NEGATIVE_RESULTS}


def load(session: Session, inspection: Inspection) -> dict:
    """The inspection's field record (empty lists when nothing was recorded)."""
    rec = records.load(session, [inspection.id])[inspection.id]
    names = {m.inspector_id: m.inspector.name for m in inspection.members}
    record = bundles.record_state(inspection, rec, names)
    record["late"] = [{"id": e.id, "name": e.name, "args": e.args, "sha256": e.sha256,
                       "status_at_arrival": e.status_at_arrival, "created_at": e.created_at,
                       "received_at": e.received_at} for e in rec.late]
    return record


def current_findings(record: dict) -> list[dict]:
    """Findings not superseded by an amendment (the versions a reviewer acts on)."""
    return [f for f in record.get("findings", []) if not f.get("superseded_by")]


def item_results(inspection: Inspection, record: dict) -> list[dict]:
    """Each checklist item's result codes: 未发现问题 unless one of its checkpoints is 不符合 (or has a
    finding), in which case the inspection's negative result categories (or 03 发现问题待后续处理).

    With no answers at all, every item carries the inspection's own result categories.
    """
    answers = {r["checkpoint_id"]: r["answer"] for r in record.get("registers", [])}
    flagged = {f.get("checkpoint_id") for f in current_findings(record)}
    chosen = [c for c in inspection.result_categories if ResultCategory.by_label(c)]
    negative = [c for c in chosen if c in NEGATIVE_CODES] or [ResultCategory.PENDING.value]
    out = []
    for item in inspection.checklist_snapshot or []:
        cp_ids = [cp["id"] for cp in item.get("checkpoints", [])]
        if not answers and not flagged:
            codes = chosen or [ResultCategory.NO_PROBLEM.value]
        elif any(answers.get(i) == CheckpointAnswer.NONCOMPLIANT.value or i in flagged for i in cp_ids):
            codes = negative
        else:
            codes = [c for c in chosen if c not in NEGATIVE_CODES] or [ResultCategory.NO_PROBLEM.value]
        out.append({"item_id": item.get("item_id"), "item_name": item.get("name", ""), "codes": codes,
                    "checkpoints": [{"id": cp["id"], "seq": cp.get("seq"), "text": cp.get("text", ""),
                                     "answer": answers.get(cp["id"], "")} for cp in item.get("checkpoints", [])]})
    return out


def is_negative(inspection: Inspection) -> bool:
    """Whether the inspection's result has a negative category (a violation to dispose of)."""
    return any(c in NEGATIVE_CODES for c in inspection.result_categories or [])

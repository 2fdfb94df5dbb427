"""The inspection bundle a phone receives (sync/PROTOCOL.md §2.1): plain JSON-ready dicts."""
from __future__ import annotations

from server.models.inspections import Inspection
from server.vocab import TargetCategory
from server.services.fieldwork.records import Records
from sync.merge import is_locked
from sync.messages import STATUS_LABELS


def _iso(value):
    return value.isoformat() if value is not None else None


def bundle(insp: Inspection, rec: Records, user) -> dict:
    """The whole current state of one inspection as the inspector `user` sees it."""
    names = {m.inspector_id: m.inspector.name for m in insp.members}
    task = insp.task
    return {
        "id": insp.id, "version": insp.version, "status": insp.status,
        "status_label": STATUS_LABELS.get(insp.status, insp.status), "locked": is_locked(insp.status),
        "mode": insp.mode, "due_date": _iso(insp.due_date), "reviewer_note": insp.reviewer_note or "",
        "has_conflicts": bool(insp.has_conflicts), "changed_at": _iso(insp.changed_at),
        "task": {"id": task.id, "code": task.code, "name": task.name, "task_type": task.task_type,
                 "period_start": _iso(task.period_start), "period_end": _iso(task.period_end)},
        "target": target_card(insp.target_snapshot or {}),
        "checklist": list(insp.checklist_snapshot or []),
        "members": [{"inspector_id": m.inspector_id, "name": m.inspector.name, "cert_no": m.inspector.cert_no,
                     "department": m.inspector.department.name if m.inspector.department else "",
                     "is_me": m.inspector_id == getattr(user, "inspector_id", None)}
                    for m in insp.active_members],
        "record": record_state(insp, rec, names),
    }


def target_card(snapshot: dict) -> dict:
    """The target as drawn, with the label of its own line of business: a freight company licensed for
    dangerous goods (危货) is 道路危险货物运输, not 道路普通货物运输."""
    card = dict(snapshot)
    card["category_label"] = category_label(card)
    return card


def category_label(target: dict) -> str:
    """The 行业类别 a target card shows."""
    category = target.get("category") or ""
    licences = " ".join(str(lic.get("kind", "")) for lic in target.get("licences") or [] if isinstance(lic, dict))
    if category == "freight" and ("危货" in (target.get("tags") or []) or "危险货物" in licences):
        return "道路危险货物运输"
    member = TargetCategory.by_label(category)
    return member.label if member else category


def _by(row, names: dict, user_names: dict) -> str:
    if row.author_inspector_id in names:
        return names[row.author_inspector_id]
    return user_names.get(row.user_id, "")


def record_state(insp: Inspection, rec: Records, names: dict) -> dict:
    """The group's recorded work: answers with registers, findings, photos, signatures, party, result."""
    amended = rec.superseded_by()
    withdrawn = rec.withdrawn()
    current_sigs = {s.id for s in rec.current_signatures()}
    return {
        "started_at": _iso(insp.started_at),
        "answers": [{"id": a.id, "checkpoint_id": a.checkpoint_id, "answer": a.answer, "note": a.note,
                     "base": list(a.base or []), "by": _by(a, names, rec.user_names), "created_at": _iso(a.created_at)}
                    for a in rec.answers],
        "registers": [{"checkpoint_id": cp, "answer": r.winner.answer, "note": r.winner.note,
                       "winner": r.winner.id, "heads": list(r.heads), "conflict": r.conflict}
                      for cp, r in rec.registers().items()],
        "findings": [{"id": f.id, "checkpoint_id": f.checkpoint_id, "description": f.description,
                      "legal_basis": f.legal_basis, "rectification": f.rectification,
                      "rectify_by": _iso(f.rectify_by), "supersedes": f.supersedes_id,
                      "superseded_by": amended.get(f.id, []), "reason": f.reason, "by": _by(f, names, rec.user_names),
                      "created_at": _iso(f.created_at)} for f in rec.findings],
        "photos": [{"id": p.id, "sha256": p.sha256, "finding_id": p.finding_id, "checkpoint_id": p.checkpoint_id,
                    "caption": p.caption, "taken_at": _iso(p.taken_at), "latitude": p.latitude,
                    "longitude": p.longitude, "accuracy_m": p.accuracy_m, "width": p.width, "height": p.height,
                    "held": p.sha256 in rec.held, "by": _by(p, names, rec.user_names),
                    "withdrawn": p.id in withdrawn} for p in rec.photos],
        "signatures": [{"id": s.id, "sha256": s.sha256, "signer_role": s.signer_role, "signer_name": s.signer_name,
                        "inspector_id": s.signer_inspector_id, "signed_at": _iso(s.signed_at),
                        "held": s.sha256 in rec.held, "digest": s.digest, "current": s.id in current_sigs}
                       for s in rec.signatures],
        "party": [{"id": p.id, "name": p.name, "position": p.position, "id_number": p.id_number, "phone": p.phone,
                   "refused_to_sign": p.refused_to_sign, "absent": bool(p.absent), "note": p.note, "created_at": _iso(p.created_at)}
                  for p in rec.party],
        "result": {"result_categories": list(insp.result_categories or []), "methods": list(insp.methods or []),
                   "follow_ups": list(insp.follow_ups or []), "summary": insp.summary or "",
                   "submitted_at": _iso(insp.submitted_at)},
        "late_evidence": len(rec.late),
    }

"""Signed receipts: what the server holds for an inspection (sync/PROTOCOL.md §6)."""
from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy.orm import Session

from server.models.sync import Receipt
from server.models.types import utcnow
from server.services.fieldwork import mutations, records

KEY_LABEL = b"spotcheck receipt v1"


def receipt_key(secret_key: str) -> bytes:
    """K = HMAC-SHA256(key=SECRET_KEY, msg="spotcheck receipt v1"): a key used for nothing else."""
    return hmac.new(secret_key.encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()


def canonical(body: dict) -> bytes:
    """Sorted keys, no spaces, no ASCII escaping, UTF-8: the bytes that are signed."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(secret_key: str) -> str:
    """The first 8 hex digits of SHA-256(K), naming the key without revealing it."""
    return hashlib.sha256(receipt_key(secret_key)).hexdigest()[:8]


def sign(body: dict, secret_key: str) -> str:
    """The receipt's signature over everything but the `signature` field."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return hmac.new(receipt_key(secret_key), canonical(unsigned), hashlib.sha256).hexdigest()


def verify(receipt: dict, secret_key: str) -> bool:
    """Whether a receipt is exactly as this server issued it."""
    return isinstance(receipt.get("signature"), str) and hmac.compare_digest(sign(receipt, secret_key),
                                                                            receipt["signature"])


def _media(kind: str, rid, sha256: str, held: dict) -> dict:
    f = held.get(sha256)
    return {"kind": kind, "id": rid, "sha256": sha256, "held": f is not None, "bytes": f.byte_size if f else None}


def build(session: Session, actor, inspection_id: int, secret_key: str) -> dict:
    """Issue (and keep a copy of) the signed receipt of one inspection for a group member or staff."""
    insp = mutations.get_visible(session, actor, inspection_id)
    rec = records.load(session, [insp.id])[insp.id]
    withdrawn = rec.withdrawn()
    evidence = ([{"kind": "answer", "id": a.id} for a in rec.answers]
                + [{"kind": "finding", "id": f.id} for f in rec.findings]
                + [_media("photo", p.id, p.sha256, rec.held) | ({"withdrawn": True} if p.id in withdrawn else {})
                   for p in rec.photos]
                + [{"kind": "withdrawal", "id": w.id, "photo_id": w.photo_id} for w in rec.withdrawals]
                + [_media("signature", s.id, s.sha256, rec.held) for s in rec.signatures]
                + [{"kind": "party", "id": p.id} for p in rec.party])
    for late in rec.late:
        entry = {"kind": "late", "id": late.id, "name": late.name, "record_id": (late.args or {}).get("id")}
        if late.sha256:
            entry.update({k: v for k, v in _media("late", late.id, late.sha256, rec.held).items()
                          if k in ("sha256", "held", "bytes")})
        evidence.append(entry)
    missing = [{"kind": e["kind"], "id": e["id"], "sha256": e["sha256"]} for e in evidence
               if "sha256" in e and not e["held"] and not e.get("withdrawn")]
    body = {
        "receipt_version": 1, "inspection_id": insp.id, "inspection_version": insp.version, "status": insp.status,
        "server_time": utcnow().isoformat(), "complete": not missing,
        "submitted": insp.status in ("pending_evidence", "submitted", "approved"),
        "evidence": evidence, "missing": missing,
        # What the inspection holds now, as the inspector counts it: checkpoints answered, current findings,
        # photos not withdrawn, one signature per signer, the party on site (every record is in `evidence`).
        "counts": {"answers": len(rec.registers()), "findings": len(rec.current_findings()),
                   "photos": len(rec.current_photos()), "signatures": len(rec.current_signatures()),
                   "party": min(1, len(rec.party)), "late": len(rec.late)},
        "key_id": key_id(secret_key),
    }
    body["signature"] = sign(body, secret_key)
    session.add(Receipt(inspection_id=insp.id, user_id=getattr(actor, "id", None), complete=not missing,
                        body=body, signature=body["signature"]))
    return body

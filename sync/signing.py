"""What a signature covers (PROTOCOL.md §3.3): the digest of the inspection's content, and which signatures count.

A signature on the phone is given over the inspection as it stands: the conclusion (result categories,
methods, follow-ups, summary), the current answer of every checkpoint and the current findings. Its
`digest` is SHA-256 over the canonical JSON of that content; the server recomputes it from its own state
when the inspection is submitted (sync/submit_rules.py). The PWA has a twin of this module
(pwa/js/signing.js); the vectors in sync/examples/signing/ are replayed by both test suites.

Pure: no server, no database.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Iterable, Mapping

DIGEST_VERSION = 1
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def canonical_json(value) -> bytes:
    """Sorted keys, separators `,` and `:`, no ASCII escaping, UTF-8 (as the receipts are signed)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _date(value) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def content(*, inspection_id: int, result_categories: Iterable[str], methods: Iterable[str],
            follow_ups: Iterable[str], summary: str, answers: Iterable[Mapping], findings: Iterable[Mapping]) -> dict:
    """The signed content as a plain dict: `answers` are the current register answers
    ({checkpoint_id, answer, note}), `findings` the current (not superseded) findings."""
    return {
        "v": DIGEST_VERSION,
        "inspection_id": int(inspection_id),
        "conclusion": {"result_categories": sorted(set(result_categories)), "methods": sorted(set(methods)),
                       "follow_ups": sorted(set(follow_ups)), "summary": summary or ""},
        "answers": sorted(({"checkpoint_id": int(a["checkpoint_id"]), "answer": a["answer"], "note": a.get("note") or ""}
                           for a in answers), key=lambda a: a["checkpoint_id"]),
        "findings": sorted(({"id": str(f["id"]), "checkpoint_id": f.get("checkpoint_id"),
                             "description": f.get("description") or "", "legal_basis": f.get("legal_basis") or "",
                             "rectification": f.get("rectification") or "", "rectify_by": _date(f.get("rectify_by"))}
                            for f in findings), key=lambda f: f["id"]),
    }


def digest(signed: dict) -> str:
    """Lowercase hex SHA-256 of the canonical JSON of `content(...)`."""
    return hashlib.sha256(canonical_json(signed)).hexdigest()


def signer_key(signer_role: str, inspector_id, signer_name: str) -> tuple:
    """Whose signature it is: one inspector of the group, the party on site, or a witness by name."""
    if signer_role == "inspector":
        return ("inspector", inspector_id)
    if signer_role == "party":
        return ("party",)
    return (signer_role, (signer_name or "").strip())


def _millis(value) -> int:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    # Whole milliseconds, as a phone's clock (and JavaScript's Date) gives them: both sides order alike.
    return (value - EPOCH) // dt.timedelta(milliseconds=1)


def current_ids(signatures: Iterable[Mapping]) -> set[str]:
    """The ids of the signatures that count: the latest (signed_at, id) per signer; re-signing replaces
    an earlier signature of the same person, which stays on record as superseded."""
    best: dict[tuple, tuple] = {}
    for s in signatures:
        key = signer_key(s["signer_role"], s.get("inspector_id"), s.get("signer_name", ""))
        order = (_millis(s.get("signed_at")), str(s["id"]))
        if key not in best or order > best[key]:
            best[key] = order
    return {order[1] for order in best.values()}

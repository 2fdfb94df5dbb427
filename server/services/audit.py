"""Append to and verify the hash-chained audit log (DESIGN §3 rule 12)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from server.models.audit import AuditEntry, AuditHead
from server.models.types import utcnow

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, seq: int, at: dt.datetime, actor_id, actor_name: str, action: str,
                object_type: str, object_id: str, detail, reason: str) -> str:
    body = json.dumps(
        [seq, at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"), actor_id, actor_name,
         action, object_type, object_id, detail, reason],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def record(session: Session, actor, action: str, obj=None, *, object_type: str = "", object_id="",
           detail: dict | None = None, reason: str = "") -> AuditEntry:
    """Append one entry: who (actor, a User or None for the system), what, on which object, why."""
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = object_id or getattr(obj, "id", "")
    # Bumping the head row first takes its write lock (PostgreSQL row lock, SQLite's database write
    # lock), which serializes concurrent appends so two transactions never chain onto the same tip;
    # RETURNING reads the locked tip in the same round trip. Core statements, not the ORM head object.
    heads = AuditHead.__table__
    tip = session.execute(update(heads).where(heads.c.id == 1).values(seq=heads.c.seq + 1)
                          .returning(heads.c.seq, heads.c.last_hash)).first()
    if tip is None:
        session.execute(insert(heads).values(id=1, seq=1, last_hash=GENESIS))
        tip = (1, GENESIS)
    seq, prev_hash = tip
    at = utcnow()
    detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    actor_id = getattr(actor, "id", None)
    actor_name = getattr(actor, "username", "") or "system"
    entry = AuditEntry(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
                       object_type=object_type, object_id=str(object_id), detail=detail, reason=reason or "",
                       prev_hash=prev_hash)
    entry.hash = _entry_hash(prev_hash, seq, at, actor_id, actor_name, action, object_type,
                             str(object_id), detail, reason or "")
    session.execute(update(heads).where(heads.c.id == 1).values(last_hash=entry.hash))
    loaded = session.identity_map.get(session.identity_key(AuditHead, 1))
    if loaded is not None:  # a head object read earlier (verify) must not show the old tip
        session.expire(loaded)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class AuditProblem:
    seq: int
    message: str


def verify(session: Session) -> list[AuditProblem]:
    """Walk the chain; report each edited, deleted or reordered entry (empty list: intact)."""
    problems: list[AuditProblem] = []
    prev_hash, expected_seq = GENESIS, 1
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        if e.seq != expected_seq:
            missing = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}–{e.seq - 1}"
            problems.append(AuditProblem(expected_seq, f"第 {missing} 条日志已被删除"))
        elif e.prev_hash != prev_hash:
            problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志的前序哈希不符，之前的日志已被改动或删除"))
        recomputed = _entry_hash(e.prev_hash, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type,
                                 e.object_id, e.detail, e.reason)
        if recomputed != e.hash:
            problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志（{e.action}）的内容已被改动"))
        prev_hash, expected_seq = e.hash, e.seq + 1
    head = session.get(AuditHead, 1)
    if head is not None and head.seq >= expected_seq:
        problems.append(AuditProblem(expected_seq, f"第 {expected_seq}–{head.seq} 条日志（末尾）已被删除"))
    elif head is not None and head.last_hash != prev_hash and expected_seq > 1:
        problems.append(AuditProblem(expected_seq - 1, f"第 {expected_seq - 1} 条日志与链头记录不符"))
    return problems

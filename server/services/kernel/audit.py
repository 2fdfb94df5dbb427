"""Append to and verify the hash-chained audit log (DESIGN §3 rule 12)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
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


BATCH = "audit_batch"
# Built once: an UPDATE statement costs about as much to build as to run.
_BUMP_HEAD = (update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
              .values(seq=AuditHead.__table__.c.seq + bindparam("n"))
              .returning(AuditHead.__table__.c.seq, AuditHead.__table__.c.last_hash))
_SET_HEAD = update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1).values(last_hash=bindparam("tip"))


def begin_batch(session: Session) -> None:
    """From now on record() queues entries; write_batch() chains and writes them all in three statements
    (a push touching several inspections would otherwise take three round trips per entry)."""
    session.info[BATCH] = []


def write_batch(session: Session) -> None:
    """Write the queued entries (if any) and stop batching."""
    rows = session.info.pop(BATCH, None)
    if rows:
        session.execute(insert(AuditEntry.__table__), _chain(session, rows))


def discard_batch(session: Session) -> None:
    """Stop batching without writing (the transaction is being rolled back)."""
    session.info.pop(BATCH, None)


def record(session: Session, actor, action: str, obj=None, *, object_type: str = "", object_id="",
           detail: dict | None = None, reason: str = "") -> AuditEntry | None:
    """Append one entry: who (actor, a User or None for the system), what, on which object, why.
    Returns the flushed entry, or None while a batch is open (it is written by write_batch)."""
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = object_id or getattr(obj, "id", "")
    row = {"at": utcnow(), "actor_id": getattr(actor, "id", None),
           "actor_name": getattr(actor, "username", "") or "system", "action": action,
           "object_type": object_type, "object_id": str(object_id),
           "detail": json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str)), "reason": reason or ""}
    batch = session.info.get(BATCH)
    if batch is not None:
        batch.append(row)
        return None
    entry = AuditEntry(**_chain(session, [row])[0])
    session.add(entry)
    session.flush()
    return entry


def _chain(session: Session, rows: list[dict]) -> list[dict]:
    """Give the rows the next sequence numbers and hashes, and move the head past them."""
    # Bumping the head row first takes its write lock (PostgreSQL row lock, SQLite's database write
    # lock), which serializes concurrent appends so two transactions never chain onto the same tip;
    # RETURNING reads the locked tip in the same round trip. Core statements, not the ORM head object.
    heads = AuditHead.__table__
    tip = session.execute(_BUMP_HEAD, {"n": len(rows)}).first()
    if tip is None:
        session.execute(insert(heads).values(id=1, seq=len(rows), last_hash=GENESIS))
        tip = (len(rows), GENESIS)
    seq, prev_hash = tip[0] - len(rows) + 1, tip[1]
    for row in rows:
        row.update(seq=seq, prev_hash=prev_hash)
        row["hash"] = prev_hash = _entry_hash(prev_hash, seq, row["at"], row["actor_id"], row["actor_name"],
                                              row["action"], row["object_type"], row["object_id"], row["detail"],
                                              row["reason"])
        seq += 1
    session.execute(_SET_HEAD, {"tip": prev_hash})
    loaded = session.identity_map.get(session.identity_key(AuditHead, 1))
    if loaded is not None:  # a head object read earlier (verify) must not show the old tip
        session.expire(loaded)
    return rows


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

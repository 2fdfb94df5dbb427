"""Append to and verify the audit log's keyed hash chain (DESIGN §3 rule 12).

Chain 2, every entry written since the hardening upgrade: `hash = HMAC-SHA256(key, prev_hash + body)`, with
the key kept outside the database (SPOTCHECK_AUDIT_KEY or SPOTCHECK_AUDIT_KEY_FILE), so whoever can write
the database can neither edit an entry nor recompute the chain after it. Chain 1 is the unkeyed SHA-256
chain of the entries written before the upgrade: they are left as they were and still verify. The first
keyed append after them writes an `audit.rekey` entry that records the old tip, and every entry after it is
keyed, so an unkeyed entry is only ever part of the prefix sealed by that entry; an unkeyed entry after a
keyed one, or an unkeyed tip, is reported as a downgrade.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from server.models.audit import AuditEntry, AuditHead
from server.models.types import utcnow

GENESIS = "0" * 64
KEYED = 2  # the chain version of HMAC entries; 1 is the legacy SHA-256 chain
REKEY_ACTION = "audit.rekey"


@dataclass(frozen=True)
class ChainKey:
    """The HMAC key of the chain; `key_id` names it without revealing it."""

    secret: bytes

    @functools.cached_property
    def key_id(self) -> str:
        return hmac.new(self.secret, b"spotcheck-audit-key-id", hashlib.sha256).hexdigest()[:16]


_key_source: Callable[[], ChainKey | None] = lambda: None  # noqa: E731  (create_app installs the app's)


def use_key_source(source: Callable[[], ChainKey | None]) -> None:
    """Where record() finds the key (create_app passes the current app's)."""
    global _key_source
    _key_source = source


def chain_key() -> ChainKey:
    key = _key_source()
    if key is None:
        raise RuntimeError("操作日志的 HMAC 密钥未配置：请设置 SPOTCHECK_AUDIT_KEY 或 SPOTCHECK_AUDIT_KEY_FILE")
    return key


def _body(seq: int, at: dt.datetime, actor_id, actor_name: str, action: str, object_type: str, object_id: str,
          detail, reason: str, head: list | None = None) -> str:
    return json.dumps(
        [*(head or []), seq, at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"), actor_id, actor_name,
         action, object_type, object_id, detail, reason],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _entry_hash(prev_hash: str, seq: int, at: dt.datetime, actor_id, actor_name: str, action: str,
                object_type: str, object_id: str, detail, reason: str) -> str:
    """The legacy (chain 1) hash: SHA-256, which anyone can recompute."""
    body = _body(seq, at, actor_id, actor_name, action, object_type, object_id, detail, reason)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def keyed_hash(key: ChainKey, prev_hash: str, seq: int, at: dt.datetime, actor_id, actor_name: str, action: str,
               object_type: str, object_id: str, detail, reason: str) -> str:
    """The chain 2 hash: HMAC-SHA256 under the key, over the chain version and key id as well."""
    body = _body(seq, at, actor_id, actor_name, action, object_type, object_id, detail, reason,
                 head=[KEYED, key.key_id])
    return hmac.new(key.secret, (prev_hash + body).encode("utf-8"), hashlib.sha256).hexdigest()


BATCH = "audit_batch"
_HEADS = AuditHead.__table__
# Built once: an UPDATE statement costs about as much to build as to run.
_BUMP_HEAD = (update(_HEADS).where(_HEADS.c.id == 1).values(seq=_HEADS.c.seq + bindparam("n"))
              .returning(_HEADS.c.seq, _HEADS.c.last_hash, _HEADS.c.chain))
_SET_HEAD = update(_HEADS).where(_HEADS.c.id == 1).values(last_hash=bindparam("tip"), chain=KEYED)


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
    rows = _chain(session, [row])
    if len(rows) > 1:  # the rekey entry that seals the legacy chain comes first
        session.execute(insert(AuditEntry.__table__), rows[:-1])
    entry = AuditEntry(**rows[-1])
    session.add(entry)
    session.flush()
    return entry


def seal(session: Session) -> None:
    """Make sure the chain's tip is keyed: writes the rekey entry if the tip is still a legacy entry."""
    tip = session.execute(select(_HEADS.c.seq, _HEADS.c.chain).where(_HEADS.c.id == 1)).first()
    if tip is not None and tip.seq > 0 and tip.chain != KEYED:
        session.execute(insert(AuditEntry.__table__), _chain(session, []))


def _rekey_row(key: ChainKey, legacy_entries: int, legacy_tip: str) -> dict:
    return {"at": utcnow(), "actor_id": None, "actor_name": "system", "action": REKEY_ACTION, "object_type": "",
            "object_id": "", "detail": {"legacy_entries": legacy_entries, "legacy_tip": legacy_tip,
                                        "key_id": key.key_id},
            "reason": "启用密钥哈希链（HMAC-SHA256）：此前的条目仍按原 SHA-256 哈希链校验"}


def _chain(session: Session, rows: list[dict]) -> list[dict]:
    """Give the rows the next sequence numbers and keyed hashes, and move the head past them; the first
    keyed append onto a legacy chain puts the rekey entry in front of them."""
    # Bumping the head row first takes its write lock (PostgreSQL row lock, SQLite's database write
    # lock), which serializes concurrent appends so two transactions never chain onto the same tip;
    # RETURNING reads the locked tip in the same round trip. Core statements, not the ORM head object.
    key = chain_key()
    tip = session.execute(_BUMP_HEAD, {"n": len(rows)}).first()
    if tip is None:
        session.execute(insert(_HEADS).values(id=1, seq=len(rows), last_hash=GENESIS, chain=KEYED))
        tip = (len(rows), GENESIS, KEYED)
    seq, prev_hash = tip[0] - len(rows) + 1, tip[1]
    if tip[2] != KEYED and seq > 1:
        session.execute(_BUMP_HEAD, {"n": 1})
        rows = [_rekey_row(key, seq - 1, prev_hash), *rows]
    for row in rows:
        row.update(seq=seq, prev_hash=prev_hash, chain=KEYED, key_id=key.key_id)
        row["hash"] = prev_hash = keyed_hash(key, prev_hash, seq, row["at"], row["actor_id"], row["actor_name"],
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
    head: int | None = None  # the published head's number, for a problem with a head


_COLUMNS = (AuditEntry.seq, AuditEntry.at, AuditEntry.actor_id, AuditEntry.actor_name, AuditEntry.action,
            AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail, AuditEntry.reason, AuditEntry.chain,
            AuditEntry.key_id, AuditEntry.prev_hash, AuditEntry.hash)


class _Walk:
    """The state of one pass over the chain, entry by entry."""

    def __init__(self, key: ChainKey):
        self.key, self.problems = key, []
        self.prev_hash, self.expected, self.keyed_from = GENESIS, 1, None
        self.foreign_keys = 0

    def step(self, e) -> None:
        if e.seq != self.expected:
            missing = f"{self.expected}" if e.seq == self.expected + 1 else f"{self.expected}–{e.seq - 1}"
            self.problems.append(AuditProblem(self.expected, f"第 {missing} 条日志已被删除"))
        elif e.prev_hash != self.prev_hash:
            self.problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志的前序哈希不符，之前的日志已被改动或删除"))
        recomputed = self._recompute(e)
        if recomputed is not None and recomputed != e.hash:
            self.problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志（{e.action}）的内容已被改动"))
        self.prev_hash, self.expected = e.hash, e.seq + 1

    def _recompute(self, e) -> str | None:
        fields = (e.prev_hash, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type, e.object_id, e.detail,
                  e.reason)
        if e.chain == KEYED:
            if self.keyed_from is None:
                self.keyed_from = e.seq
                if e.seq > 1 and e.action != REKEY_ACTION:
                    self.problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志之前的无密钥日志缺少接续标记（{REKEY_ACTION}）"))
            if e.key_id != self.key.key_id:
                self.foreign_keys += 1
                if self.foreign_keys == 1:
                    self.problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志使用的密钥（标识 {e.key_id or '无'}）"
                                                             f"与当前配置的密钥（标识 {self.key.key_id}）不符"))
                return None
            return keyed_hash(self.key, *fields)
        if e.chain == 1:
            if self.keyed_from is not None:
                self.problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志被降级为无密钥哈希（链版本 1），已被改写"))
            return _entry_hash(*fields)
        self.problems.append(AuditProblem(e.seq, f"第 {e.seq} 条日志的链版本（{e.chain}）无法识别"))
        return None


def verify(session: Session, key: ChainKey | None = None) -> list[AuditProblem]:
    """Walk the chain; report each edited, deleted, reordered or downgraded entry (empty list: intact)."""
    walk = _Walk(key or chain_key())
    for e in session.execute(select(*_COLUMNS).order_by(AuditEntry.seq)).yield_per(2000):
        walk.step(e)
    problems, expected = walk.problems, walk.expected
    if walk.foreign_keys > 1:
        problems.append(AuditProblem(expected - 1, f"共 {walk.foreign_keys} 条日志的密钥与当前配置的密钥不符"))
    head = session.execute(select(_HEADS.c.seq, _HEADS.c.last_hash).where(_HEADS.c.id == 1)).first()
    if head is not None and head.seq >= expected:
        problems.append(AuditProblem(expected, f"第 {expected}–{head.seq} 条日志（末尾）已被删除"))
    elif head is not None and head.last_hash != walk.prev_hash and expected > 1:
        problems.append(AuditProblem(expected - 1, f"第 {expected - 1} 条日志与链头记录不符"))
    if expected > 1 and walk.keyed_from is None:
        problems.append(AuditProblem(expected - 1, f"第 1–{expected - 1} 条日志全部是无密钥哈希，尚未由密钥链接续"
                                                   "（升级后请运行 spotcheck audit-publish-head）；也可能已被整体改写"))
    return sorted(problems, key=lambda p: (p.seq, p.head or 0))


def stored_hashes(session: Session, seqs) -> dict[int, str]:
    """The stored hash of each of these entries (those that exist)."""
    seqs, out = sorted(set(seqs)), {}
    for i in range(0, len(seqs), 500):
        out.update(session.execute(select(AuditEntry.seq, AuditEntry.hash)
                                   .where(AuditEntry.seq.in_(seqs[i:i + 500]))).all())
    return out

"""Signed heads of the audit chain, published as a numbered list: a transparency log in the manner of
Certificate Transparency's signed tree heads.

Each head states the chain's tip at a moment (sequence number and hash), is linked to the head before it
(`prev`, the SHA-256 of that head's signed message) and is signed with an Ed25519 key kept outside the
database. The list is public (/public/audit-heads), so anyone can keep a copy: an entry rewritten after a
head was published disagrees with that head, even when the whole chain was recomputed, and a head removed
from the database is still in the copies. The signed message of head n is the UTF-8 text

    spotcheck-audit-head-v1\\nnumber: n\\nseq: s\\nhash: h\\nsigned_at: 2024-05-01T00:00:00.000000+00:00\\nprev: p\\n
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.models.audit import AuditHead, PublishedHead
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.audit import AuditProblem

HEADS = AuditHead.__table__
# Takes the head row's write lock and reads the tip: a head then signs a tip no append can move under it.
_LOCK_TIP = (update(HEADS).where(HEADS.c.id == 1).values(seq=HEADS.c.seq)
             .returning(HEADS.c.seq, HEADS.c.last_hash))


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """The signing key from a PEM file's bytes (PKCS#8, unencrypted)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("链头签名密钥必须是 Ed25519 私钥（PEM）")
    return key


def new_private_pem() -> bytes:
    """A fresh Ed25519 private key as PEM (development; `openssl genpkey -algorithm ed25519` for production)."""
    return Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_pem(text: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("不是 Ed25519 公钥")
    return key


def public_key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def message(number: int, seq: int, hash_: str, signed_at: dt.datetime | str, prev: str) -> bytes:
    """The exact bytes a head's signature covers."""
    at = signed_at if isinstance(signed_at, str) else _iso(signed_at)
    return (f"spotcheck-audit-head-v1\nnumber: {number}\nseq: {seq}\nhash: {hash_}\nsigned_at: {at}\n"
            f"prev: {prev}\n").encode("utf-8")


def digest(head) -> str:
    """The SHA-256 of a head's message: what the next head's `prev` holds."""
    return hashlib.sha256(message(head.number, head.seq, head.hash, head.signed_at, head.prev)).hexdigest()


def as_dict(head: PublishedHead) -> dict:
    """A head as published (JSON)."""
    return {"number": head.number, "seq": head.seq, "hash": head.hash, "signed_at": _iso(head.signed_at),
            "prev": head.prev, "public_key_id": head.public_key_id, "signature": head.signature}


def publish_head(session: Session, key: Ed25519PrivateKey, actor=None, *, by: str = "") -> PublishedHead:
    """Sign the chain's current tip as the next numbered head (the caller commits); `actor` is the admin
    who asked, or None for the daily command."""
    audit.seal(session)
    tip = session.execute(_LOCK_TIP).first() or (0, audit.GENESIS)
    last = session.scalar(select(PublishedHead).order_by(PublishedHead.number.desc()).limit(1))
    number = (last.number if last else 0) + 1
    prev = digest(last) if last else audit.GENESIS
    signed_at = utcnow()
    signature = key.sign(message(number, tip[0], tip[1], signed_at, prev))
    head = PublishedHead(number=number, seq=tip[0], hash=tip[1], signed_at=signed_at, prev=prev,
                         public_key_id=public_key_id(key.public_key()),
                         signature=base64.b64encode(signature).decode(), published_by=(by or "")[:64])
    session.add(head)
    session.flush()
    audit.record(session, actor, "audit.publish_head", object_type="audit_published_heads", object_id=number,
                 detail={"number": number, "seq": tip[0], "hash": tip[1], "by": head.published_by})
    return head


def heads(session: Session, *, page: int = 1, per_page: int = 50) -> tuple[list[PublishedHead], int]:
    """Published heads, newest first, and how many there are."""
    total = session.scalar(select(func.count()).select_from(PublishedHead)) or 0
    rows = session.scalars(select(PublishedHead).order_by(PublishedHead.number.desc())
                           .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def latest(session: Session) -> PublishedHead | None:
    return session.scalar(select(PublishedHead).order_by(PublishedHead.number.desc()).limit(1))


@dataclass
class Check:
    """The result of a full verification: the chain, the key and the published heads."""

    entries: int
    heads: int
    problems: list[AuditProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total(self) -> int:
        return self.entries

    @property
    def bad_seqs(self) -> set[int]:
        return {p.seq for p in self.problems if p.head is None}


def verify_all(session: Session, key: audit.ChainKey, public_key: Ed25519PublicKey,
               copies: list[dict] | None = None) -> Check:
    """Verify the chain under the key, then every published head (and any saved copies of heads) against
    the public key and the chain; each problem names the first entry or head that disagrees."""
    problems = audit.verify(session, key)
    rows = list(session.scalars(select(PublishedHead).order_by(PublishedHead.number)))
    tip = session.execute(select(HEADS.c.seq).where(HEADS.c.id == 1)).scalar() or 0
    hashes = audit.stored_hashes(session, [h.seq for h in rows] + [int(c.get("seq", 0)) for c in copies or []])
    problems += _check_heads(rows, public_key, hashes, tip)
    problems += _check_copies(copies or [], {h.number: h for h in rows}, public_key, hashes)
    entries = session.scalar(select(func.count()).select_from(audit.AuditEntry)) or 0
    return Check(entries, len(rows), sorted(problems, key=lambda p: (p.seq, p.head or 0)))


def _signature_ok(public_key: Ed25519PublicKey, head) -> bool:
    try:
        public_key.verify(base64.b64decode(head.signature),
                          message(head.number, head.seq, head.hash, head.signed_at, head.prev))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _check_heads(rows: list[PublishedHead], public_key, hashes: dict[int, str], tip: int) -> list[AuditProblem]:
    problems, prev, last_seq, key_id = [], None, 0, public_key_id(public_key)

    def bad(head, text):
        problems.append(AuditProblem(head.seq, f"第 {head.number} 号链头{text}", head=head.number))

    for expected, head in enumerate(rows, start=1):
        if head.number != expected:
            bad(head, f"之前的第 {expected}–{head.number - 1} 号链头已被删除")
        if head.public_key_id != key_id:
            bad(head, f"由另一把签名密钥（标识 {head.public_key_id}）签署，当前公钥标识为 {key_id}")
        elif not _signature_ok(public_key, head):
            bad(head, "的签名无效：链头内容已被改动或伪造")
        if prev is not None and head.prev != digest(prev):
            bad(head, f"与第 {prev.number} 号链头不衔接（前序摘要不符）")
        if head.seq < last_seq:
            bad(head, f"记录的日志条数（{head.seq}）少于前一号链头（{last_seq}）")
        if head.seq > tip:
            bad(head, f"记录了第 {head.seq} 条日志，而数据库只有 {tip} 条：末尾的日志已被删除")
        elif head.seq and hashes.get(head.seq) != head.hash:
            bad(head, f"与数据库不符：第 {head.seq} 条日志的哈希已变，该条或之前的日志已被改写")
        prev, last_seq = head, max(last_seq, head.seq)
    return problems


def _check_copies(copies: list[dict], stored: dict[int, PublishedHead], public_key,
                  hashes: dict[int, str]) -> list[AuditProblem]:
    """Heads saved from the portal earlier: each must still be in the database, unchanged."""
    problems = []
    for c in copies:
        try:
            copy = SimpleNamespace(number=int(c["number"]), seq=int(c["seq"]), hash=str(c["hash"]),
                                   signed_at=str(c["signed_at"]), prev=str(c["prev"]), signature=str(c["signature"]))
        except (KeyError, TypeError, ValueError):
            problems.append(AuditProblem(0, f"保存的链头格式有误：{str(c)[:80]}"))
            continue
        if not _signature_ok(public_key, copy):
            problems.append(AuditProblem(copy.seq, f"保存的第 {copy.number} 号链头签名无效（不是本系统签署的）",
                                         head=copy.number))
            continue
        mine = stored.get(copy.number)
        if mine is None:
            text = "已从数据库中删除"
        elif (mine.seq, mine.hash, mine.prev, mine.signature) != (copy.seq, copy.hash, copy.prev, copy.signature):
            text = "与数据库中的同号链头不同：数据库中的链头已被替换"
        elif copy.seq and hashes.get(copy.seq) != copy.hash:
            text = f"与数据库不符：第 {copy.seq} 条日志的哈希已变"
        else:
            continue
        problems.append(AuditProblem(copy.seq, f"保存的第 {copy.number} 号链头{text}", head=copy.number))
    return problems

"""The append-only audit log: entries chained by HMAC (chain 2; chain 1 is the unkeyed SHA-256 chain of
entries written before the upgrade), and the numbered, Ed25519-signed heads published on the portal."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, utcnow


class AuditHead(db.Model):
    """One row holding the chain's tip; updating it first serializes appends on every database."""

    __tablename__ = "audit_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    chain: Mapped[int] = mapped_column(Integer, default=2)  # the tip's chain version


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    chain: Mapped[int] = mapped_column(Integer, default=2)  # 1: SHA-256 (before the upgrade); 2: HMAC-SHA256
    key_id: Mapped[str] = mapped_column(String(16), default="")  # which HMAC key (chain 2)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PublishedHead(db.Model):
    """One signed tree head of the transparency list: the chain's tip (seq, hash) at a moment, signed with
    the Ed25519 key, and linked to the head before it (`prev` is the SHA-256 of that head's message)."""

    __tablename__ = "audit_published_heads"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    prev: Mapped[str] = mapped_column(String(64))
    public_key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))  # base64 of the 64-byte Ed25519 signature
    published_by: Mapped[str] = mapped_column(String(64), default="")

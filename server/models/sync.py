"""Sync bookkeeping: each device's position, every mutation it pushed (with its arguments), issued receipts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.accounts import ApiToken, User
from server.models.types import JSONType, UTCDateTime, utcnow


class SyncClient(db.Model):
    """One app install of one user, with the id of the last mutation applied from it."""

    __tablename__ = "sync_clients"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    last_mutation_id: Mapped[int] = mapped_column(Integer, default=0)
    device_name: Mapped[str] = mapped_column(String(100), default="")
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_push_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    token: Mapped[ApiToken | None] = relationship()


class MutationLog(db.Model):
    """One pushed mutation and what became of it (applied / late / duplicate / rejected), arguments kept.

    A (client, mutation id) has one row, its first outcome, plus one row (rejected, code mutation_id_reused)
    per changed content later sent under the same id, kept for the reviewer."""

    __tablename__ = "sync_mutations"
    __table_args__ = (UniqueConstraint("client_id", "mutation_id", "digest", name="uq_sync_mutations_payload"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("sync_clients.client_id"))
    mutation_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict | None] = mapped_column(JSONType)
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # applied / late / duplicate / rejected
    code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    errors: Mapped[dict] = mapped_column(JSONType, default=dict)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id", ondelete="SET NULL"),
                                                      index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the device's clock
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Receipt(db.Model):
    """A copy of every signed receipt the server issued."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    complete: Mapped[bool] = mapped_column(default=False)
    body: Mapped[dict] = mapped_column(JSONType)
    signature: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

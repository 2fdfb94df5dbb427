"""Quality flags (走过场 / 纸上填报 signals) computed when an inspection is submitted, for the reviewer.

One row per signal per submitted version (services/fieldwork/quality.py); the reviewer acknowledges each
with a note before approving (services/fieldwork/quality_flags.py). A resubmission gets its own flags.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.accounts import User
from server.models.types import JSONType, UTCDateTime, utcnow


class QualityFlag(db.Model):
    __tablename__ = "quality_flags"
    __table_args__ = (Index("ix_quality_flags_open", "acknowledged_at", "inspection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    inspection_version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(32))  # quality.KINDS
    reason: Mapped[str] = mapped_column(Text)  # in Chinese, with the figures and the threshold
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_note: Mapped[str] = mapped_column(Text, default="")

    acknowledged_by: Mapped[User | None] = relationship()

"""Field records pushed by phones: checkpoint answers (registers), findings (+ amendments), photos,
signatures, the party on site, late evidence, and the media files the server holds.

Every record a phone creates is keyed by its client-generated UUID and is append-only; each keeps
who made it, on which device (client_id, mutation_id), the device's time and the server's time.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.accounts import User
from server.models.types import JSONType, UTCDateTime, UUIDStr, utcnow


class _Origin:
    """Columns shared by every pushed record: author, device and both clocks."""

    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_inspector_id: Mapped[int | None] = mapped_column(ForeignKey("inspectors.id"))
    client_id: Mapped[str | None] = mapped_column(String(36))
    mutation_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)  # the device's clock
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)  # the server's clock
    inspection_version: Mapped[int] = mapped_column(Integer, default=1)


class CheckpointAnswer(_Origin, db.Model):
    """One answer to a checkpoint; the checkpoint's register is computed from all of them (sync/merge.py)."""

    __tablename__ = "checkpoint_answers"
    __table_args__ = (
        # created_at and id too, so that "is there a later answer?" (统计分析's current answer) reads the index only
        Index("ix_checkpoint_answers_inspection_checkpoint", "inspection_id", "checkpoint_id", "created_at", "id"),
        # 统计分析: the few 不符合 answers, found without reading the millions of others
        Index("ix_checkpoint_answers_noncompliant", "inspection_id", "checkpoint_id", "created_at", "id", "answer",
              sqlite_where=text("answer = 'noncompliant'"), postgresql_where=text("answer = 'noncompliant'")),
    )

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(16))  # vocab.CheckpointAnswer
    note: Mapped[str] = mapped_column(Text, default="")
    base: Mapped[list] = mapped_column(JSONType, default=list)  # answer ids the device had seen

    user: Mapped[User | None] = relationship()


class Finding(_Origin, db.Model):
    """A problem found; an amendment is a new row that supersedes an older one (never an edit)."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_stats", "inspection_id", "checkpoint_id", "id"),)  # 统计分析: current findings

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    rectification: Mapped[str] = mapped_column(Text, default="")  # 责令改正内容
    rectify_by: Mapped[dt.date | None] = mapped_column(Date)
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("findings.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why an amendment was made

    user: Mapped[User | None] = relationship()


class InspectionFailure(db.Model):
    """A checkpoint the submitted version of an inspection found wanting (its current answer is 不符合, or a
    current finding names it): written at each submit (services/fieldwork/problem_facts.py), read by 统计分析
    (the most failed checkpoints, the items with problems) without going through the millions of answers."""

    __tablename__ = "inspection_failures"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Photo(_Origin, db.Model):
    """A photo record; its file is the media file with the same SHA-256 (it may arrive later)."""

    __tablename__ = "photos"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    finding_id: Mapped[str | None] = mapped_column(ForeignKey("findings.id"))
    checkpoint_id: Mapped[int | None] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(Text, default="")
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    byte_size: Mapped[int | None] = mapped_column(Integer)
    clock_offset_ms: Mapped[int | None] = mapped_column(Integer)  # device clock minus server clock

    user: Mapped[User | None] = relationship()


class Signature(_Origin, db.Model):
    """A signature image (PNG) of an inspector, the party on site or a witness."""

    __tablename__ = "signatures"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    signer_role: Mapped[str] = mapped_column(String(16))  # inspector / party / witness
    signer_name: Mapped[str] = mapped_column(String(64))
    signer_inspector_id: Mapped[int | None] = mapped_column(ForeignKey("inspectors.id"))
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the content signed (sync/signing.py); None from clients that predate it.
    digest: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()


class PhotoWithdrawal(_Origin, db.Model):
    """An inspector withdrew a photo before submitting (taken by mistake): the photo and its file stay on
    record, shown to the reviewer as withdrawn, and no longer count as the inspection's evidence."""

    __tablename__ = "photo_withdrawals"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[str] = mapped_column(ForeignKey("photos.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()


class PartyRecord(_Origin, db.Model):
    """The party on site (当事人/现场负责人); the latest record is the current one."""

    __tablename__ = "party_records"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[str] = mapped_column(String(64), default="")
    id_number: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    refused_to_sign: Mapped[bool] = mapped_column(Boolean, default=False)
    absent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 无人在场 (name may be empty)
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()


class LateEvidence(_Origin, db.Model):
    """A mutation that arrived after the inspection was locked: kept whole and shown to the reviewer."""

    __tablename__ = "late_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict] = mapped_column(JSONType, default=dict)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    status_at_arrival: Mapped[str] = mapped_column(String(20))
    # A late judgement (an answer, a finding, a conclusion) is a conflict until a reviewer handles it.
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(foreign_keys="LateEvidence.user_id")


class MediaFile(db.Model):
    """A verified image (or, for a 书面检查, PDF) file held in the media store, named by its SHA-256."""

    __tablename__ = "media_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    byte_size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))  # JPEG / PNG / WEBP, or PDF (documents sent for a 书面检查)
    pages: Mapped[int | None] = mapped_column(Integer)  # a PDF's page count (width × height: its first page, in pt)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The dark strokes of a PNG (a signature): their bounding box and pixel count (None for other formats).
    ink_width: Mapped[int | None] = mapped_column(Integer)
    ink_height: Mapped[int | None] = mapped_column(Integer)
    ink_pixels: Mapped[int | None] = mapped_column(Integer)

"""一单两库: the inspection item list, the target registry and the inspector registry."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, utcnow


class Department(db.Model):
    """A section of the bureau (执法队, 运输管理股 …) or another authority that joins inspections (外部部门).

    Inspectors, items, task participation and staff accounts name a department; an external one has its
    own inspectors in the registry and its own staff accounts (role dept_staff), scoped to it.
    """

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(50), default="")  # 简称, e.g. 交警大队; also read in sheets
    kind: Mapped[str] = mapped_column(String(16), default="internal")  # vocab.DepartmentKind
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InspectionItem(db.Model):
    """One line of the 随机抽查事项清单; a published item is what tasks may use."""

    __tablename__ = "inspection_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="general")  # vocab.ItemKind
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    methods: Mapped[list] = mapped_column(JSONType, default=list)  # vocab.Method codes
    target_categories: Mapped[list] = mapped_column(JSONType, default=list)  # vocab.TargetCategory codes
    qualification_tags: Mapped[list] = mapped_column(JSONType, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(16), default="published")  # vocab.ItemStatus
    version: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship()
    checkpoints: Mapped[list[Checkpoint]] = relationship(
        back_populates="item", order_by="Checkpoint.seq", cascade="all, delete-orphan")


class Checkpoint(db.Model):
    """One question under an item, answered 符合/不符合/不涉及."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inspection_items.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[InspectionItem] = relationship(back_populates="checkpoints")


class Target(db.Model):
    """A market entity in the 检查对象名录库, keyed by its 统一社会信用代码."""

    __tablename__ = "targets"
    __table_args__ = (
        Index("ix_targets_category_status", "category", "status"),
        Index("ix_targets_risk_level", "risk_level"),
        Index("ix_targets_region", "region"),  # the office list's 乡镇 filter and its DISTINCT option list
        Index("ix_targets_stats", "category", "risk_level", "region"),  # 统计分析: the registry by dimension
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str] = mapped_column(String(32))  # vocab.TargetCategory
    tags: Mapped[list] = mapped_column(JSONType, default=list)
    region: Mapped[str] = mapped_column(String(64), default="")  # 乡镇/街道
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    legal_rep: Mapped[str] = mapped_column(String(64), default="")
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    licences: Mapped[list] = mapped_column(JSONType, default=list)  # [{"no", "kind", "valid_until"}]
    status: Mapped[str] = mapped_column(String(16), default="active")  # vocab.TargetStatus
    risk_level: Mapped[str] = mapped_column(String(16), default="general")  # derived, see services.registry.risk
    risk_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    ratings: Mapped[list[CreditRating]] = relationship(
        back_populates="target", order_by="CreditRating.effective_from", cascade="all, delete-orphan")


class CreditRating(db.Model):
    """A rating from one source (市场监管 A–D, 交通 AA–D, internal) with its effective dates."""

    __tablename__ = "credit_ratings"
    __table_args__ = (UniqueConstraint("target_id", "source", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # vocab.RatingSource
    level: Mapped[str] = mapped_column(String(8))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    target: Mapped[Target] = relationship(back_populates="ratings")


class Inspector(db.Model):
    """A person in the 执法检查人员名录库 with a 执法证 and its validity."""

    __tablename__ = "inspectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    cert_no: Mapped[str] = mapped_column(String(32), unique=True)
    cert_issued_on: Mapped[dt.date] = mapped_column(Date)
    cert_expires_on: Mapped[dt.date] = mapped_column(Date)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    tags: Mapped[list] = mapped_column(JSONType, default=list)  # qualification / expertise tags
    status: Mapped[str] = mapped_column(String(16), default="active")  # vocab.InspectorStatus
    phone: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()
    recusals: Mapped[list[Recusal]] = relationship(back_populates="inspector", cascade="all, delete-orphan")

    def cert_valid_through(self, start: dt.date, end: dt.date) -> bool:
        """Whether the 执法证 is valid on every day from start to end."""
        return self.cert_issued_on <= start and self.cert_expires_on >= end


class Recusal(db.Model):
    """A declared conflict between an inspector and a target (回避)."""

    __tablename__ = "recusals"
    __table_args__ = (UniqueConstraint("inspector_id", "target_uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id", ondelete="CASCADE"), index=True)
    target_uscc: Mapped[str] = mapped_column(String(18), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspector: Mapped[Inspector] = relationship(back_populates="recusals")

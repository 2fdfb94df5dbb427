"""After the field: review history, violations and their referrals (移送), credit records, risk-level
history and publications (公示) with their revisions.

State machines and clocks live in services/{review,referrals,credit,publication}.py.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.accounts import User
from server.models.inspections import Inspection
from server.models.registry import Target
from server.models.types import JSONType, UTCDateTime, utcnow


class InspectionReview(db.Model):
    """One reviewer decision on one submitted version of an inspection: approve or return.

    A 联合抽查 inspection is reviewed in parts (followup.joint_review): department_id names the cooperating
    external department whose items the decision is about; None is the bureau's own part (and every decision on
    an inspection that is not joint)."""

    __tablename__ = "inspection_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # approve / return
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User] = relationship()


class Violation(db.Model):
    """A violation that must reach a closed referral or a recorded no-referral decision.

    Either a finding (finding_ref = the finding's id) or an inspection with a negative result
    (finding_ref = "").
    """

    __tablename__ = "violations"
    __table_args__ = (UniqueConstraint("inspection_id", "finding_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    finding_ref: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open / closed
    no_referral_reason: Mapped[str] = mapped_column(Text, default="")
    no_referral_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    no_referral_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspection: Mapped[Inspection] = relationship()
    referrals: Mapped[list[Referral]] = relationship(back_populates="violation", order_by="Referral.id")


class Referral(db.Model):
    """移送: an administrative referral or 抄告 (案件移送函), or a criminal referral (国务院令第310号)."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # administrative / notify / criminal
    violation_id: Mapped[int] = mapped_column(ForeignKey("violations.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="draft")
    # 案件移送函 fields
    doc_no: Mapped[str] = mapped_column(String(64), unique=True)  # 文书编号
    party: Mapped[str] = mapped_column(String(200))  # 当事人
    cause: Mapped[str] = mapped_column(Text)  # 案由
    reason: Mapped[str] = mapped_column(Text)  # 移送理由
    legal_basis: Mapped[str] = mapped_column(Text)  # 依据的法律规定
    materials: Mapped[list] = mapped_column(JSONType, default=list)  # 案件相关资料
    receiving_dept: Mapped[str] = mapped_column(String(200))  # 接收部门 / 受移送公安机关
    referral_date: Mapped[dt.date | None] = mapped_column(Date)  # 移送日期
    feedback_due: Mapped[dt.date | None] = mapped_column(Date)
    # criminal referral (310号令)
    team: Mapped[list] = mapped_column(JSONType, default=list)  # inspector ids of the 专案组
    report: Mapped[str] = mapped_column(Text, default="")  # the team's written report
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    # the clock of the step the referral waits on
    due_step: Mapped[str] = mapped_column(String(32), default="")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    violation: Mapped[Violation] = relationship(back_populates="referrals")
    inspection: Mapped[Inspection] = relationship()
    created_by: Mapped[User] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(back_populates="referral", order_by="ReferralEvent.id",
                                                       cascade="all, delete-orphan")


class ReferralEvent(db.Model):
    """One step of a referral, with when it happened, the deadline it had, and whether it was late."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    happened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CreditRecord(db.Model):
    """信用记录: a mark on a target's credit file from an approved inspection, repairable (信用修复)."""

    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date] = mapped_column(Date)
    publish: Mapped[bool] = mapped_column(Boolean, default=False)
    repaired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    repair_reason: Mapped[str] = mapped_column(Text, default="")
    repaired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    target: Mapped[Target] = relationship()
    inspection: Mapped[Inspection] = relationship()

    def in_effect(self, day: dt.date) -> bool:
        """Whether the record counts on `day`: inside its period and not repaired."""
        return self.repaired_at is None and self.effective_from <= day <= self.effective_to


class RiskLevelChange(db.Model):
    """One change of a target's derived risk level, kept so the change can be seen and warned about."""

    __tablename__ = "risk_level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    old_level: Mapped[str] = mapped_column(String(16))
    new_level: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    target: Mapped[Target] = relationship()


class Publication(db.Model):
    """公示: one record per approved inspection, in the structure of gsxt's 双随机抽查结果信息."""

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_status_due", "status", "due_on"),
                      Index("ix_publications_stats", "inspection_id", "status", "first_published_at", "due_on",
                            sqlite_where=text("department_id IS NULL"), postgresql_where=text("department_id IS NULL")),
                      # one record of the bureau's own items per inspection, and one per external department
                      # that checked items of a joint inspection (谁检查、谁公开)
                      Index("uq_publications_inspection_bureau", "inspection_id", unique=True,
                            sqlite_where=text("department_id IS NULL"),
                            postgresql_where=text("department_id IS NULL")),
                      UniqueConstraint("inspection_id", "department_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    # None: the bureau's own record; else the external department whose items it publishes (followup.joint)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    target_name: Mapped[str] = mapped_column(String(200), index=True)
    target_uscc: Mapped[str] = mapped_column(String(18), index=True)
    # draft / pending (leader) / published / withdrawn / not_published (with a reason)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[dict] = mapped_column(JSONType, default=dict)
    completed_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)  # 20 working days after completion
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # a correction or withdrawal that has been found necessary and whose clock runs
    pending_action: Mapped[str] = mapped_column(String(16), default="")  # "" / correct / withdraw
    pending_reason: Mapped[str] = mapped_column(Text, default="")
    pending_since: Mapped[dt.date | None] = mapped_column(Date)
    pending_due: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspection: Mapped[Inspection] = relationship()
    revisions: Mapped[list[PublicationRevision]] = relationship(
        back_populates="publication", order_by="PublicationRevision.id", cascade="all, delete-orphan")


class PublicationRevision(db.Model):
    """The history of a publication: each publish, correction, withdrawal or recorded non-publication."""

    __tablename__ = "publication_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # publish / correct / withdraw / decline
    content: Mapped[dict] = mapped_column(JSONType, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[dt.date | None] = mapped_column(Date)  # error confirmed / decision overturned on
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    publication: Mapped[Publication] = relationship(back_populates="revisions")
    actor: Mapped[User | None] = relationship()

"""Inspections: one target in one task, with its group (检查组).

The draw area creates them; the sync area records field work against them (models/fieldwork.py);
the review area approves or returns them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.planning import Draw, Task
from server.models.registry import Inspector, Target
from server.models.types import JSONType, UTCDateTime, utcnow

# assigned → in_progress → pending_evidence → submitted → approved
#                                   returned ↗ (back to the phone, then resubmitted)
INSPECTION_STATUSES = ("assigned", "in_progress", "pending_evidence", "submitted", "returned", "approved",
                       "withdrawn")


SNAPSHOT_DIMENSIONS = {"target_category": "category", "target_region": "region", "target_risk_level": "risk_level"}


def _snapshot_value(context, key: str) -> str:
    """A Core insert's default: the value from the row's target snapshot."""
    snapshot = context.get_current_parameters().get("target_snapshot") or {}
    return str(snapshot.get(key) or "") if isinstance(snapshot, dict) else ""


class Inspection(db.Model):
    __tablename__ = "inspections"
    __table_args__ = (
        UniqueConstraint("task_id", "target_id"),
        Index("ix_inspections_status_submitted", "status", "submitted_at"),
        # 统计分析 (services/stats): each covers its statements over a year's inspections, so no figure reads
        # a table row. By task: progress and publications; by target dimension, in GROUP BY order: coverage
        # and problem rates; by completion time: the days the rollup can't answer (services/stats/periods.py)
        # and the inspections overdue (not done, past due); by target: distinct targets; by result.
        # `id` last: SQLite keeps the rowid in every index anyway; PostgreSQL needs it there to answer from
        # the index alone.
        Index("ix_inspections_stats_task", "task_id", "status", "first_completed_at", "approved_at", "due_date",
              "target_category", "target_region", "result_categories", "id"),
        Index("ix_inspections_stats_dims", "target_category", "target_risk_level", "target_region", "task_id",
              "status", "first_completed_at", "target_id", "result_categories", "problem_found", "id"),
        Index("ix_inspections_stats_done", "first_completed_at", "task_id", "status", "target_category",
              "target_region", "problem_found", "id", "due_date"),
        Index("ix_inspections_stats_target", "target_id", "task_id", "status", "first_completed_at",
              "target_category", "target_risk_level", "target_region", "id"),
        # coverage on SQLite: the distinct targets of each (category, risk level), streamed in target order per
        # cell. PostgreSQL hashes instead and does not use it (with it, the cohort statement measured about 15%
        # slower there), so it is made on SQLite only (info: the migration check leaves it out elsewhere).
        Index("ix_inspections_stats_cell", "target_category", "target_risk_level", "target_id", "task_id", "status",
              "first_completed_at", info={"only_on": "sqlite"}).ddl_if(dialect="sqlite"),
        Index("ix_inspections_stats_results", "result_categories"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumps when a returned inspection is resubmitted
    mode: Mapped[str] = mapped_column(String(16), default="on_site")  # on_site / document / online
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    target_snapshot: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The target's category, 乡镇 and risk level as the snapshot froze them at the draw, as plain columns so
    # that the statistics' indexes cover them (SQLite 3.40 covers neither JSON expressions nor generated
    # columns). Kept equal to the snapshot by the default below and the `set` listener at the end.
    target_category: Mapped[str] = mapped_column(String(32), default=lambda c: _snapshot_value(c, "category"),
                                                 server_default="")
    target_region: Mapped[str] = mapped_column(String(64), default=lambda c: _snapshot_value(c, "region"),
                                               server_default="")
    target_risk_level: Mapped[str] = mapped_column(String(16), default=lambda c: _snapshot_value(c, "risk_level"),
                                                   server_default="")
    checklist_snapshot: Mapped[list] = mapped_column(JSONType, default=list)  # items with checkpoints
    result_categories: Mapped[list] = mapped_column(JSONType, default=list)  # vocab.ResultCategory codes
    methods: Mapped[list] = mapped_column(JSONType, default=list)  # vocab.Method codes
    follow_ups: Mapped[list] = mapped_column(JSONType, default=list)  # vocab.FollowUp codes
    summary: Mapped[str] = mapped_column(Text, default="")
    has_conflicts: Mapped[bool] = mapped_column(Boolean, default=False)
    # 联合抽查: False while a cooperating department has still to draw its member; phones receive it only once
    # the group is complete (planning.department_draws).
    group_complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    reviewer_note: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # submitted with all evidence held
    # The first completion: the inspection ended here, so the 20-working-day publication clock starts here;
    # a return for fixing and a resubmission do not restart it.
    first_completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set at submit for the quality flags (services/fieldwork/quality.py): when the visit ended by the
    # phone's clock, and a digest of the answers, to find a group's overlapping or identical records.
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answer_pattern: Mapped[str | None] = mapped_column(String(64))
    # Set at submit for 统计分析 (services/fieldwork/problem_facts.py): the submitted version found a problem
    # (a 不符合 answer, a finding or a negative result); its failed checkpoints are InspectionFailure rows.
    problem_found: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    target: Mapped[Target] = relationship()
    draw: Mapped[Draw | None] = relationship()
    members: Mapped[list[InspectionMember]] = relationship(
        back_populates="inspection", order_by="InspectionMember.id", cascade="all, delete-orphan")

    @property
    def active_members(self) -> list[InspectionMember]:
        return [m for m in self.members if m.active]


class InspectionMember(db.Model):
    """One inspector in an inspection's group; a replaced member stays, inactive, for the record."""

    __tablename__ = "inspection_members"
    __table_args__ = (UniqueConstraint("inspection_id", "inspector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    replaced_by_draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    added_by_draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))  # the draw that chose them
    note: Mapped[str] = mapped_column(Text, default="")

    inspection: Mapped[Inspection] = relationship(back_populates="members")
    inspector: Mapped[Inspector] = relationship()


@event.listens_for(Inspection.target_snapshot, "set")
def _copy_dimensions(target: Inspection, value, oldvalue, initiator) -> None:
    """Whenever the ORM sets a snapshot, copy its category, 乡镇 and risk level into the plain columns."""
    snapshot = value if isinstance(value, dict) else {}
    for column, key in SNAPSHOT_DIMENSIONS.items():
        setattr(target, column, str(snapshot.get(key) or ""))

"""Annual plans (with versions), tasks, and the locked records of draws.

Owned by the draw area; columns may be added there. Inspections reference tasks and draws.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import JSONType, UTCDateTime, utcnow


class Plan(db.Model):
    """年度抽查计划: one row per plan; its content lives in versions."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))  # 计划编号, e.g. 140522202401
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft/approved/published/adjusting
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    published_version: Mapped[int | None] = mapped_column(Integer)  # the version in force (last published)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(back_populates="plan", order_by="PlanVersion.version",
                                                        cascade="all, delete-orphan")
    tasks: Mapped[list[Task]] = relationship(back_populates="plan", order_by="Task.code")


class PlanVersion(db.Model):
    """One kept version of a plan's content, with the reason and approval of an adjustment."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    content: Mapped[dict] = mapped_column(JSONType, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="versions")


class Task(db.Model):
    """抽查任务: one campaign in a plan (不定向 undirected / 定向 directed / 靶向 targeted)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 任务编号
    name: Mapped[str] = mapped_column(String(200))
    task_type: Mapped[str] = mapped_column(String(16), default="undirected")  # vocab.TaskType
    # vocab.InspectionMode: 现场检查 goes to the phones; 书面检查 / 网络监测 to the inspectors' desk page
    method: Mapped[str] = mapped_column(String(16), default="on_site", server_default="on_site")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft/published/drawn/closed
    item_ids: Mapped[list] = mapped_column(JSONType, default=list)
    # 联合抽查: which participating department checks each item ({str(item id): department id}); an item not
    # named here is the lead department's (planning.joint).
    item_departments: Mapped[dict] = mapped_column(JSONType, default=dict)
    scope: Mapped[dict] = mapped_column(JSONType, default=dict)  # categories, tags, regions, statuses
    ratios: Mapped[dict] = mapped_column(JSONType, default=dict)  # risk level -> decimal string
    exclusion_months: Mapped[int] = mapped_column(Integer, default=12)
    group_size: Mapped[int] = mapped_column(Integer, default=2)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    department_ids: Mapped[list] = mapped_column(JSONType, default=list)  # all participating, lead included
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    reveal_seed_at_once: Mapped[bool] = mapped_column(Boolean, default=False)
    targeted_reason: Mapped[str] = mapped_column(Text, default="")  # 靶向: complaint / referral / data alert
    targeted_source_doc: Mapped[str] = mapped_column(Text, default="")
    target_usccs: Mapped[list] = mapped_column(JSONType, default=list)  # 靶向 / 上级名单: the explicitly chosen targets
    plan_row: Mapped[str] = mapped_column(String(16), default="")  # the key of the plan row it carries out
    # 上级任务: who deployed it, under which document and task code, whether the targets come as a list from
    # above (upper_list holds the imported sheet's rows) or are drawn here, and the return sheet's columns.
    upper_authority: Mapped[str] = mapped_column(String(200), default="")
    upper_doc_no: Mapped[str] = mapped_column(String(100), default="")
    upper_task_code: Mapped[str] = mapped_column(String(64), default="")
    upper_source: Mapped[str] = mapped_column(String(8), default="")  # list / draw
    upper_list: Mapped[dict] = mapped_column(JSONType, default=dict)
    upper_columns: Mapped[list] = mapped_column(JSONType, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    server_seed_hex: Mapped[str | None] = mapped_column(String(64))  # secret until revealed
    commitment: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # 结束任务: all work done
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan | None] = relationship(back_populates="tasks")
    draws: Mapped[list[Draw]] = relationship(back_populates="task", order_by="Draw.id")


class Draw(db.Model):
    """The locked record of one draw (the main one, or a supplementary 补抽 / 递补 draw)."""

    __tablename__ = "draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    # main/targeted/replace_target/replace_inspector/staff_target/department (a cooperating department's own members)
    kind: Mapped[str] = mapped_column(String(20), default="main")
    parent_draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    witness_entropy: Mapped[str] = mapped_column(Text, default="")
    record: Mapped[dict] = mapped_column(JSONType, default=dict)  # the full public record (DESIGN §5)
    record_sha256: Mapped[str] = mapped_column(String(64), default="")
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship(back_populates="draws")


class DrawRequest(db.Model):
    """A request for a supplementary draw (补抽 replace_target / 递补 replace_inspector / 补派 staff_target).

    Its own server seed is made and committed to when it is requested, before the leader decides,
    so the seed cannot be chosen after the fact; it is revealed together with the task's.
    """

    __tablename__ = "draw_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # replace_target / replace_inspector / staff_target / department
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))  # none for 补派
    member_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_members.id"))  # 递补: who leaves
    target_uscc: Mapped[str | None] = mapped_column(String(32))  # 补派: the target the draw left unstaffed
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))  # a department's own draw
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/approved/rejected/drawn
    server_seed_hex: Mapped[str] = mapped_column(String(64))  # secret until revealed
    commitment: Mapped[str] = mapped_column(String(64))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.id"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    draw: Mapped[Draw | None] = relationship()


class DrawSeal(db.Model):
    """封存: the inputs of one draw (population listing, inspector pool, recusals) frozen before the witness
    types; its public block (hashes, counts, time) is shown on the task page at once.

    The draw runs on `inputs`, never on the registries as they are by then. A seal is open until the
    draw uses it, or until a new seal of the same draw supersedes it (all of them stay published).
    `inputs` holds what is not public before the reveal: the listing, the pool and every sealed recusal
    pair with its nonce (the record later publishes only the pairs touching the draw).
    """

    __tablename__ = "draw_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("draw_requests.id"), index=True)  # supplementary
    kind: Mapped[str] = mapped_column(String(20))  # as Draw.kind
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / used / superseded
    block: Mapped[dict] = mapped_column(JSONType, default=dict)  # the public seal block (DESIGN §5)
    inputs: Mapped[dict] = mapped_column(JSONType, default=dict)
    sealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sealed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))

    task: Mapped[Task] = relationship()

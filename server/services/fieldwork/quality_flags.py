"""Reading and acknowledging the quality flags of submitted inspections (computed by quality.py).

A flag belongs to one submitted version. The reviewer acknowledges each flag of the version under review
with a note (audited) before approving it; a resubmission is flagged afresh. `open_flags` lists the
flags nobody has acknowledged yet, for the 督查 board.
"""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, PermissionDenied, ValidationError
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Task
from server.models.quality import QualityFlag
from server.models.registry import Department, Inspector, Target
from server.models.types import utcnow
from server.services.fieldwork.quality import KINDS
from server.services.kernel import audit
from server.services.kernel.permissions import department_scope, require_staff, task_condition

OPEN_STATUSES = ("pending_evidence", "submitted", "approved")


__all__ = ["KINDS", "acknowledge", "counts", "current_version", "for_inspection", "open_count", "open_flags", "require_acknowledged"]


def label(kind: str) -> str:
    return KINDS.get(kind, kind)


def current_version(inspection_id_col, version_col):
    """Join condition: the flags of an inspection's current version (a resubmission is flagged afresh)."""
    return and_(QualityFlag.inspection_id == inspection_id_col, QualityFlag.inspection_version == version_col)



def for_inspection(session: Session, inspection: Inspection) -> list[QualityFlag]:
    """The flags of the inspection's current version, in the order they were raised."""
    return list(session.scalars(select(QualityFlag).where(
        QualityFlag.inspection_id == inspection.id, QualityFlag.inspection_version == inspection.version)
        .order_by(QualityFlag.id)))


def counts(session: Session, inspection_ids: list[int]) -> dict[int, dict]:
    """Per inspection (current version): {"kinds": [...], "open": n} for the review queue's badges."""
    if not inspection_ids:
        return {}
    rows = session.execute(select(QualityFlag.inspection_id, QualityFlag.kind, QualityFlag.acknowledged_at)
                           .join(Inspection, current_version(Inspection.id, Inspection.version))
                           .where(QualityFlag.inspection_id.in_(inspection_ids)).order_by(QualityFlag.id))
    out: dict[int, dict] = {}
    for insp_id, kind, acked in rows:
        entry = out.setdefault(insp_id, {"kinds": [], "open": 0})
        entry["kinds"].append(kind)
        entry["open"] += acked is None
    return out


def require_acknowledged(session: Session, inspection: Inspection) -> None:
    """Refuse approval while a flag of this version has no acknowledgement."""
    unacked = [f for f in for_inspection(session, inspection) if f.acknowledged_at is None]
    if unacked:
        names = "、".join(label(f.kind) for f in unacked)
        raise Conflict(f"有 {len(unacked)} 个质量提示尚未确认（{names}）：请在“质量提示”处逐条核实并填写确认意见后再审核通过，"
                       "或退回检查组核实", code="quality_flags_open", errors={"flags": [f.id for f in unacked]})


def acknowledge(session: Session, actor, flag_id: int, *, note: str) -> QualityFlag:
    """Record the reviewer's note on one flag (who, when); audited. A staff member who was not in the group."""
    require_staff(actor)
    flag = session.get(QualityFlag, flag_id)
    if flag is None:
        raise NotFound("该质量提示不存在")
    inspection = session.get(Inspection, flag.inspection_id)
    if actor.inspector_id and any(m.inspector_id == actor.inspector_id for m in inspection.members):
        raise PermissionDenied("不能确认自己参与检查的质量提示")
    if flag.inspection_version != inspection.version or inspection.status != "submitted":
        raise Conflict("该质量提示属于已不在审核中的版本：请刷新页面查看最新内容")
    if flag.acknowledged_at is not None:
        raise Conflict("该质量提示已确认过")
    note = (note or "").strip()
    if not note:
        raise ValidationError("请填写确认意见：说明核实了什么、为何仍可通过（例如已电话核实当事人、照片为补拍并已说明）",
                              errors={"note": "必填"})
    flag.acknowledged_at, flag.acknowledged_by_id, flag.acknowledged_note = utcnow(), actor.id, note[:2000]
    audit.record(session, actor, "inspection.flag_acknowledged", inspection,
                 detail={"flag": flag.id, "kind": flag.kind, "version": flag.inspection_version}, reason=note)
    return flag


def open_flags(session: Session, *, user, department_id: int | None = None, inspector_id: int | None = None,
               kind: str | None = None, limit: int = 500) -> list[dict]:
    """Unacknowledged flags of current versions, oldest first, each with its inspection, task, target, the
    group's departments and inspectors (for the 督查 board; a department's staff see their tasks' only)."""
    department_scope(user)  # staff see every task; a department's staff those of its tasks; others are refused
    q = (select(QualityFlag, Inspection.id, Inspection.status, Inspection.submitted_at, Task.id, Task.code, Task.name,
                Target.name)
         .join(Inspection, current_version(Inspection.id, Inspection.version))
         .join(Task, Task.id == Inspection.task_id).join(Target, Target.id == Inspection.target_id)
         .where(QualityFlag.acknowledged_at.is_(None), Inspection.status.in_(OPEN_STATUSES),
                task_condition(session, user, Inspection.task_id)))
    if kind:
        q = q.where(QualityFlag.kind == kind)
    if department_id is not None or inspector_id is not None:
        members = select(InspectionMember.inspection_id).where(InspectionMember.active.is_(True))
        if department_id is not None:
            members = members.where(InspectionMember.department_id == department_id)
        if inspector_id is not None:
            members = members.where(InspectionMember.inspector_id == inspector_id)
        q = q.where(Inspection.id.in_(members))
    rows = session.execute(q.order_by(QualityFlag.created_at, QualityFlag.id).limit(limit)).all()
    ids = list({r[1] for r in rows})
    people: dict[int, list] = {}
    if ids:
        for insp_id, ins_id, name, dept_id, dept in session.execute(
                select(InspectionMember.inspection_id, Inspector.id, Inspector.name, Department.id, Department.name)
                .join(Inspector, Inspector.id == InspectionMember.inspector_id)
                .join(Department, Department.id == InspectionMember.department_id)
                .where(InspectionMember.inspection_id.in_(ids), InspectionMember.active.is_(True))
                .order_by(InspectionMember.id)):
            people.setdefault(insp_id, []).append({"id": ins_id, "name": name, "department_id": dept_id,
                                                   "department": dept})
    out = []
    for flag, insp_id, status, submitted_at, task_id, task_code, task_name, target in rows:
        group = people.get(insp_id, [])
        out.append({"flag_id": flag.id, "kind": flag.kind, "label": label(flag.kind), "reason": flag.reason,
                    "created_at": flag.created_at, "inspection_id": insp_id, "status": status,
                    "submitted_at": submitted_at, "task_id": task_id, "task_code": task_code, "task_name": task_name,
                    "target_name": target, "inspectors": [p["name"] for p in group],
                    "inspector_ids": [p["id"] for p in group],
                    "departments": sorted({p["department"] for p in group}),
                    "department_ids": sorted({p["department_id"] for p in group})})
    return out


def open_count(session: Session) -> int:
    """How many flags wait for acknowledgement (all tasks)."""
    return session.scalar(select(func.count()).select_from(QualityFlag)
                          .join(Inspection, current_version(Inspection.id, Inspection.version))
                          .where(QualityFlag.acknowledged_at.is_(None), Inspection.status.in_(OPEN_STATUSES))) or 0


"""Departments (部门) as records the admin keeps: the bureau's sections and the other authorities that join
joint inspections (外部部门 such as 县市场监督管理局), with a contact and an active flag.

A department is never deleted (inspectors, tasks and results name it); it is deactivated, which is refused
while it still has open inspections or tasks waiting for a draw, with the list, so nothing is left without
the department that is to do it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.accounts import User
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Task
from server.models.registry import Department, Inspector, Target
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role
from server.services.registry.cell_types import CellError, Phone, nfkc
from server.vocab import DepartmentKind
from sync.messages import STATUS_LABELS

FIELDS = {"code": "部门编码", "name": "部门名称", "short_name": "简称", "kind": "部门类型", "contact_name": "联系人",
          "contact_phone": "联系电话"}
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
CLOSED_INSPECTIONS = ("approved", "withdrawn")
SHOWN_OPEN = 20  # open inspections named in a refused deactivation; the rest are counted


@dataclass
class DepartmentRow:
    dept: Department
    inspectors: int = 0
    users: int = 0


@dataclass
class OpenWork:
    """What keeps a department from being deactivated."""

    inspections: list[tuple[str, str, str]] = field(default_factory=list)  # (task code, target name, status)
    inspection_total: int = 0
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (code, name) published, waiting for a draw

    @property
    def empty(self) -> bool:
        return not self.inspection_total and not self.tasks


def _key(text: str) -> str:
    return nfkc(text or "").replace(" ", "").lower()


def list_departments(session: Session, actor) -> list[DepartmentRow]:
    """Every department, active first, by code, with how many inspectors and accounts it has."""
    require_role(actor, "admin")
    inspectors = dict(session.execute(select(Inspector.department_id, func.count())
                                      .group_by(Inspector.department_id)).all())
    users = dict(session.execute(select(User.department_id, func.count()).where(User.is_active.is_(True))
                                 .group_by(User.department_id)).all())
    depts = session.scalars(select(Department).order_by(Department.is_active.desc(), Department.code))
    return [DepartmentRow(d, inspectors.get(d.id, 0), users.get(d.id, 0)) for d in depts]


def get_department(session: Session, actor, dept_id: int) -> Department:
    require_role(actor, "admin")
    return get_or_raise(session, Department, dept_id, "找不到该部门，可能已被删除")


def _clean(session: Session, data: dict, dept: Department | None) -> dict:
    values = {k: str(data.get(k) or "").strip() for k in FIELDS}
    values["code"] = nfkc(values["code"]).replace(" ", "").upper()
    errors = {}
    if not values["code"]:
        errors["code"] = "请填写部门编码（如 SCJ）"
    elif not _CODE.fullmatch(values["code"]):
        errors["code"] = "部门编码只能由字母、数字、“-”和“_”组成，不超过 32 位"
    if not values["name"]:
        errors["name"] = "请填写部门名称"
    for key, limit in (("name", 100), ("short_name", 50), ("contact_name", 64)):
        if len(values[key]) > limit:
            errors[key] = f"{FIELDS[key]}不能超过 {limit} 个字"
    kind = DepartmentKind.by_label(values["kind"] or DepartmentKind.INTERNAL.value)
    if kind is None:
        errors["kind"] = "部门类型应为“本局内设机构”或“外部部门”"
    values["kind"] = kind.value if kind else values["kind"]
    try:
        values["contact_phone"] = Phone().parse(values["contact_phone"], {})
    except CellError as err:
        errors["contact_phone"] = err.message
    errors.update(_collisions(session, values, dept, errors))
    if errors:
        raise ValidationError("部门信息有误：" + "；".join(errors.values()), errors=errors)
    return values


def _collisions(session: Session, values: dict, dept: Department | None, errors: dict) -> dict:
    """A code, name or short name that another department already uses (sheets name departments by any)."""
    found = {}
    for other in session.scalars(select(Department)):
        if dept is not None and other.id == dept.id:
            continue
        theirs = {_key(other.code), _key(other.name)} | ({_key(other.short_name)} if other.short_name else set())
        for key in ("code", "name", "short_name"):
            if values[key] and key not in errors and key not in found and _key(values[key]) in theirs:
                found[key] = f"{FIELDS[key]}“{values[key]}”已被部门“{other.name}”使用"
    return found


def save_department(session: Session, actor, dept_id: int | None, data: dict) -> tuple[Department, dict]:
    """Create (dept_id None) or change a department; returns it and what changed ({field: [old, new]})."""
    require_role(actor, "admin")
    dept = None if dept_id is None else get_department(session, actor, dept_id)
    values = _clean(session, data, dept)
    if dept is None:
        dept = Department(**values, is_active=True)
        session.add(dept)
        session.flush()
        audit.record(session, actor, "department.create", dept, detail={k: values[k] for k in ("code", "name", "kind")})
        return dept, {k: [None, v] for k, v in values.items()}
    changes = {k: [getattr(dept, k), v] for k, v in values.items() if getattr(dept, k) != v}
    for k, (_, v) in changes.items():
        setattr(dept, k, v)
    if changes:
        session.flush()
        audit.record(session, actor, "department.update", dept, detail={"code": dept.code, "changes": changes})
    return dept, changes


def open_work(session: Session, dept: Department) -> OpenWork:
    """Open inspections whose group has one of its inspectors or whose task it takes part in; published tasks
    of it that wait for a draw (which would find its inspectors gone)."""
    tasks = [t for t in session.scalars(select(Task).where(Task.status.in_(("draft", "published", "drawn"))))
             if dept.id in (t.department_ids or ())]
    by_members = select(InspectionMember.inspection_id).where(InspectionMember.department_id == dept.id,
                                                              InspectionMember.active.is_(True))
    task_ids = [t.id for t in tasks]
    stmt = (select(Task.code, Target.name, Inspection.status).join(Task, Task.id == Inspection.task_id)
            .join(Target, Target.id == Inspection.target_id)
            .where(Inspection.status.not_in(CLOSED_INSPECTIONS),
                   Inspection.id.in_(by_members) | Inspection.task_id.in_(task_ids))
            .order_by(Task.code, Target.name))
    rows = session.execute(stmt).all()
    return OpenWork(inspections=[(c, n, STATUS_LABELS.get(s, s)) for c, n, s in rows[:SHOWN_OPEN]],
                    inspection_total=len(rows), tasks=[(t.code, t.name) for t in tasks if t.status == "published"])


def _refusal(dept: Department, work: OpenWork) -> str:
    parts = []
    if work.inspection_total:
        shown = "；".join(f"{code} {name}（{status}）" for code, name, status in work.inspections)
        more = f"等共 {work.inspection_total} 项" if work.inspection_total > len(work.inspections) else ""
        parts.append(f"尚未办结的检查：{shown}{more}")
    if work.tasks:
        parts.append("已发布待抽取的任务：" + "；".join(f"{c} {n}" for c, n in work.tasks))
    return (f"部门“{dept.name}”还有未完成的工作，不能停用。" + "。".join(parts)
            + "。请待这些检查审核通过或撤回、任务抽取后再停用。")


def deactivate(session: Session, actor, dept_id: int, reason: str) -> Department:
    """Deactivate a department with no open work: it can no longer join tasks or be typed in a sheet."""
    dept = get_department(session, actor, dept_id)
    if not dept.is_active:
        raise Conflict(f"部门“{dept.name}”已经是停用状态")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写停用原因", errors={"reason": "必填"})
    work = open_work(session, dept)
    if not work.empty:
        raise Conflict(_refusal(dept, work), errors={"inspections": [list(r) for r in work.inspections],
                                                     "tasks": [list(t) for t in work.tasks]})
    dept.is_active = False
    session.flush()
    audit.record(session, actor, "department.deactivate", dept, detail={"code": dept.code}, reason=reason)
    return dept


def activate(session: Session, actor, dept_id: int) -> Department:
    dept = get_department(session, actor, dept_id)
    if dept.is_active:
        raise Conflict(f"部门“{dept.name}”已经是启用状态")
    dept.is_active = True
    session.flush()
    audit.record(session, actor, "department.activate", dept, detail={"code": dept.code})
    return dept

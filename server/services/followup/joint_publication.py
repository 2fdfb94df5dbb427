"""联合抽查 results published by the department that checked them (谁检查、谁公开).

A joint inspection's checklist names the department of each item (planning.joint_block). Its results are
published in one record per department: the bureau's own record (department_id NULL, through the leader's
approval as always) holds the items of the bureau's sections, and each cooperating external department's
record holds its items, under its own name as the authority, published by that department's own staff
account (its approval happens inside that department, not in the bureau's system; publication.publish_own).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, PermissionDenied
from server.models.followup import Publication
from server.models.registry import Department
from server.services.kernel.permissions import DEPT_STAFF
from server.vocab import DepartmentKind


def parts(session: Session, inspection, item_results: list[dict]) -> list[tuple[int | None, str | None, list[dict]]]:
    """(department id or None for the bureau, authority name or None, its items' results); the bureau's first.

    An inspection that is not joint gives one part with every item."""
    depts = {}
    for item in inspection.checklist_snapshot or []:
        dept = item.get("department") or {}
        depts[item.get("item_id")] = dept
    external = {d["id"]: d["name"] for d in depts.values() if d and d.get("id") in external_ids(session, inspection)}
    if not external:
        return [(None, None, item_results)]
    own = [r for r in item_results if (depts.get(r["item_id"]) or {}).get("id") not in external]
    out = [(None, None, own)] if own else []
    for dept_id, name in external.items():
        out.append((dept_id, name, [r for r in item_results if (depts.get(r["item_id"]) or {}).get("id") == dept_id]))
    return out


def external_ids(session: Session, inspection) -> set[int]:
    """The cooperating external departments of the inspection's task (not its lead)."""
    ids = list(inspection.task.department_ids or [])[1:]
    if not ids:
        return set()
    return set(session.scalars(select(Department.id).where(Department.id.in_(ids),
                                                           Department.kind == DepartmentKind.EXTERNAL.value)))


def of_department(department_id: int | None):
    """The WHERE clause of the record of one department (None: the bureau's)."""
    column = Publication.department_id
    return column.is_(None) if department_id is None else column == department_id


def department_name(session: Session, pub: Publication) -> str:
    dept = session.get(Department, pub.department_id) if pub.department_id else None
    return dept.name if dept else ""


def refuse_other_department(session: Session, pub: Publication) -> None:
    """The bureau does not publish a cooperating department's results: that department does."""
    if pub.department_id is not None:
        name = department_name(session, pub)
        raise Conflict(f"“{pub.target_name}”的这条公示记录是{name}检查的事项，按“谁检查、谁公开”由{name}的工作人员公开，"
                       f"本局不能提交审批")


def require_own(session: Session, actor, pub: Publication, verb: str = "公开") -> None:
    """Only the department that checked the items publishes them (a department's staff account)."""
    if pub.department_id is None or pub.department_id != actor.department_id:
        whose = department_name(session, pub) or "本局"
        raise PermissionDenied(f"这条公示记录是{whose}检查的事项，应由{whose}{verb}；您只能{verb}本部门检查的事项结果")


def require_handler(session: Session, actor, pub: Publication, verb: str) -> None:
    """Who corrects, withdraws or declines a record: the bureau's staff its own records, a cooperating
    department's staff that department's (谁检查、谁公开, and so who answers for what is public)."""
    if actor.role == DEPT_STAFF:
        require_own(session, actor, pub, verb)
    elif pub.department_id is not None:
        name = department_name(session, pub)
        raise PermissionDenied(f"“{pub.target_name}”的这条公示记录是{name}检查的事项，按“谁检查、谁公开”由{name}的工作人员"
                               f"{verb}；本局不能{verb}其他部门的公示记录")


def require_inspection_approved(pub: Publication) -> None:
    """A joint inspection's part may be drafted before the others are approved; nothing of it is published (or
    declined) until the whole inspection is, since a return by any department changes the one record."""
    if pub.inspection.status != "approved":
        raise Conflict("该联合检查尚有部门未审核通过本部门检查的事项，各部门均审核通过后才能公开、提交审批或记录不予公示")

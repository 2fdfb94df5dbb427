"""联合抽查 reviewed per department (谁检查、谁录入、谁公开): who reviews which part of a joint inspection.

A joint inspection whose task has cooperating external departments is reviewed in parts, the same parts it is
published in (followup.joint_publication): the bureau's own part (its sections' items, reviewed by bureau
staff) and one part per external department (its items, reviewed by that department's dept_staff). Each
decision is an InspectionReview naming its part (department_id, None for the bureau) and the version it read.

- The inspection is `approved` once every part has an approval of the current version.
- A return of any part returns the whole inspection to the group (one visit, one 笔录, one signature of the
  party); the phone's note names the department and its items.
- After the resubmission (version + 1) every part is reviewed again: an approval is of the version it read,
  and the resubmission may change what every part rests on (the conclusion, the party, the signatures), not
  only the returned part's items.
- What belongs to the visit as a whole (the quality flags) is the bureau's to settle, on its own part.

An inspection that is not joint has one part, the bureau's, and is reviewed exactly as before (review.py).
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import and_, false, select
from sqlalchemy.orm import Session

from server.errors import PermissionDenied
from server.models.followup import InspectionReview
from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Department
from server.services.followup import joint_publication
from server.services.kernel.permissions import DEPT_STAFF, STAFF, department_scope, in_scope
from server.vocab import DepartmentKind

STATE_LABELS = {"pending": "待审核", "approved": "已审核通过", "returned": "已退回"}


@dataclasses.dataclass
class Part:
    """One department's part of an inspection under review."""

    department_id: int | None  # None: the bureau's own part
    name: str  # who checks it: the department, or the bureau's sections that check its items
    items: list[str]
    checkpoint_ids: set[int]
    decision: InspectionReview | None = None  # its decision on the current version

    @property
    def state(self) -> str:
        return {"approve": "approved", "return": "returned"}.get(getattr(self.decision, "action", ""), "pending")

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def who(self) -> str:
        return f"本局（{self.name}）" if self.department_id is None else self.name


def parts(session: Session, inspection: Inspection) -> list[Part]:
    """The review parts of an inspection, the bureau's first; one part (the bureau's) unless it is joint."""
    external = joint_publication.external_ids(session, inspection)
    made: dict[int | None, Part] = {}
    own_names: list[str] = []
    for item in inspection.checklist_snapshot or []:
        dept = item.get("department") or {}
        key = dept.get("id") if dept.get("id") in external else None
        if key is None and dept.get("name") and dept["name"] not in own_names:
            own_names.append(dept["name"])
        part = made.setdefault(key, Part(key, dept.get("name", "") if key else "", [], set()))
        part.items.append(item.get("name", ""))
        part.checkpoint_ids |= {cp.get("id") for cp in item.get("checkpoints", [])}
    if None in made:
        made[None].name = "、".join(own_names) or "本局"
    out = sorted(made.values(), key=lambda p: (p.department_id is not None, p.department_id or 0))
    if not out:
        out = [Part(None, "本局", [], set())]
    decisions = session.scalars(select(InspectionReview).where(
        InspectionReview.inspection_id == inspection.id, InspectionReview.version == inspection.version)
        .order_by(InspectionReview.id))
    by_part = {p.department_id: p for p in out}
    for d in decisions:
        if d.department_id in by_part:
            by_part[d.department_id].decision = d
    return out


def is_joint(found: list[Part]) -> bool:
    return any(p.department_id is not None for p in found)


def own_part_id(actor) -> int | None:
    """The part an actor reviews unless told otherwise: the bureau's for staff, its department's for dept_staff."""
    return actor.department_id if getattr(actor, "role", None) == DEPT_STAFF else None


def mine(actor, found: list[Part]) -> Part | None:
    """The part of `found` that `actor` may decide on, if any."""
    if actor.role in STAFF:
        key = None
    elif actor.role == DEPT_STAFF and actor.department_id:
        key = actor.department_id
    else:
        return None
    return next((p for p in found if p.department_id == key), None)


def owner(found: list[Part], checkpoint_id) -> Part:
    """The part a checkpoint belongs to; what names no checkpoint (the conclusion) is the first part's."""
    return next((p for p in found if checkpoint_id in p.checkpoint_ids), found[0])


def require_part_reviewer(actor, inspection: Inspection, found: list[Part], department_id: int | None) -> Part:
    """The part `department_id` names, if `actor` may decide on it (谁检查、谁审核); PermissionDenied otherwise."""
    department_scope(actor)
    if not in_scope(actor, inspection.task.department_ids):
        raise PermissionDenied("该检查所属的抽查任务没有您所在的部门参与，您无权审核")
    part = next((p for p in found if p.department_id == department_id), None)
    if part is None:
        whose = "本局" if department_id is None or actor.role in STAFF else "您所在部门"
        raise PermissionDenied(f"该检查没有{whose}负责检查的事项，无需也不能由{whose}审核；各部门审核各自检查的事项")
    items = "、".join(part.items)
    if actor.role in STAFF and part.department_id is not None:
        raise PermissionDenied(f"事项“{items}”由{part.name}检查，按“谁检查、谁录入、谁公开”由{part.name}的工作人员审核；"
                               f"本局只能审核本局检查的事项")
    if actor.role == DEPT_STAFF and part.department_id != actor.department_id:
        whose = "本局" if part.department_id is None else part.name
        raise PermissionDenied(f"事项“{items}”由{whose}检查，应由{whose}审核；您只能审核本部门检查的事项")
    if actor.inspector_id and any(m.inspector_id == actor.inspector_id for m in inspection.members):
        raise PermissionDenied("不能审核自己参与检查的结果")
    return part


def return_note(part: Part, note: str) -> str:
    """The reviewer note the phone shows: which department returned it, about which items, and what to fix."""
    return f"{part.who}退回（{'、'.join(part.items)}）：{note}"


def approved_note(found: list[Part]) -> str:
    """The reviewer note of a joint inspection once every part is approved: each part's note, by department."""
    return "；".join(f"{p.who}：{p.decision.note}" for p in found if p.decision and p.decision.note)


def _approved_by(department_id):
    column = InspectionReview.department_id
    return select(InspectionReview.id).where(
        InspectionReview.inspection_id == Inspection.id, InspectionReview.version == Inspection.version,
        InspectionReview.action == "approve", column.is_(None) if department_id is None else column == department_id
    ).exists()


def pending_condition(session: Session, actor):
    """A WHERE clause on submitted inspections: those whose part `actor` reviews has no approval of the current
    version yet (staff: the bureau's part, which is every inspection that is not joint)."""
    scope = department_scope(actor)
    if scope is None:
        return ~_approved_by(None)
    kind = session.scalar(select(Department.kind).where(Department.id == scope))
    if kind != DepartmentKind.EXTERNAL.value:  # an internal section's items are the bureau's part
        return false()
    # the tasks where it cooperates and checks items of its own (as joint_publication.parts splits them)
    tasks = sorted(tid for tid, depts, items in session.execute(select(Task.id, Task.department_ids,
                                                                         Task.item_departments))
                   if scope in (depts or [])[1:] and scope in (items or {}).values())
    return and_(Inspection.task_id.in_(tasks), ~_approved_by(scope))


def bureau_approved():
    """A WHERE clause on submitted inspections: the bureau has approved its part (so others' parts are open)."""
    return _approved_by(None)

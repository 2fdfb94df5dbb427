"""联合抽查 (joint tasks) across departments: which department checks each item, and which departments draw
their own members.

The initiating (lead) department's draw selects the targets and draws the bureau's members; each cooperating
external department (外部部门, e.g. 县市场监督管理局) then draws one member per selected target from its own
inspectors (planning.department_draws). An item of a joint task belongs to one participating department
(`Task.item_departments`, {str(item id): department id}); an item not named there is the lead's. The
department's inspectors must hold the qualification tags of its own items only.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.planning import Task
from server.models.registry import Department, InspectionItem
from server.services.draw import assignment
from server.vocab import DepartmentKind

EXTERNAL = DepartmentKind.EXTERNAL.value


def _departments(session: Session, ids) -> list[Department]:
    found = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(list(ids or ()))))}
    return [found[i] for i in ids or () if i in found]


def self_drawing_of(departments: list[Department]) -> list[Department]:
    """The cooperating external departments (not the lead, the first) that draw their own members."""
    return [d for d in departments[1:] if d.kind == EXTERNAL]


def self_drawing(session: Session, task: Task) -> list[Department]:
    return self_drawing_of(_departments(session, task.department_ids))


def is_joint(session: Session, task: Task) -> bool:
    """Whether cooperating departments draw their own members for this task."""
    return bool(self_drawing(session, task))


def item_department_id(task: Task, item_id: int) -> int | None:
    """The department that checks an item of the task (the lead's unless the task names another)."""
    chosen = (task.item_departments or {}).get(str(item_id))
    return chosen if chosen in (task.department_ids or ()) else task.lead_department_id


def items_of(task: Task, items: list[InspectionItem], department_id: int) -> list[InspectionItem]:
    return [i for i in items if item_department_id(task, i.id) == department_id]


def main_departments(session: Session, task: Task) -> list[Department]:
    """The departments the initiating draw staffs: the lead and the bureau's own sections, in task order."""
    depts = _departments(session, task.department_ids)
    others = {d.id for d in self_drawing_of(depts)}
    return [d for d in depts if d.id not in others]


def main_items(session: Session, task: Task, items: list[InspectionItem]) -> list[InspectionItem]:
    """The items checked by the departments of the initiating draw (every item of a task that is not joint)."""
    others = {d.id for d in self_drawing(session, task)}
    return [i for i in items if item_department_id(task, i.id) not in others]


def main_group_size(session: Session, task: Task) -> int:
    """Members the initiating draw gives each target: the group less one per self-drawing department."""
    return task.group_size - len(self_drawing(session, task))


def clean_item_departments(raw, items: list[InspectionItem], departments: list[Department],
                           errors: dict) -> dict[str, int]:
    """{str(item id): department id} for every item; by default the item's own department when it takes part,
    else the lead. An item given to a department that is not in the task is an error."""
    raw = raw if isinstance(raw, dict) else {}
    ids = {d.id: d for d in departments}
    lead = departments[0].id if departments else None
    out, bad = {}, []
    for item in items:
        value = raw.get(str(item.id), raw.get(item.id))
        if value in (None, ""):
            out[str(item.id)] = item.department_id if item.department_id in ids else lead
            continue
        try:
            chosen = int(value)
        except (TypeError, ValueError):
            chosen = None
        if chosen not in ids:
            bad.append(f"{item.code} {item.name}")
            continue
        out[str(item.id)] = chosen
    if bad:
        errors["item_departments"] = f"抽查事项“{'、'.join(bad)}”的检查部门不是本任务的参与部门，请重新选择"
    return out


def coverage_problems(session: Session, departments: list[Department], items: list[InspectionItem],
                      item_departments: dict, start: dt.date, end: dt.date, group_size: int) -> list[str]:
    """Why no joint group could be formed: the initiating part as for any task, and each self-drawing
    department without one inspector qualified for its own items."""
    others = self_drawing_of(departments)
    if not others:
        return assignment.coverage_problems(session, departments, items, start, end, group_size)
    other_ids = {d.id for d in others}
    owner = {i.id: item_departments.get(str(i.id)) or departments[0].id for i in items}
    main = [d for d in departments if d.id not in other_ids]
    main_items = [i for i in items if owner[i.id] not in other_ids]
    problems = assignment.coverage_problems(session, main, main_items, start, end, group_size - len(others))
    for dept in others:
        own = [i for i in items if owner[i.id] == dept.id]
        tags = assignment.required_tags(own)
        if not assignment.qualified(session, [dept.id], tags, start, end):
            need = "、".join(sorted(tags)) or "无特殊资质要求"
            problems.append(f"配合部门“{dept.name}”没有符合条件的执法人员（在岗、执法证在任务期间全程有效、具备资质：{need}），"
                            f"无法抽取本部门的检查人员；请该部门先在执法人员名录库中补充人员，或不邀请该部门参与")
    return problems


def qualified_pool(session: Session, task: Task, departments: list[Department], items: list[InspectionItem]):
    """Who of `departments` may be drawn for the task: qualified for the task's items or, in a joint task, each
    department's inspectors for the items it checks (the initiating departments: the items they check)."""
    others = {d.id for d in self_drawing(session, task)}
    if not others:
        return assignment.qualified(session, [d.id for d in departments], assignment.required_tags(items),
                                    task.period_start, task.period_end)
    groups: dict[frozenset, list[int]] = {}
    for dept in departments:
        own = items_of(task, items, dept.id) if dept.id in others else main_items(session, task, items)
        groups.setdefault(frozenset(assignment.required_tags(own)), []).append(dept.id)
    pool = [i for tags, ids in groups.items()
            for i in assignment.qualified(session, ids, set(tags), task.period_start, task.period_end)]
    return sorted(pool, key=lambda i: i.cert_no)

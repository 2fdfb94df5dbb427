"""The initiating draw of a joint task (联合抽查): what its record says about the parts still to come, and what
it leaves for the cooperating departments' own draws (planning.department_draws).

The initiating draw staffs the lead's part of each group (`group_size` less one member per cooperating
external department) and records which departments draw after it. Its inspections wait, unseen by the phones,
until every such department has drawn its member; each checklist item names the department that checks it.
Each cooperating department gets its own server seed here, at once, whose commitment the task page
publishes before that department seals and draws.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.models.planning import DrawRequest, Task
from server.models.registry import Department
from server.services.draw import v2 as draw_v2
from server.services.kernel import audit
from server.services.planning import joint

KIND = "department"
REASON = "联合抽查：配合部门为抽中的检查对象抽取本部门执法人员（每个对象 1 人）"


def main_block(session: Session, task: Task, block: dict) -> dict:
    """The task block of the initiating draw; for a joint task with its own group size and the departments
    that draw their own members after it."""
    others = joint.self_drawing(session, task)
    if not others:
        return block
    return {**block, "group_size": task.group_size - len(others),
            "joint_departments": [{"code": d.code, "name": d.name} for d in others]}


def annotate_checklist(task: Task, checklist: list[dict], names: dict[int, Department]) -> list[dict]:
    """Each item of the checklist with the department that checks it ({id, code, name})."""
    out = []
    for item in checklist:
        dept = names.get(joint.item_department_id(task, item.get("item_id")))
        out.append({**item, "department": {"id": dept.id, "code": dept.code, "name": dept.name} if dept else None})
    return out


def annotate(session: Session, task: Task, created: list[Inspection]) -> None:
    """Name each checklist item's department on inspections a 补抽 or 补派 of a joint task created, and hold them
    back: the bureau's draw staffed its part only, each cooperating department then gives the new target its
    member by its own 补派 (planning.department_parts)."""
    depts = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(task.department_ids)))}
    if not joint.self_drawing_of([depts[i] for i in task.department_ids if i in depts]):
        return
    for insp in created:
        insp.checklist_snapshot = annotate_checklist(task, insp.checklist_snapshot or [], depts)
        insp.group_complete = False
    session.flush()


def after_main_draw(session: Session, task: Task, created: list[Inspection]) -> None:
    """For a joint task: name each item's department, hold the inspections back until their groups are complete,
    and make each cooperating department's seed (its commitment is public from now on)."""
    depts = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(task.department_ids)))}
    others = joint.self_drawing_of([depts[i] for i in task.department_ids if i in depts])
    if not others:
        return
    for insp in created:
        insp.checklist_snapshot = annotate_checklist(task, insp.checklist_snapshot or [], depts)
        insp.group_complete = False
    for dept in others:
        seed = secrets.token_bytes(32)
        req = DrawRequest(task_id=task.id, kind=KIND, department_id=dept.id, reason=REASON, status="approved",
                          server_seed_hex=seed.hex(), commitment=draw_v2.commitment(seed),
                          requested_by_id=task.created_by_id)
        session.add(req)
        session.flush()
        audit.record(session, None, "draw.department_commit", req, detail={
            "task": task.code, "department": dept.code, "commitment": req.commitment})
    session.flush()

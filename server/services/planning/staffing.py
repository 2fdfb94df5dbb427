"""补派: staffing a target a draw left unstaffed, once the cause is gone (a recusal withdrawn, an inspector
added, requalified or given a valid 执法证).

Like 补抽 and 递补 (planning.supplementary) it needs a reason and the leader's approval, has its own
server seed committed when it is asked for, and is sealed and then drawn with a witness: the group of
that one target is drawn by the v2 rule from the pool as it is at the seal. A target that has been
staffed, or whose cause is still there, cannot be asked for, and nothing changes.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.inspections import Inspection
from server.models.planning import Draw, DrawRequest, Task
from server.models.registry import Target
from server.services.draw import assignment, v2 as draw_v2
from server.services.kernel.permissions import require_role
from server.services.planning import draw_requests, draws, joint, joint_block, task_closing


def _bureau_draws(task: Task) -> list[Draw]:
    """The draws of the bureau's part: a cooperating department's targets without its member are that
    department's own 补派 (planning.department_parts), shown with its part."""
    return [d for d in task.draws if not (d.kind or "").startswith("department")]


def leaving_draw(task: Task, uscc: str) -> tuple[Draw, dict] | None:
    """The latest draw of the task that left `uscc` unstaffed, with its unstaffed entry."""
    for made in sorted(_bureau_draws(task), key=lambda d: d.id, reverse=True):
        for entry in made.record.get("unstaffed", []):
            if entry["uscc"] == uscc:
                return made, entry
    return None


def staffed(session: Session, task: Task, uscc: str) -> Inspection | None:
    """An inspection of the task for the target (even a withdrawn one: it was staffed once)."""
    return session.scalars(select(Inspection).join(Target, Inspection.target_id == Target.id)
                           .where(Inspection.task_id == task.id, Target.uscc == uscc)).first()


def open_request(session: Session, task: Task, uscc: str) -> DrawRequest | None:
    return session.scalars(select(DrawRequest).where(
        DrawRequest.task_id == task.id, DrawRequest.kind == "staff_target", DrawRequest.target_uscc == uscc,
        DrawRequest.status.in_(("pending", "approved")))).first()


def cause(session: Session, task: Task, uscc: str) -> str | None:
    """Why the target still cannot be staffed from the pool and recusals as they are now, or None."""
    departments = joint.main_departments(session, task)  # in a joint task, the bureau's part only
    pool, pool_record = draws.eligible_pool(session, task, departments)
    recusals = [(r["cert_no"], r["uscc"]) for r in assignment.recusal_entries(session, pool, [uscc])]
    return draw_v2.staffing_problem(uscc, [draw_v2.InspectorRef(i["cert_no"], i["department"]) for i in pool_record],
                                    [d.code for d in departments], joint.main_group_size(session, task), recusals,
                                    {d.code: d.name for d in departments})


def unstaffed_view(session: Session, task: Task) -> list[dict]:
    """Every target a draw of the task left unstaffed: why, and whether it has been staffed or asked for."""
    rows, seen = [], set()
    for made in _bureau_draws(task):
        for entry in made.record.get("unstaffed", []):
            if entry["uscc"] in seen:
                continue
            seen.add(entry["uscc"])
            rows.append({"uscc": entry["uscc"], "reason": entry["reason"], "draw": made,
                         "staffed": staffed(session, task, entry["uscc"]),
                         "request": open_request(session, task, entry["uscc"])})
    return rows


def request_staffing(session: Session, actor, task_id: int, *, uscc: str, reason: str) -> DrawRequest:
    """Ask for a 补派 of a target the draw left unstaffed; refused while it is staffed or its cause remains."""
    require_role(actor, *draws.OPERATORS)
    uscc = (uscc or "").strip().upper()
    if not (reason or "").strip():
        raise ValidationError("请填写补派的理由（例如回避已撤回、已补充执法人员）", errors={"reason": "必填"})
    task = task_closing.lock_task(session, task_id)  # serializes with close_task
    if task.status == "closed":
        raise Conflict(draw_requests.CLOSED_MESSAGE)
    if task.status != "drawn":
        raise Conflict("任务尚未抽取，不能补派")
    left = leaving_draw(task, uscc)
    if left is None:
        raise ValidationError(f"对象 {uscc} 不是本任务抽取时无法派员的对象，不能补派", errors={"uscc": "无效"})
    _refuse_if_staffed(session, task, uscc)
    if open_request(session, task, uscc):
        raise Conflict(f"对象 {uscc} 已有尚未完成的补派申请，请先完成或等待审批")
    problem = cause(session, task, uscc)
    if problem:
        raise ValidationError(f"对象 {uscc} 仍无法派员：{problem}。请先处理原因（撤回回避、补充执法人员或更新资质、"
                              f"执法证）后再申请补派")
    name = session.scalar(select(Target.name).where(Target.uscc == uscc)) or ""
    return draw_requests.create_request(session, actor, task, kind="staff_target", reason=reason,
                                        title=f"{draws.KIND_LABELS['staff_target']}：{task.code} {name}",
                                        target_uscc=uscc)


def _refuse_if_staffed(session: Session, task: Task, uscc: str) -> None:
    if staffed(session, task, uscc):
        raise Conflict(f"对象 {uscc} 已派员（已生成检查），不需要补派")


def staff_inputs(session: Session, task: Task, parent: Draw, inspection, request: DrawRequest, departments):
    """The sealed inputs of a 补派: the one target, in the stratum it was drawn in, and the pool as it is now."""
    uscc = request.target_uscc
    _refuse_if_staffed(session, task, uscc)
    left, entry = leaving_draw(task, uscc)
    pairs = [(uscc, draw_requests.stratum_of(left, uscc, None))]
    inputs = {"selection_rule": "all", "population_listing": draws.listing_of(pairs),
              **draw_requests.pool_inputs(session, task, departments, [uscc]),
              "staffs": {"uscc": uscc, "unstaffed_reason": entry["reason"]}, "parent_draw_id": left.id}
    return inputs, pairs


def apply_staffing(session: Session, task: Task, draw: Draw, inspection, request: DrawRequest, record: dict) -> None:
    """The drawn group becomes the target's inspection."""
    _refuse_if_staffed(session, task, request.target_uscc)
    joint_block.annotate(session, task, assignment.create_inspections(session, task, draw, record["assignments"],
                                                                    assignment.load_items(session, task)))


APPROVAL_KINDS = [("draw_staff_target", "补派（为无法派员的对象派员）", draw_requests.on_approved,
                   draw_requests.on_rejected)]

"""A cooperating department's supplementary draws in its own part of a joint task (联合抽查): 补派 and 递补.

After its draw (planning.department_draws) a department may still owe members: its draw left a target
unstaffed (its only qualified inspector recused, or none available then), the bureau's 补抽 or 补派 brought a
new target, or its member cannot go (递补). Each is drawn like the department's draw: the request gets its own
server seed, committed at once; 封存 freezes the targets, the department's eligible inspectors and their
recusals; 抽取 runs `spotcheck-draw-v2` restricted to the department, one slot per target, with the witness's
text. The record names the department's own draw (`parent_record_sha256`) and is checked with the rest of the
task by draw.joint_checks. Only the department's part changes: the bureau's members and the other departments'
stay as they are, and an inspection whose group is now complete reaches the phones.

The department runs its own part, as it ran its draw: its staff or the office, with a reason that is recorded
and published with the record, and no bureau leader's approval (a leader approves the bureau's own 补抽, 递补
and 补派). A department has one such request open at a time.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, ValidationError
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, DrawRequest, DrawSeal, Task
from server.models.registry import Department, Inspector
from server.models.types import utcnow
from server.services.draw import assignment, v2 as draw_v2
from server.services.kernel import audit
from server.services.planning import department_draws, draw_requests, draws, seals, task_closing, tasks

STAFF_KIND, REPLACE_KIND = "department_staff", "department_replace"
KINDS = (STAFF_KIND, REPLACE_KIND)
OPEN = ("assigned", "in_progress", "returned")  # inspections whose group may still change
STATE_LABELS = {"ready": "待封存", "sealed": "已封存，待抽取", "drawn": "已抽取"}
FIX = ("请先在执法人员名录库中为“{dept}”补充执法人员，或认定已有人员的资质（在岗、执法证在任务期间全程有效、具备本部门事项"
       "的资质、与该对象没有回避关系），再申请")


def _open_part(session: Session, actor, task: Task, department_id: int) -> department_draws.Part:
    """The department's part, once it has drawn: supplementary draws come after the department's first draw."""
    part = department_draws.part_for(session, actor, task, department_id)
    if part.draw is None:
        raise Conflict(f"请先完成本部门的抽取：“{part.department.name}”尚未为本任务抽取本部门执法人员，"
                       f"还不能补派或递补本部门人员")
    return part


def missing(session: Session, task: Task, department_id: int) -> list[Inspection]:
    """The task's open inspections without an active member of the department, in order."""
    rows = session.scalars(select(Inspection).where(Inspection.task_id == task.id, Inspection.status.in_(OPEN))
                           .order_by(Inspection.id))
    return [i for i in rows if not any(m.active and m.department_id == department_id for m in i.members)]


def _stratum(session: Session, insp: Inspection) -> str:
    made = session.get(Draw, insp.draw_id) if insp.draw_id else None
    uscc = insp.target_snapshot.get("uscc")
    return draw_requests.stratum_of(made, uscc, insp.target_snapshot.get("risk_level")) if made else \
        insp.target_snapshot.get("risk_level") or "general"


def _problems(session: Session, dept: Department, pool: list[Inspector], inspections: list[Inspection],
              exclude: set[int] = frozenset()) -> list[tuple[Inspection, str]]:
    """The inspections the department cannot give a member to from `pool` (less `exclude`), with why."""
    refs = [draw_v2.InspectorRef(i.cert_no, dept.code) for i in pool if i.id not in exclude]
    usccs = [i.target_snapshot.get("uscc") for i in inspections]
    recused = [(r["cert_no"], r["uscc"]) for r in assignment.recusal_entries(session, pool, usccs)]
    out = []
    for insp in inspections:
        why = draw_v2.staffing_problem(insp.target_snapshot.get("uscc"), refs, [dept.code], 1, recused,
                                       {dept.code: dept.name})
        if why:
            out.append((insp, why))
    return out


def _refuse(dept: Department, what: str, problems: list[tuple[Inspection, str]]) -> None:
    names = "；".join(f"{i.target_snapshot.get('name', '')}（{i.target_snapshot.get('uscc')}）" for i, _ in problems)
    raise ValidationError(f"{what}：{names} 仍没有“{dept.name}”可派的执法人员（{problems[0][1]}）。"
                          + FIX.format(dept=dept.name))


def _refuse_if_open(session: Session, task: Task, dept: Department) -> None:
    if session.scalar(select(DrawRequest.id).where(DrawRequest.task_id == task.id, DrawRequest.department_id == dept.id,
                                                   DrawRequest.kind.in_(KINDS), DrawRequest.status == "approved")):
        raise Conflict(f"“{dept.name}”已有尚未抽取的本部门补派或递补，请先封存、抽取该次，再申请新的")


def _reason(reason: str, hint: str) -> str:
    if not (reason or "").strip():
        raise ValidationError(f"请填写理由（{hint}）", errors={"reason": "必填"})
    return reason.strip()


def _request(session: Session, actor, task: Task, dept: Department, kind: str, reason: str,
             inspection: Inspection | None = None, member: InspectionMember | None = None) -> DrawRequest:
    """The request, with its own server seed committed now; the department's part needs no leader's approval."""
    seed = secrets.token_bytes(32)
    req = DrawRequest(task_id=task.id, kind=kind, department_id=dept.id, reason=reason, status="approved",
                      inspection_id=inspection.id if inspection else None, member_id=member.id if member else None,
                      target_uscc=inspection.target_snapshot.get("uscc") if inspection else None,
                      server_seed_hex=seed.hex(), commitment=draw_v2.commitment(seed), requested_by_id=actor.id)
    session.add(req)
    session.flush()
    audit.record(session, actor, "draw.request", req, detail={
        "kind": kind, "task": task.code, "department": dept.code, "commitment": req.commitment}, reason=reason)
    return req


def request_staffing(session: Session, actor, task_id: int, department_id: int, *, reason: str) -> DrawRequest:
    """本部门补派: ask to draw the department's member for every open inspection of the task still without one."""
    reason = _reason(reason, "例如已补充本部门执法人员、回避已撤回")
    task = task_closing.lock_task(session, task_id)  # serializes with close_task
    part = _open_part(session, actor, task, department_id)
    dept = part.department
    targets = missing(session, task, dept.id)
    if not targets:
        raise ValidationError(f"本任务的检查组都已有“{dept.name}”的人员，不需要补派")
    _refuse_if_open(session, task, dept)
    _, pool = department_draws.department_pool(session, task, dept)
    problems = _problems(session, dept, pool, targets)
    if len(problems) == len(targets):
        _refuse(dept, "不能补派", problems)
    return _request(session, actor, task, dept, STAFF_KIND, reason)


def request_replacement(session: Session, actor, inspection_id: int, member_id: int, *, reason: str) -> DrawRequest:
    """本部门递补: ask to replace a member of the department who cannot go by another of its inspectors."""
    reason = _reason(reason, "回避或无法参加")
    insp = session.get(Inspection, inspection_id)
    if insp is None:
        raise NotFound("检查不存在")
    task = task_closing.lock_task(session, insp.task_id)
    member = session.get(InspectionMember, member_id) if member_id else None
    if member is None or member.inspection_id != insp.id or not member.active:
        raise ValidationError("请选择检查组中需要替换的执法人员", errors={"member_id": "无效"})
    part = _open_part(session, actor, task, member.department_id)
    dept = part.department
    if insp.status not in OPEN:
        raise Conflict("该检查已提交、已审核或已撤回，不能再递补")
    if session.scalar(select(DrawRequest.id).where(DrawRequest.inspection_id == insp.id,
                                                   DrawRequest.status.in_(("pending", "approved")))):
        raise Conflict("该检查已有尚未完成的补充抽取申请，请先完成或等待审批")
    _refuse_if_open(session, task, dept)
    _, pool = department_draws.department_pool(session, task, dept)
    problems = _problems(session, dept, pool, [insp], exclude={m.inspector_id for m in insp.members})
    if problems:
        _refuse(dept, "不能递补", problems)
    return _request(session, actor, task, dept, REPLACE_KIND, reason, insp, member)


def get_request(session: Session, actor, request_id: int) -> tuple[Task, department_draws.Part, DrawRequest]:
    """A department part request the actor may act on, with its task and part."""
    req = session.get(DrawRequest, request_id)
    if req is None or req.kind not in KINDS:
        raise NotFound("本部门补派或递补申请不存在")
    task = tasks.get_task(session, req.task_id)
    return task, _open_part(session, actor, task, req.department_id), req


def _targets(session: Session, task: Task, req: DrawRequest) -> list[Inspection]:
    if req.kind == STAFF_KIND:
        return missing(session, task, req.department_id)
    insp = session.get(Inspection, req.inspection_id)
    leaving = session.get(InspectionMember, req.member_id)
    if insp.status not in OPEN or not leaving.active:
        raise Conflict("该检查已提交、已审核或已撤回，或该人员已被替换，不能再递补")
    return [insp]


def seal_request(session: Session, actor, request_id: int) -> DrawSeal:
    """封存 a department's 补派 or 递补: its targets, its eligible inspectors and their recusals."""
    task, part, req = get_request(session, actor, request_id)
    req = session.get(DrawRequest, req.id, with_for_update=True, populate_existing=True)
    if req.status != "approved":
        raise Conflict("该次本部门补派或递补已完成，抽取结果已锁定，不能重复抽取")
    dept = part.department
    targets = _targets(session, task, req)
    if not targets:
        raise ValidationError(f"本任务的检查组都已有“{dept.name}”的人员，不需要再补派")
    items, pool = department_draws.department_pool(session, task, dept)
    exclude = {m.inspector_id for m in targets[0].members} if req.kind == REPLACE_KIND else set()
    pool = [i for i in pool if i.id not in exclude]
    problems = _problems(session, dept, pool, targets)
    if len(problems) == len(targets):
        _refuse(dept, "未封存", problems)
    pairs = sorted({(i.target_snapshot.get("uscc"), _stratum(session, i)) for i in targets})
    inputs = {"kind": req.kind, "selection_rule": "all", "task": department_draws.department_block(session, task, dept, items),
              "population_listing": draws.listing_of(pairs), "reason": req.reason,
              "inspectors": assignment.pool_entries(pool, {dept.id: dept.code}),
              "recusals": seals.sealed_recusals(assignment.recusal_entries(session, pool, [u for u, _ in pairs])),
              "parent_record_sha256": part.draw.record_sha256}
    if req.kind == REPLACE_KIND:
        leaving = session.get(InspectionMember, req.member_id)
        inputs["replaces"] = {"cert_no": leaving.inspector.cert_no, "inspection_id": targets[0].id,
                              "uscc": pairs[0][0]}
    return seals.freeze(session, actor, task, inputs, pairs, request=req)


def run_request(session: Session, actor, request_id: int, *, witness_entropy: str, confirmed: bool,
                seal_id: int | None = None) -> Draw:
    """抽取 a department's sealed 补派 or 递补 once, with its own seed and witness; only its part changes."""
    task, part, req = get_request(session, actor, request_id)
    entropy = department_draws.witness(witness_entropy, confirmed)
    if req.status != "approved":
        raise Conflict("该次本部门补派或递补已完成，抽取结果已锁定，不能重复抽取")
    sealed = seals.for_draw(session, task, req, seal_id)
    targets = _targets(session, task, req)  # refused if the inspection moved on since the seal
    inputs = seals.record_inputs(sealed, server_seed=req.server_seed_hex, witness_entropy=entropy)
    record = draws.complete_record(inputs, draws.pool_names(session, inputs["inspectors"]))
    if record["commitment"] != req.commitment:
        raise Conflict("服务器种子与已公开的承诺值不符，已停止抽取；请联系管理员")
    if not record["assignments"]:
        raise ValidationError(f"仍无法派员：{record['unstaffed'][0]['reason']}。" + FIX.format(dept=part.department.name)
                              + "，并重新封存")
    moved = session.execute(update(DrawRequest).where(DrawRequest.id == req.id, DrawRequest.status == "approved")
                            .values(status="drawn").execution_options(synchronize_session=False))
    session.refresh(req)
    if moved.rowcount != 1:
        raise Conflict("该次本部门补派或递补已完成或正在进行，不能重复抽取")
    made = draws.save_draw(session, actor, task, record, kind=req.kind, parent=part.draw, reason=req.reason)
    req.draw_id = made.id
    seals.mark_used(sealed, made)
    if req.kind == REPLACE_KIND:
        leaving = session.get(InspectionMember, req.member_id)
        leaving.active, leaving.replaced_by_draw_id, leaving.note = False, made.id, req.reason
        targets[0].changed_at = utcnow()
        session.flush()
    added = department_draws.add_members(session, task, made, record["assignments"])
    audit.record(session, actor, "draw.department_supplementary", made, detail={
        "kind": req.kind, "task": task.code, "department": part.department.code, "members": added,
        "unstaffed": len(record["unstaffed"]), "record_sha256": record["record_sha256"],
        "seal_sha256": record["seal"]["seal_sha256"]}, reason=req.reason)
    return made


def requests_of(session: Session, task: Task, department_id: int) -> list[DrawRequest]:
    """The department's 补派 and 递补 in the task, oldest first."""
    return list(session.scalars(select(DrawRequest).where(
        DrawRequest.task_id == task.id, DrawRequest.department_id == department_id, DrawRequest.kind.in_(KINDS))
        .order_by(DrawRequest.id)))


def state_of(session: Session, task: Task, req: DrawRequest) -> str:
    if req.status == "drawn":
        return "drawn"
    return "sealed" if seals.current(session, task, req) is not None else "ready"

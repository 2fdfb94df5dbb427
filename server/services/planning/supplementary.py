"""Supplementary draws: 补抽 (replace a target that closed, moved or cannot be found), 递补 (replace an
inspector who must recuse or cannot take part) — DESIGN §3 rules 4–5 — and, through planning.staffing,
补派 (staff a target the draw left unstaffed, once the cause is gone).

Each needs a reason and a leader's approval. Its own server seed is made when it is requested and
its commitment shown on the public task page at once, so the seed cannot be picked after the
leader's decision. Once approved it is drawn like the main draw, in two recorded steps: 封存 freezes its
inputs and publishes their hashes, then the witness types and `spotcheck-draw-v2` runs on them, with a
record that names its parent draw. Nothing is overwritten: the replaced target's inspection is
withdrawn and stays visible; a replaced inspector stays on the group, inactive.
"""
from __future__ import annotations


from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.approvals import Approval
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, DrawRequest, DrawSeal, Task
from server.models.registry import Inspector, Target
from server.models.types import utcnow
from server.services.draw import assignment, v2 as draw_v2
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role
from server.services.planning import department_draws, department_parts, joint, joint_block, seals, staffing, task_closing, tasks
from server.services.planning.draw_requests import (  # the request plumbing 补抽, 递补 and 补派 share
    CLOSED_MESSAGE, create_request, on_approved, on_rejected, pool_inputs, stratum_of,
)
from server.services.planning.draws import (
    KIND_LABELS, OPERATORS, check_operator, complete_record, listing_of, main_draw, pool_names,
    save_draw, task_block,
)

REPLACEABLE = ("assigned", "in_progress", "returned")
STRATUM_LABELS = tasks.STRATUM_LABELS
NOT_REPLACEABLE_MESSAGE = "该检查已提交、已审核或已撤回，不能再补抽或递补"


def get_inspection(session: Session, inspection_id: int) -> Inspection:
    """The inspection a 补抽 or 递补 is asked for."""
    return get_or_raise(session, Inspection, inspection_id, "检查不存在")


def get_request(session: Session, request_id: int) -> DrawRequest:
    return get_or_raise(session, DrawRequest, request_id, "补充抽取申请不存在")


def request_supplementary(session: Session, actor, inspection_id: int, *, kind: str, reason: str,
                          member_id: int | None = None) -> DrawRequest:
    """Ask for a 补抽 (replace_target) or 递补 (replace_inspector); its seed is committed now."""
    require_role(actor, *OPERATORS)
    inspection = get_inspection(session, inspection_id)
    if kind not in ("replace_target", "replace_inspector"):
        raise ValidationError("补充抽取类型应为补抽或递补")
    if not (reason or "").strip():
        raise ValidationError("请填写补充抽取的理由", errors={"reason": "必填"})
    task = task_closing.lock_task(session, inspection.task_id)  # serializes with close_task
    if task.status == "closed":
        raise Conflict(CLOSED_MESSAGE)
    if inspection.status not in REPLACEABLE:
        raise Conflict(NOT_REPLACEABLE_MESSAGE)
    if kind == "replace_target" and task.task_type == "targeted":
        raise ValidationError("靶向检查的对象由投诉举报、转办交办等来源确定，不能补抽；如有需要请另建靶向任务")
    if kind == "replace_inspector":
        member = session.get(InspectionMember, member_id) if member_id else None
        if member is None or member.inspection_id != inspection.id or not member.active:
            raise ValidationError("请选择检查组中需要替换的执法人员", errors={"member_id": "无效"})
        if member.department_id in {d.id for d in joint.self_drawing(session, task)}:
            # a cooperating department's member is replaced in that department's part, by its own draw
            return department_parts.request_replacement(session, actor, inspection.id, member.id, reason=reason)
    open_request = session.scalar(select(DrawRequest.id).where(
        DrawRequest.inspection_id == inspection.id, DrawRequest.status.in_(("pending", "approved"))))
    if open_request:
        raise Conflict("该检查已有尚未完成的补充抽取申请，请先完成或等待审批")
    title = f"{KIND_LABELS[kind]}：{task.code} {inspection.target_snapshot.get('name', '')}"
    return create_request(session, actor, task, kind=kind, reason=reason, title=title, inspection_id=inspection.id,
                          member_id=member_id)


APPROVAL_KINDS = [("draw_replace_target", "补抽（替换检查对象）", on_approved, on_rejected),
                  ("draw_replace_inspector", "递补（替换执法人员）", on_approved, on_rejected)]


def _kind(request: DrawRequest):
    """(build sealed inputs, apply the drawn record) for the request's kind."""
    if request.kind == "staff_target":
        return staffing.staff_inputs, staffing.apply_staffing
    if request.kind == "replace_target":
        return _replace_target_inputs, _apply_replace_target
    return _replace_inspector_inputs, _apply_replace_inspector


def _check_open(session: Session, request: DrawRequest) -> tuple[Task, Inspection | None]:
    task = tasks.get_task(session, request.task_id)
    if task.status == "closed":
        raise Conflict(CLOSED_MESSAGE)
    inspection = session.get(Inspection, request.inspection_id) if request.inspection_id else None
    if inspection is not None and inspection.status not in REPLACEABLE:
        raise Conflict(NOT_REPLACEABLE_MESSAGE)
    return task, inspection


def _refuse_unless_approved(request: DrawRequest) -> None:
    if request.status == "pending":
        raise Conflict("该补充抽取尚未获得领导批准，不能封存或抽取")
    if request.status == "rejected":
        raise Conflict("该补充抽取申请未获批准，不能抽取")
    if request.status != "approved":
        raise Conflict("该补充抽取已完成，抽取结果已锁定，不能重复抽取")


def seal_supplementary(session: Session, actor, request_id: int) -> DrawSeal:
    """封存 an approved supplementary draw's inputs; their hashes are public at once."""
    require_role(actor, *OPERATORS)
    request = get_or_raise(session, DrawRequest, request_id, "补充抽取申请不存在", with_for_update=True,
                           populate_existing=True)  # waits for a draw of it in progress, then sees it drawn
    _refuse_unless_approved(request)
    task, inspection = _check_open(session, request)
    build, _ = _kind(request)
    departments = joint.main_departments(session, task)  # in a joint task, the bureau's part only
    inputs, pairs = build(session, task, main_draw(session, task), inspection, request, departments)
    block = joint_block.main_block(session, task, task_block(session, task, departments))
    inputs.update({"kind": request.kind, "task": block, "reason": request.reason})
    if request.kind != "replace_target":  # one known target: whether a group can be formed is known now
        problem = draw_v2.staffing_problem(
            pairs[0][0], [draw_v2.InspectorRef(i["cert_no"], i["department"]) for i in inputs["inspectors"]],
            [d.code for d in departments], block["group_size"], [(r["cert_no"], r["uscc"]) for r in inputs["recusals"]],
            {d.code: d.name for d in departments},
            [draw_v2.InspectorRef(i["cert_no"], i["department"]) for m in inputs.get("existing_members", [])
             for i in m["inspectors"]])
        if problem:
            what = "没有可递补的执法人员" if request.kind == "replace_inspector" else "无法派员的原因仍然存在"
            raise ValidationError(f"{what}：{problem}；请先补充或重新认定执法人员、处理回避后再封存")
    return seals.freeze(session, actor, task, inputs, pairs, request)


def _claim_request(session: Session, request_id: int) -> DrawRequest:
    request = get_request(session, request_id)
    moved = session.execute(update(DrawRequest).where(DrawRequest.id == request.id, DrawRequest.status == "approved")
                            .values(status="drawn").execution_options(synchronize_session=False))
    session.refresh(request)
    if moved.rowcount != 1:
        _refuse_unless_approved(request)
    return request


def run_supplementary(session: Session, actor, request_id: int, *, witness_entropy: str, confirmed: bool,
                      seal_id: int | None = None) -> Draw:
    """Draw an approved, sealed supplementary request once; its record is locked like the main one."""
    entropy = check_operator(actor, witness_entropy, confirmed)
    request = get_request(session, request_id)
    _refuse_unless_approved(request)
    task, inspection = _check_open(session, request)
    sealed = seals.for_draw(session, task, request, seal_id)
    request = _claim_request(session, request_id)
    parent = session.get(Draw, sealed.inputs["parent_draw_id"]) if sealed.inputs.get("parent_draw_id") \
        else main_draw(session, task)
    inputs = seals.record_inputs(sealed, server_seed=request.server_seed_hex, witness_entropy=entropy)
    inputs.pop("parent_draw_id", None)
    inputs["parent_record_sha256"] = parent.record_sha256
    record = complete_record(inputs, pool_names(session, inputs["inspectors"]))
    if record["commitment"] != request.commitment:
        raise Conflict("服务器种子与已公开的承诺值不符，已停止抽取；请联系管理员")
    if request.kind != "replace_target" and record["unstaffed"]:
        what = "没有可递补的执法人员" if request.kind == "replace_inspector" else "仍无法派员"
        raise ValidationError(f"{what}：{record['unstaffed'][0]['reason']}；请补充执法人员后重新封存再抽取")
    approval = session.get(Approval, request.approval_id)
    draw = save_draw(session, actor, task, record, kind=request.kind, parent=parent, reason=request.reason,
                     approved_by_id=approval.decided_by_id if approval else None)
    request.draw_id = draw.id
    seals.mark_used(sealed, draw)
    _kind(request)[1](session, task, draw, inspection, request, record)
    audit.record(session, actor, "draw.supplementary", draw, detail={
        "kind": request.kind, "task": task.code, "inspection": request.inspection_id,
        "record_sha256": record["record_sha256"], "seal_sha256": record["seal"]["seal_sha256"],
        "selected": [s["uscc"] for s in record["selections"]], "unstaffed": len(record["unstaffed"])},
        reason=request.reason)
    return draw


def _replace_target_inputs(session: Session, task: Task, parent: Draw, inspection: Inspection,
                           request: DrawRequest, departments):
    stratum = stratum_of(parent, inspection.target_snapshot.get("uscc"), inspection.target_snapshot.get("risk_level"))
    used = set(session.scalars(select(Target.uscc).join(Inspection, Inspection.target_id == Target.id)
                               .where(Inspection.task_id == task.id)))
    for d in session.scalars(select(Draw).where(Draw.task_id == task.id)):
        used.update(s["uscc"] for s in d.record.get("selections", []))
    pairs, _ = tasks.population(session, task)
    pairs = [(u, k) for u, k in pairs if k == stratum and u not in used]
    if not pairs:
        raise ValidationError(f"风险等级“{STRATUM_LABELS.get(stratum, stratum)}”中已没有可补抽的检查对象，"
                              f"未封存（本次申请仍可在补充对象后再封存、抽取）")
    inputs = {"selection_rule": "counts", "counts": {stratum: 1}, "population_listing": listing_of(pairs),
              **pool_inputs(session, task, departments, [u for u, _ in pairs]),
              "replaces": {"uscc": inspection.target_snapshot.get("uscc"), "inspection_id": inspection.id}}
    return inputs, pairs


def _replace_inspector_inputs(session: Session, task: Task, parent: Draw, inspection: Inspection,
                              request: DrawRequest, departments):
    uscc = inspection.target_snapshot.get("uscc")
    codes = {d.id: d.code for d in departments}
    leaving = session.get(InspectionMember, request.member_id)
    staying = [m for m in inspection.members if m.active and m.id != leaving.id and m.department_id in codes]
    existing = [{"cert_no": m.inspector.cert_no, "name": m.inspector.name,
                 "department": codes.get(m.department_id, "")} for m in staying]
    pairs = [(uscc, stratum_of(parent, uscc, inspection.target_snapshot.get("risk_level")))]
    inputs = {"selection_rule": "all", "population_listing": listing_of(pairs),
              **pool_inputs(session, task, departments, [uscc], exclude={m.inspector_id for m in inspection.members}),
              "existing_members": [{"uscc": uscc, "inspectors": existing}],
              "replaces": {"cert_no": leaving.inspector.cert_no, "inspection_id": inspection.id, "uscc": uscc}}
    return inputs, pairs


def _apply_replace_target(session: Session, task: Task, draw: Draw, inspection: Inspection, request: DrawRequest,
                          record: dict) -> None:
    inspection.status = "withdrawn"
    inspection.changed_at = utcnow()
    joint_block.annotate(session, task, assignment.create_inspections(session, task, draw, record["assignments"],
                                                                    assignment.load_items(session, task)))


def _apply_replace_inspector(session: Session, task: Task, draw: Draw, inspection: Inspection,
                             request: DrawRequest, record: dict) -> None:
    leaving = session.get(InspectionMember, request.member_id)
    leaving.active = False
    leaving.replaced_by_draw_id = draw.id
    leaving.note = request.reason
    certs = [i["cert_no"] for i in record["assignments"][0]["inspectors"]]
    for person in session.scalars(select(Inspector).where(Inspector.cert_no.in_(certs))):
        inspection.members.append(InspectionMember(inspector_id=person.id, department_id=person.department_id,
                                                   added_by_draw_id=draw.id))
    inspection.changed_at = utcnow()
    session.flush()
    department_draws.refresh_completeness(session, task, [inspection])


def requests_for(session: Session, task: Task) -> list[DrawRequest]:
    return list(session.scalars(select(DrawRequest).where(DrawRequest.task_id == task.id,
                                                          DrawRequest.kind != "department").order_by(DrawRequest.id)))

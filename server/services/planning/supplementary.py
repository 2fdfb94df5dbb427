"""Supplementary draws: 补抽 (replace a target that closed, moved or cannot be found) and 递补 (replace an
inspector who must recuse or cannot take part) — DESIGN §3 rules 4–5.

Each needs a reason and a leader's approval. Its own server seed is made when it is requested and
its commitment shown on the public task page at once, so the seed cannot be picked after the
leader's decision; the draw then runs with a witness's entropy like the main one, with
`spotcheck-draw-v1` and a record that names its parent draw. Nothing is overwritten: the replaced
target's inspection is withdrawn and stays visible; a replaced inspector stays on the group, inactive.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.approvals import Approval
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, DrawRequest, Task
from server.models.registry import Inspector, Target
from server.models.types import utcnow
from server.services.draw import assignment, v1 as draw_v1
from server.services.kernel import approvals, audit
from server.services.kernel.paging import get_or_raise
from server.services.planning import task_closing, tasks
from server.services.planning.draws import (
    KIND_LABELS, OPERATORS, check_operator, complete_record, eligible_pool, listing_of, main_draw, save_draw,
    task_block,
)
from server.services.kernel.permissions import require_role

REPLACEABLE = ("assigned", "in_progress", "returned")
STRATUM_LABELS = tasks.STRATUM_LABELS
CLOSED_MESSAGE = "该任务已结束，不能再补抽或递补；如需再次检查，请新建抽查任务"
NOT_REPLACEABLE_MESSAGE = "该检查已提交、已审核或已撤回，不能再补抽或递补"
REQUEST_STATUSES = {"pending": "待领导审批", "approved": "已批准，待抽取", "rejected": "未获批准", "drawn": "已抽取"}


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
    open_request = session.scalar(select(DrawRequest.id).where(
        DrawRequest.inspection_id == inspection.id, DrawRequest.status.in_(("pending", "approved"))))
    if open_request:
        raise Conflict("该检查已有尚未完成的补充抽取申请，请先完成或等待审批")
    seed = secrets.token_bytes(32)
    request = DrawRequest(task_id=task.id, kind=kind, inspection_id=inspection.id, member_id=member_id,
                          reason=reason.strip(), server_seed_hex=seed.hex(), commitment=draw_v1.commitment(seed),
                          requested_by_id=actor.id)
    session.add(request)
    session.flush()
    title = f"{KIND_LABELS[kind]}：{task.code} {inspection.target_snapshot.get('name', '')}"
    approval = approvals.request(session, actor, kind=f"draw_{kind}", obj=request, title=title, reason=reason,
                                 payload={"inspection_id": inspection.id, "member_id": member_id})
    request.approval_id = approval.id
    audit.record(session, actor, "draw.request", request, detail={"kind": kind, "task": task.code,
                                                                  "commitment": request.commitment}, reason=reason)
    return request


def _on_decided(status: str):
    def handler(session: Session, actor, approval: Approval) -> None:
        request = session.get(DrawRequest, int(approval.object_id))
        request.status = status
        audit.record(session, actor, f"draw.request_{status}", request, detail={"kind": request.kind},
                     reason=approval.decision_note)
    return handler


APPROVAL_KINDS = [("draw_replace_target", "补抽（替换检查对象）", _on_decided("approved"), _on_decided("rejected")),
                  ("draw_replace_inspector", "递补（替换执法人员）", _on_decided("approved"), _on_decided("rejected"))]


def _claim_request(session: Session, request_id: int) -> DrawRequest:
    request = get_request(session, request_id)
    moved = session.execute(update(DrawRequest).where(DrawRequest.id == request.id, DrawRequest.status == "approved")
                            .values(status="drawn").execution_options(synchronize_session=False))
    session.refresh(request)
    if moved.rowcount == 1:
        return request
    if request.status == "pending":
        raise Conflict("该补充抽取尚未获得领导批准，不能抽取")
    if request.status == "rejected":
        raise Conflict("该补充抽取申请未获批准，不能抽取")
    raise Conflict("该补充抽取已完成，抽取结果已锁定，不能重复抽取")


def run_supplementary(session: Session, actor, request_id: int, *, witness_entropy: str, confirmed: bool) -> Draw:
    """Run an approved supplementary draw once; its record is sealed and locked like the main one."""
    entropy = check_operator(actor, witness_entropy, confirmed)
    request = _claim_request(session, request_id)
    task = tasks.get_task(session, request.task_id)
    if task.status == "closed":
        raise Conflict(CLOSED_MESSAGE)
    inspection = session.get(Inspection, request.inspection_id)
    if inspection.status not in REPLACEABLE:
        raise Conflict(NOT_REPLACEABLE_MESSAGE)
    parent = main_draw(session, task)
    departments = tasks.task_departments(session, task)
    build = _replace_target_inputs if request.kind == "replace_target" else _replace_inspector_inputs
    inputs, names = build(session, task, parent, inspection, request, departments)
    inputs.update({"kind": request.kind, "task": task_block(session, task, departments),
                   "server_seed": request.server_seed_hex, "witness_entropy": entropy, "reason": request.reason,
                   "parent_record_sha256": parent.record_sha256, "drawn_at": utcnow().isoformat(timespec="seconds")})
    record = complete_record(inputs, names)
    if record["commitment"] != request.commitment:
        raise Conflict("服务器种子与已公开的承诺值不符，已停止抽取；请联系管理员")
    if request.kind == "replace_inspector" and record["unstaffed"]:
        raise ValidationError(f"没有可递补的执法人员：{record['unstaffed'][0]['reason']}；请补充执法人员后再抽取")
    approval = session.get(Approval, request.approval_id)
    draw = save_draw(session, actor, task, record, kind=request.kind, parent=parent, reason=request.reason,
                 approved_by_id=approval.decided_by_id if approval else None)
    request.draw_id = draw.id
    if request.kind == "replace_target":
        _apply_replace_target(session, task, draw, inspection, record)
    else:
        _apply_replace_inspector(session, draw, inspection, request, record)
    audit.record(session, actor, "draw.supplementary", draw, detail={
        "kind": request.kind, "task": task.code, "inspection": inspection.id, "record_sha256": record["record_sha256"],
        "selected": [s["uscc"] for s in record["selections"]], "unstaffed": len(record["unstaffed"])},
        reason=request.reason)
    return draw


def _stratum_of(parent: Draw, inspection: Inspection) -> str:
    uscc = inspection.target_snapshot.get("uscc")
    for s in parent.record.get("selections", []):
        if s["uscc"] == uscc:
            return s["stratum"]
    return inspection.target_snapshot.get("risk_level") or "general"


def _replace_target_inputs(session: Session, task: Task, parent: Draw, inspection: Inspection,
                           request: DrawRequest, departments) -> dict:
    stratum = _stratum_of(parent, inspection)
    used = set(session.scalars(select(Target.uscc).join(Inspection, Inspection.target_id == Target.id)
                               .where(Inspection.task_id == task.id)))
    for d in session.scalars(select(Draw).where(Draw.task_id == task.id)):
        used.update(s["uscc"] for s in d.record.get("selections", []))
    pairs, _ = tasks.population(session, task)
    pairs = [(u, k) for u, k in pairs if k == stratum and u not in used]
    if not pairs:
        raise ValidationError(f"风险等级“{STRATUM_LABELS.get(stratum, stratum)}”中已没有可补抽的检查对象，"
                              f"未进行补抽（本次申请仍可在补充对象后再抽取）")
    pool, pool_record = eligible_pool(session, task, departments)
    return {"selection_rule": "counts", "counts": {stratum: 1}, "population_listing": listing_of(pairs),
            "inspectors": pool_record, "recusals": assignment.recusal_entries(session, pool, [u for u, _ in pairs]),
            "replaces": {"uscc": inspection.target_snapshot.get("uscc"), "inspection_id": inspection.id}}, \
        {i.cert_no: i.name for i in pool}


def _replace_inspector_inputs(session: Session, task: Task, parent: Draw, inspection: Inspection,
                              request: DrawRequest, departments) -> dict:
    uscc = inspection.target_snapshot.get("uscc")
    codes = {d.id: d.code for d in departments}
    leaving = session.get(InspectionMember, request.member_id)
    staying = [m for m in inspection.members if m.active and m.id != leaving.id]
    pool, pool_record = eligible_pool(session, task, departments, exclude={m.inspector_id for m in inspection.members})
    existing = [{"cert_no": m.inspector.cert_no, "name": m.inspector.name,
                 "department": codes.get(m.department_id, "")} for m in staying]
    listing = listing_of([(uscc, _stratum_of(parent, inspection))])
    return {"selection_rule": "all", "population_listing": listing,
            "inspectors": pool_record, "recusals": assignment.recusal_entries(session, pool, [uscc]),
            "existing_members": [{"uscc": uscc, "inspectors": existing}],
            "replaces": {"cert_no": leaving.inspector.cert_no, "inspection_id": inspection.id, "uscc": uscc}}, \
        {i.cert_no: i.name for i in pool}


def _apply_replace_target(session: Session, task: Task, draw: Draw, inspection: Inspection, record: dict) -> None:
    inspection.status = "withdrawn"
    inspection.changed_at = utcnow()
    assignment.create_inspections(session, task, draw, record["assignments"], assignment.load_items(session, task))


def _apply_replace_inspector(session: Session, draw: Draw, inspection: Inspection, request: DrawRequest,
                             record: dict) -> None:
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


def requests_for(session: Session, task: Task) -> list[DrawRequest]:
    return list(session.scalars(select(DrawRequest).where(DrawRequest.task_id == task.id).order_by(DrawRequest.id)))

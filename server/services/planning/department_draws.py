"""Each cooperating department draws its own members of a joint task (联合抽查, DESIGN §5 rule 4 restricted to
the department, one slot per target).

After the initiating draw has selected the targets (planning.draws), each cooperating external department
seals and draws, like the main draw: 封存 freezes the targets the initiating draw staffed (as a listing with
their strata), the department's eligible inspectors (qualified for its own items) and their recusals; 抽取
runs `spotcheck-draw-v2` on them with the department's own server seed (committed right after the initiating
draw, planning.joint_block) and its own witness text, selecting every listed target (rule "all") and one
member of that department for each. The record names the initiating record (`parent_record_sha256`) and is
verified like any other; `draw.joint_checks` checks that its targets are those the initiating draw staffed.

The office or a dept_staff account of that department runs it; each department draws once. An inspection's
group is complete, and phones receive it, once every cooperating department has given it a member.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, PermissionDenied, ValidationError
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, DrawRequest, DrawSeal, Task
from server.models.registry import Department, Inspector, Target
from server.models.types import utcnow
from server.services.draw import assignment, v2 as draw_v2
from server.services.kernel import audit
from server.services.kernel.permissions import DEPT_STAFF, require_role, require_task_in_scope
from server.services.kernel.workdays import local_text
from server.services.planning import draws, joint, joint_block, seals, tasks

RUNNERS = ("admin", "office", DEPT_STAFF)
STATE_LABELS = {"waiting": "等待发起部门抽取检查对象", "ready": "待封存", "sealed": "已封存，待抽取", "drawn": "已抽取"}


@dataclass
class Part:
    """One cooperating department's part of a joint task's draw."""

    department: Department
    request: DrawRequest | None
    seal: DrawSeal | None
    draw: Draw | None

    @property
    def state(self) -> str:
        if self.draw is not None:
            return "drawn"
        if self.request is None:
            return "waiting"
        return "sealed" if self.seal is not None else "ready"

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


def parts(session: Session, task: Task) -> list[Part]:
    """Every cooperating department that draws its own members, in task order, with where its draw stands."""
    reqs = {r.department_id: r for r in session.scalars(select(DrawRequest).where(
        DrawRequest.task_id == task.id, DrawRequest.kind == joint_block.KIND))}
    out = []
    for dept in joint.self_drawing(session, task):
        req = reqs.get(dept.id)
        made = session.get(Draw, req.draw_id) if req and req.draw_id else None
        sealed = seals.current(session, task, req) if req and made is None else None
        out.append(Part(dept, req, sealed, made))
    return out


def part_for(session: Session, actor, task: Task, department_id: int) -> Part:
    """The department's part of the task, once the actor may act on it (the office, or that department's own
    staff) and the task is open; refused with what to do otherwise."""
    require_role(actor, *RUNNERS)
    require_task_in_scope(actor, task)
    dept = session.get(Department, department_id)
    if dept is None:
        raise NotFound("找不到该部门")
    if actor.role == DEPT_STAFF and actor.department_id != dept.id:
        raise PermissionDenied(f"您只能为本部门抽取执法人员，不能为“{dept.name}”抽取")
    part = next((p for p in parts(session, task) if p.department.id == dept.id), None)
    if part is None:
        raise Conflict(f"部门“{dept.name}”不是本任务中自行抽取人员的配合部门（只有参与联合抽查的外部部门自行抽取）")
    if task.status == "closed":
        raise Conflict("该任务已结束，不能再抽取")
    return part


def _part(session: Session, actor, task_id: int, department_id: int) -> tuple[Task, Part]:
    """The task and the department's part, once the actor may run its draw; refused with what to do otherwise."""
    task = tasks.get_task(session, task_id)
    part = part_for(session, actor, task, department_id)
    dept = part.department
    if part.request is None or draws.main_draw(session, task) is None:
        raise Conflict(f"发起部门尚未抽取检查对象，“{dept.name}”还不能抽取本部门人员；请待发起部门完成抽取后再封存、抽取")
    if part.draw is not None:
        raise Conflict(f"“{dept.name}”已于 {local_text(part.draw.drawn_at)} 完成本部门人员抽取，结果已锁定，不能重复抽取")
    return task, part


def _staffed(main: Draw) -> list[tuple[str, str]]:
    """(uscc, stratum) of the targets the initiating draw staffed: the population of every department's draw."""
    strata = {s["uscc"]: s["stratum"] for s in main.record["selections"]}
    return [(a["uscc"], strata[a["uscc"]]) for a in main.record["assignments"]]


def seal_department_draw(session: Session, actor, task_id: int, department_id: int) -> DrawSeal:
    """封存 a department's draw: the staffed targets, its qualified inspectors and their recusals."""
    task, part = _part(session, actor, task_id, department_id)
    main = draws.main_draw(session, task)
    pairs = _staffed(main)
    if not pairs:
        raise ValidationError("发起部门的抽取没有可派员的检查对象，配合部门无需抽取")
    dept = part.department
    items, pool = department_pool(session, task, dept)
    if not pool:
        raise ValidationError(f"“{dept.name}”没有符合条件的执法人员（在岗、执法证在任务期间全程有效、具备本部门事项的资质），"
                              f"未封存；请先在执法人员名录库中补充本部门人员")
    inputs = {"kind": joint_block.KIND, "selection_rule": "all", "task": department_block(session, task, dept, items),
              "population_listing": draws.listing_of(pairs), "excluded_recently_inspected": 0,
              "inspectors": assignment.pool_entries(pool, {dept.id: dept.code}),
              "recusals": seals.sealed_recusals(assignment.recusal_entries(session, pool, [u for u, _ in pairs])),
              "parent_record_sha256": main.record_sha256}
    return seals.freeze(session, actor, task, inputs, pairs, request=part.request)


def department_pool(session: Session, task: Task, dept: Department):
    """(the department's items in the task, its inspectors eligible for them now)."""
    items = joint.items_of(task, tasks.task_items(session, task), dept.id)
    return items, assignment.qualified(session, [dept.id], assignment.required_tags(items), task.period_start,
                                       task.period_end)


def department_block(session: Session, task: Task, dept: Department, items) -> dict:
    """The task block of a record in the department's part: the department, its items, one member per target."""
    block = draws.task_block(session, task, [dept])
    block.update(group_size=1, department={"code": dept.code, "name": dept.name},
                 items=[{"code": i.code, "name": i.name} for i in items])
    return block


def witness(witness_entropy: str, confirmed: bool) -> str:
    """The witness's text, NFC-normalized, once the runner has confirmed the witness is there."""
    return _entropy(witness_entropy, confirmed)


def _entropy(witness_entropy: str, confirmed: bool) -> str:
    if not confirmed:
        raise ValidationError("请勾选确认：监督人在场，已核对公开的承诺值和封存摘要", errors={"confirmed": "必须确认"})
    entropy = draw_v2.normalize_entropy(witness_entropy)
    if len(entropy) > draws.MAX_ENTROPY:
        raise ValidationError(f"监督人输入的随机字符串不能超过 {draws.MAX_ENTROPY} 个字符", errors={"witness_entropy": "过长"})
    return entropy


def run_department_draw(session: Session, actor, task_id: int, department_id: int, *, witness_entropy: str,
                        confirmed: bool, seal_id: int | None = None) -> Draw:
    """抽取 a department's members on its sealed inputs with its own seed and witness; once per department."""
    task, part = _part(session, actor, task_id, department_id)
    entropy = _entropy(witness_entropy, confirmed)
    sealed = seals.for_draw(session, task, part.request, seal_id)
    req = part.request
    moved = session.execute(update(DrawRequest).where(DrawRequest.id == req.id, DrawRequest.status == "approved")
                            .values(status="drawn").execution_options(synchronize_session=False))
    session.refresh(req)
    if moved.rowcount != 1:
        raise Conflict(f"“{part.department.name}”的本部门人员抽取已完成或正在进行，不能重复抽取")
    inputs = seals.record_inputs(sealed, server_seed=req.server_seed_hex, witness_entropy=entropy)
    record = draws.complete_record(inputs, draws.pool_names(session, inputs["inspectors"]))
    if record["commitment"] != req.commitment:
        raise Conflict("服务器种子与已公开的承诺值不符，已停止抽取；请联系管理员")
    main = draws.main_draw(session, task)
    made = draws.save_draw(session, actor, task, record, kind=joint_block.KIND, parent=main, reason=req.reason)
    req.draw_id = made.id
    seals.mark_used(sealed, made)
    added = add_members(session, task, made, record["assignments"])
    audit.record(session, actor, "draw.department", made, detail={
        "task": task.code, "department": part.department.code, "members": added,
        "unstaffed": len(record["unstaffed"]), "record_sha256": record["record_sha256"],
        "seal_sha256": record["seal"]["seal_sha256"]})
    return made


def add_members(session: Session, task: Task, made: Draw, groups: list[dict]) -> int:
    """The department's members into the inspections of their targets; groups now complete go to the phones."""
    usccs = [g["uscc"] for g in groups]
    by_uscc = {u: i for u, i in session.execute(select(Target.uscc, Inspection).join(
        Inspection, Inspection.target_id == Target.id).where(
            Inspection.task_id == task.id, Target.uscc.in_(usccs), Inspection.status != "withdrawn"))}
    certs = [i["cert_no"] for g in groups for i in g["inspectors"]]
    people = {p.cert_no: p for p in session.scalars(select(Inspector).where(Inspector.cert_no.in_(certs)))}
    added = 0
    for group in groups:
        insp = by_uscc.get(group["uscc"])
        if insp is None:
            continue
        for member in group["inspectors"]:
            person = people[member["cert_no"]]
            insp.members.append(InspectionMember(inspector_id=person.id, department_id=person.department_id,
                                                 added_by_draw_id=made.id))
            added += 1
    session.flush()
    refresh_completeness(session, task, list(by_uscc.values()))
    return added


def refresh_completeness(session: Session, task: Task, inspections: list[Inspection]) -> None:
    """Mark complete every inspection whose group has an active member of each self-drawing department."""
    needed = {d.id for d in joint.self_drawing(session, task)}
    for insp in inspections:
        have = {m.department_id for m in insp.members if m.active}
        complete = needed <= have
        if complete != insp.group_complete:
            insp.group_complete = complete
            insp.changed_at = utcnow()
    session.flush()


def waiting_departments(session: Session, task: Task) -> list[str]:
    """Names of the cooperating departments that have not drawn yet (empty when every part is drawn)."""
    return [p.department.name for p in parts(session, task) if p.state != "drawn"]

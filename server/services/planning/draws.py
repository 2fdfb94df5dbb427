"""Running a task's draw (DESIGN §5) in two recorded steps; 补抽 / 递补 are in planning.supplementary and
补派 in planning.staffing.

封存 (seal_draw): the database side gathers the inputs (population, inspector pool, recusals) and
freezes them (planning.seals); their hashes are public at once. 抽取 (run_draw): with the witness's
text, the pure code (draw.v2, draw.records) computes the record from the sealed inputs; it is locked
and the inspections are created. A task is drawn once: the status moves published → drawn in one
conditional UPDATE, so a second attempt, even a concurrent one, is refused, and nothing of a failed
attempt is kept.
"""
from __future__ import annotations

import json
import os

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.planning import Draw, Plan, Task
from server.models.registry import Department, Inspector
from server.services.draw import assignment, records, v2 as draw_v2
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role, require_staff
from server.services.kernel.workdays import local_text, today
from server.services.planning import joint, joint_block, seals, task_closing, tasks

OPERATORS = ("admin", "office")
MAX_ENTROPY = 500
KIND_LABELS = {"main": "随机抽取", "targeted": "靶向检查派员", "replace_target": "补抽（替换检查对象）",
               "replace_inspector": "递补（替换执法人员）", "staff_target": "补派（为无法派员的对象派员）",
               "department": "配合部门抽取本部门执法人员", "department_staff": "配合部门补派（本部门人员）",
               "department_replace": "配合部门递补（本部门人员）"}
WORKERS = min(2, os.cpu_count() or 1)  # processes hashing a province-sized population (draw.selection)


def check_operator(actor, witness_entropy: str, confirmed: bool) -> str:
    """Only office staff draw, with the witness's confirmation; returns the entropy NFC-normalized."""
    require_role(actor, *OPERATORS)
    if not confirmed:
        raise ValidationError("请勾选确认：监督人在场，已核对公开的承诺值和封存摘要", errors={"confirmed": "必须确认"})
    entropy = draw_v2.normalize_entropy(witness_entropy)
    if len(entropy) > MAX_ENTROPY:
        raise ValidationError(f"监督人输入的随机字符串不能超过 {MAX_ENTROPY} 个字符", errors={"witness_entropy": "过长"})
    return entropy


def task_block(session: Session, task: Task, departments: list[Department]) -> dict:
    """The task's parameters as the record publishes them (codes and names, no database ids)."""
    items = tasks.task_items(session, task)
    plan = session.get(Plan, task.plan_id) if task.plan_id else None
    return {"code": task.code, "name": task.name, "type": task.task_type, "plan_code": plan.code if plan else None,
            "plan_version": plan.published_version if plan else None,
            "items": [{"code": i.code, "name": i.name} for i in items], "scope": task.scope or {},
            "ratios": task.ratios or {}, "exclusion_months": task.exclusion_months, "group_size": task.group_size,
            "departments": [{"code": d.code, "name": d.name} for d in departments],
            "period_start": task.period_start.isoformat(), "period_end": task.period_end.isoformat(),
            "reveal_seed_at_once": task.reveal_seed_at_once,
            "targeted_reason": task.targeted_reason, "targeted_source_doc": task.targeted_source_doc}


def eligible_pool(session: Session, task: Task, departments: list[Department], exclude: set[int] = frozenset()):
    """(inspectors, record entries) of everyone eligible for the task now, minus `exclude` ids."""
    pool = [i for i in joint.qualified_pool(session, task, departments, tasks.task_items(session, task))
            if i.id not in exclude]
    return pool, assignment.pool_entries(pool, {d.id: d.code for d in departments})


def _lock_task(session: Session, task: Task) -> None:
    """published → drawn atomically; anything else is refused with what state the task is in."""
    moved = session.execute(update(Task).where(Task.id == task.id, Task.status == "published")
                            .values(status="drawn").execution_options(synchronize_session=False))
    if moved.rowcount == 1:
        session.refresh(task)
        return
    session.refresh(task)
    _refuse_unless_published(session, task)


def _refuse_unless_published(session: Session, task: Task) -> None:
    if task.status == "published":
        return
    if task.status == "draft":
        raise Conflict("任务尚未发布（承诺值尚未公开），不能封存或抽取")
    if task.status == "closed":
        raise Conflict("该任务已结束，抽取结果已锁定，不能再抽取；如需再次检查，请新建抽查任务")
    main = main_draw(session, task)
    when = local_text(main.drawn_at) if main else ""
    raise Conflict(f"该任务已于 {when} 完成抽取，抽取结果已锁定，不能重复抽取；如需替换对象或人员请申请补抽或递补")


def main_draw(session: Session, task: Task) -> Draw | None:
    """The task's main (or targeted) draw, if it has been made."""
    return session.scalar(select(Draw).where(Draw.task_id == task.id, Draw.kind.in_(("main", "targeted"))))


def get_draw(session: Session, draw_id: int) -> Draw:
    return get_or_raise(session, Draw, draw_id, "抽取记录不存在")


def record_file(draw: Draw, revealed: bool) -> tuple[str, str]:
    """The record as a download, (file name, JSON text); without the seed and results unless `revealed`."""
    body = json.dumps(records.public_view(draw.record, revealed), ensure_ascii=False, indent=1)
    return f"draw-{draw.task.code}-{draw.id}.json", body


def staff_record_file(session: Session, actor, draw_id: int) -> tuple[str, str]:
    """The record file for the office: complete for admin and leader (固化存档), otherwise as the public sees it."""
    require_staff(actor)
    draw = get_draw(session, draw_id)
    return record_file(draw, tasks.seed_revealed(draw.task, today()) or actor.role in ("admin", "leader"))


def seal_draw(session: Session, actor, task_id: int):
    """封存: freeze the population listing, the inspector pool and the recusals; their hashes go public now."""
    require_role(actor, *OPERATORS)
    task = task_closing.lock_task(session, task_id)  # waits for a draw in progress, then sees it drawn
    _refuse_unless_published(session, task)
    pairs, excluded = tasks.population(session, task)
    if not pairs:
        raise ValidationError("按任务范围没有可抽取的检查对象，未封存；请核对检查对象名录库后再试")
    departments = joint.main_departments(session, task)  # a joint task's cooperating departments draw later
    pool, pool_record = eligible_pool(session, task, departments)
    targeted = task.task_type == "targeted"
    inputs = {"kind": "targeted" if targeted else "main", "selection_rule": "all" if targeted else "ratios",
              "task": joint_block.main_block(session, task, task_block(session, task, departments)),
              "population_listing": listing_of(pairs),
              "excluded_recently_inspected": excluded, "inspectors": pool_record,
              "recusals": seals.sealed_recusals(assignment.recusal_entries(session, pool, [u for u, _ in pairs]))}
    return seals.freeze(session, actor, task, inputs, pairs)


def run_draw(session: Session, actor, task_id: int, *, witness_entropy: str, confirmed: bool,
             seal_id: int | None = None) -> Draw:
    """抽取: the task's one draw on its sealed inputs — targets by HMAC within each stratum, then groups."""
    entropy = check_operator(actor, witness_entropy, confirmed)
    task = tasks.get_task(session, task_id)
    _refuse_unless_published(session, task)
    sealed = seals.for_draw(session, task, None, seal_id)
    _lock_task(session, task)
    inputs = seals.record_inputs(sealed, server_seed=task.server_seed_hex, witness_entropy=entropy)
    record = complete_record(inputs, pool_names(session, inputs["inspectors"]))
    if record["commitment"] != task.commitment:
        raise Conflict("服务器种子与已公开的承诺值不符，已停止抽取；请联系管理员")
    draw = save_draw(session, actor, task, record, kind=inputs["kind"])
    seals.mark_used(sealed, draw)
    items = assignment.load_items(session, task)
    created = assignment.create_inspections(session, task, draw, record["assignments"], items)
    joint_block.after_main_draw(session, task, created)
    audit.record(session, actor, "draw.run", draw, detail={
        "task": task.code, "population": record["population_size"], "selected": len(record["selections"]),
        "inspections": len(created), "unstaffed": len(record["unstaffed"]), "record_sha256": record["record_sha256"],
        "seal_sha256": record["seal"]["seal_sha256"], "algorithm": record["algorithm"]})
    return draw


def pool_names(session: Session, pool_record: list[dict]) -> dict[str, str]:
    """执法证号 → 姓名 for the pool, as the inspection notice names the group members."""
    certs = [i["cert_no"] for i in pool_record]
    return dict(session.execute(select(Inspector.cert_no, Inspector.name).where(Inspector.cert_no.in_(certs))).all())


def listing_of(pairs: list[tuple[str, str]]) -> str:
    """The canonical population listing, or a message for the office if the registry has bad data."""
    try:
        return draw_v2.canonical_listing(pairs)
    except draw_v2.DrawInputError as err:
        raise ValidationError(f"无法抽取：{err}") from None


def complete_record(inputs: dict, names: dict[str, str], pairs: list[tuple[str, str]] | None = None) -> dict:
    """draw.records.complete (spotcheck-draw-v2), with input the algorithm refuses turned into a message."""
    try:
        return records.complete(inputs, names=names, pairs=pairs, workers=WORKERS)
    except draw_v2.DrawInputError as err:
        raise ValidationError(f"无法抽取：{err}") from None


def save_draw(session: Session, actor, task: Task, record: dict, *, kind: str, parent: Draw | None = None,
              reason: str = "", approved_by_id: int | None = None) -> Draw:
    """Store a sealed record as a locked Draw row."""
    draw = Draw(task_id=task.id, kind=kind, parent_draw_id=parent.id if parent else None, reason=reason,
                approved_by_id=approved_by_id, witness_entropy=record["witness_entropy"], record=record,
                record_sha256=record["record_sha256"], drawn_by_id=actor.id)
    session.add(draw)
    session.flush()
    return draw

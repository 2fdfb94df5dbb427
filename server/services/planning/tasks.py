"""Tasks (抽查任务): creating and changing drafts, the population, the preview, and publication.

The checks on a task's parameters are in services.task_rules. The population is the targets in
scope, less those inspected in the last N months unless high risk (DESIGN §3 rule 6). Publishing
locks the parameters, makes the server seed and publishes its commitment (DESIGN §5).
"""
from __future__ import annotations

import calendar
import datetime as dt
import secrets
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, ValidationError
from server.models.inspections import Inspection
from server.models.planning import Plan, Task
from server.models.registry import Department, InspectionItem, Target
from server.models.types import utcnow
from server.services.draw import v1 as draw_v1
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import (READERS, require_role, require_task_in_scope, scoped_task_ids,
                                                task_condition)
from server.services.planning import plans, task_rules, upper_rules

EDITORS = ("admin", "office")
TASK_TYPES = task_rules.TASK_TYPES
METHODS = task_rules.METHODS
TASK_STATUSES = {"draft": "草稿", "published": "已发布待抽取", "drawn": "已抽取", "closed": "已结束"}
STRATUM_LABELS = task_rules.STRATUM_LABELS
OVERALL_RATIO_FLOOR = Decimal("0.03")  # 实施方案: 随机抽查占比不低于 3%


def get_task(session: Session, task_id: int) -> Task:
    return get_or_raise(session, Task, task_id, "抽查任务不存在")


def get_visible_task(session: Session, actor, task_id: int) -> Task:
    """A task for reading: staff see any; a department's staff only a task their department takes part in."""
    require_role(actor, *READERS)
    task = get_task(session, task_id)
    require_task_in_scope(actor, task)
    return task


def _check_plan_row(session: Session, plan: Plan, key: str) -> str:
    """A plan row key of this plan's version in force (or its newest, before it is first published)."""
    key = str(key or "").strip()
    if key and plans.row_by_key(plans.in_force(plan) or plans.current(plan), key) is None:
        raise ValidationError("所选的计划安排不在本计划的现行版本中，请重新选择", errors={"plan_row": "不在计划中"})
    return key


def task_items(session: Session, task: Task) -> list[InspectionItem]:
    items = {i.id: i for i in session.scalars(select(InspectionItem).where(InspectionItem.id.in_(task.item_ids)))}
    return [items[i] for i in task.item_ids if i in items]


def task_departments(session: Session, task: Task) -> list[Department]:
    """The participating departments, lead first."""
    depts = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(task.department_ids)))}
    return [depts[i] for i in task.department_ids if i in depts]


def create_task(session: Session, actor, plan_id: int, data: dict) -> Task:
    """A new draft task in a plan."""
    require_role(actor, *EDITORS)
    plan = plans.get_plan(session, plan_id)
    fields = task_rules.clean(session, data)
    fields["plan_row"] = _check_plan_row(session, plan, data.get("plan_row"))
    if _takes_list(fields):
        fields["target_usccs"] = []  # the list from above arrives only by importing its sheet
    code = str(data.get("code") or "").strip() or _next_code(session, plan)
    if session.scalar(select(Task.id).where(Task.code == code)):
        raise Conflict(f"任务编号 {code} 已被使用，请换一个")
    task = Task(plan_id=plan.id, code=code, status="draft", created_by_id=actor.id, **fields)
    session.add(task)
    session.flush()
    audit.record(session, actor, "task.create", task, detail=_audit_detail(task))
    return task


def _takes_list(fields: dict) -> bool:
    return fields["task_type"] == upper_rules.UPPER and fields["upper_source"] == "list"


def _next_code(session: Session, plan: Plan) -> str:
    n = (session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id)) or 0) + 1
    while session.scalar(select(Task.id).where(Task.code == f"{plan.code}-{n:02d}")):
        n += 1
    return f"{plan.code}-{n:02d}"


def _audit_detail(task: Task) -> dict:
    return {"code": task.code, "type": task.task_type, "method": task.method, "items": task.item_ids, "ratios": task.ratios,
            "scope": task.scope, "group_size": task.group_size, "departments": task.department_ids,
            "period": [str(task.period_start), str(task.period_end)], "targets": task.target_usccs,
            "plan_row": task.plan_row, **({"upper": [task.upper_authority, task.upper_doc_no, task.upper_task_code,
                                                     task.upper_source]} if task.task_type == "upper" else {})}


def update_task(session: Session, actor, task_id: int, data: dict) -> Task:
    """Change a draft task; a published task is fixed (its commitment is public)."""
    require_role(actor, *EDITORS)
    task = get_task(session, task_id)
    if task.status != "draft":
        raise Conflict("任务已发布，参数已公开并锁定，不能再修改")
    fields = task_rules.clean(session, data)
    fields["plan_row"] = _check_plan_row(session, plans.get_plan(session, task.plan_id), data.get("plan_row"))
    if _takes_list(fields) and upper_rules.takes_list(task):
        fields.pop("target_usccs")  # the list from above changes only by importing it again
    elif _takes_list(fields):
        fields["target_usccs"], fields["upper_list"] = [], {}
    else:
        fields["upper_list"] = {}
    for key, value in fields.items():
        setattr(task, key, value)
    session.flush()
    audit.record(session, actor, "task.update", task, detail=_audit_detail(task))
    return task


# --- population and preview -------------------------------------------------------------------------------

def _months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def population(session: Session, task: Task, at: dt.datetime | None = None) -> tuple[list[tuple[str, str]], int]:
    """The (uscc, stratum) pairs a draw would run on now, and how many were left out as recently inspected."""
    if task.task_type == "targeted" or upper_rules.takes_list(task):  # the targets are named, none left out
        rows = session.execute(select(Target.uscc, Target.risk_level).where(Target.uscc.in_(task.target_usccs)))
        return [(u, r) for u, r in rows], 0
    scope = task.scope or {}
    recent: set[int] = set()
    if task.exclusion_months:
        cutoff = _months_before(at or utcnow(), task.exclusion_months)
        recent = set(session.scalars(select(Inspection.target_id).where(
            Inspection.task_id != task.id, Inspection.status != "withdrawn", Inspection.created_at >= cutoff)))
    wanted_tags = set(scope.get("tags") or ())
    # Only the columns needed: decoding every target's JSON tags costs seconds at 10^6 targets. No ORDER BY:
    # the listing sorts in Python, which is cheaper than a database sort spilling to disk.
    columns = [Target.uscc, Target.risk_level, Target.id] + ([Target.tags] if wanted_tags else [])
    query = select(*columns).where(Target.category.in_(scope.get("categories") or []),
                                   Target.status.in_(scope.get("statuses") or ["active"]))
    if scope.get("regions"):
        query = query.where(Target.region.in_(scope["regions"]))
    if scope.get("usccs"):  # 定向 within a named population (from a warning or a filtered list): still drawn
        query = query.where(Target.uscc.in_(scope["usccs"]))
    rows = session.execute(query)
    if not recent and not wanted_tags:
        return [(row[0], row[1]) for row in rows], 0
    pairs, excluded = [], 0
    for row in rows:
        if wanted_tags and not wanted_tags & set(row[3] or ()):
            continue
        if row[2] in recent and row[1] != "high":
            excluded += 1
            continue
        pairs.append((row[0], row[1]))
    return pairs, excluded


def preview(session: Session, task: Task) -> dict:
    """What a draw would take now: per stratum N_k, r_k, n_k; the overall ratio and its warning."""
    pairs, excluded = population(session, task)
    sizes = draw_v1.stratum_sizes(pairs)
    if task.task_type == "targeted":
        counts = dict(sizes)
    else:
        counts = draw_v1.counts_from_ratios(sizes, task.ratios)
    total, chosen = sum(sizes.values()), sum(counts.values())
    overall = (Decimal(chosen) / Decimal(total)) if total else Decimal(0)
    warning = None
    named = task.task_type == "targeted" or upper_rules.takes_list(task)
    if upper_rules.takes_list(task):
        missing = len(task.target_usccs) - total
        warning = ("尚未导入上级下发的检查对象名单" if not task.target_usccs else
                   f"上级下发名单中有 {missing} 个对象不在检查对象名录库中，添加后才能发布" if missing else None)
    elif task.task_type != "targeted" and total and overall < OVERALL_RATIO_FLOOR:
        warning = (f"总体抽查比例为 {percent(overall)}，低于 3%（实施方案要求随机抽查占比不低于 3%），"
                   f"请提高各风险等级的抽取比例")
    if not named and not total:
        warning = "按当前范围没有可抽取的检查对象，请检查抽查事项、对象范围或排除期限"
    strata = [{"stratum": k, "label": STRATUM_LABELS[k], "population": sizes[k],
               "ratio": task.ratios.get(k), "selected": counts[k]} for k in draw_v1.STRATA]
    return {"strata": strata, "population": total, "selected": chosen, "overall": overall,
            "overall_text": percent(overall), "excluded": excluded, "warning": warning}


def percent(ratio: Decimal | str | None) -> str:
    """A ratio as a percentage for people: Decimal('0.0325') → '3.25%'."""
    if ratio is None:
        return "—"
    value = (Decimal(str(ratio)) * 100).quantize(Decimal("0.01"))
    return f"{format(value.normalize(), 'f')}%"


def publish_task(session: Session, actor, task_id: int) -> Task:
    """Publish: parameters locked, server seed made, commitment = sha256(seed) made public."""
    require_role(actor, *EDITORS)
    task = get_task(session, task_id)
    if task.status != "draft":
        raise Conflict("任务已发布，不能重复发布")
    plan = plans.get_plan(session, task.plan_id)
    if plan.published_version is None:
        raise Conflict("所属年度抽查计划尚未公布，任务不能发布")
    task_rules.clean(session, _as_data(task), publishing=True)  # the registries may have changed since the draft
    seed = secrets.token_bytes(32)
    task.server_seed_hex = seed.hex()
    task.commitment = draw_v1.commitment(seed)
    task.status = "published"
    task.published_at = utcnow()
    session.flush()
    audit.record(session, actor, "task.publish", task, detail={"commitment": task.commitment,
                                                                "plan_version": plan.published_version})
    return task


def _as_data(task: Task) -> dict:
    depts = list(task.department_ids)
    return {"name": task.name, "task_type": task.task_type, "method": task.method, "item_ids": task.item_ids, "group_size": task.group_size,
            "lead_department_id": depts[0] if depts else None, "cooperating_department_ids": depts[1:],
            "period_start": task.period_start, "period_end": task.period_end, "ratios": task.ratios,
            "scope": task.scope, "exclusion_months": task.exclusion_months, "reveal_seed_at_once":
            task.reveal_seed_at_once, "targeted_reason": task.targeted_reason,
            "targeted_source_doc": task.targeted_source_doc, "target_usccs": task.target_usccs,
            "upper_authority": task.upper_authority, "upper_doc_no": task.upper_doc_no,
            "upper_task_code": task.upper_task_code, "upper_source": task.upper_source,
            "upper_columns": task.upper_columns, "item_departments": task.item_departments}


def seed_revealed(task: Task, today: dt.date) -> bool:
    """Whether the server seed may be public: once the task is closed (no draw can follow), else after the draw
    if the task says so, else after the period ends."""
    if task.status == "closed":
        return True
    return task.status == "drawn" and (task.reveal_seed_at_once or today > task.period_end)


def plan_tasks(session: Session, plan: Plan, actor=None) -> list[Task]:
    """The plan's tasks by code; with `actor`, only those the actor may see (a department's staff: its own)."""
    stmt = select(Task).where(Task.plan_id == plan.id).order_by(Task.code)
    if actor is not None:
        stmt = stmt.where(task_condition(session, actor, Task.id))
    return list(session.scalars(stmt))


def public_tasks(session: Session) -> list[Task]:
    """Published tasks (with their commitments), newest first."""
    return list(session.scalars(select(Task).where(Task.status.in_(("published", "drawn", "closed")))
                                .order_by(Task.published_at.desc(), Task.code)))


def dashboard_panel(session: Session) -> dict:
    """The 工作台 panel of plans and tasks: what waits for a leader, a draw, or a supplementary draw."""
    from server.models.approvals import Approval
    from server.models.planning import DrawRequest
    waiting = session.scalar(select(func.count(Approval.id)).where(
        Approval.status == "pending", Approval.kind.in_(("plan_approval", "plan_adjustment", "draw_replace_target",
                                                         "draw_replace_inspector", "draw_staff_target"))))
    return {"title": "计划与抽取", "rows": [
        ("计划与补充抽取待领导审批", waiting, "office.approvals"),
        ("任务草稿", session.scalar(select(func.count(Task.id)).where(Task.status == "draft")), "office.plans"),
        ("已发布待抽取的任务", session.scalar(select(func.count(Task.id)).where(Task.status == "published")),
         "office.plans"),
        ("已批准待抽取的补抽、递补、补派", session.scalar(select(func.count(DrawRequest.id)).where(
            DrawRequest.status == "approved", DrawRequest.kind != "department")), "office.plans"),
    ]}


def department_panel(session: Session, actor) -> dict:
    """The 工作台 of a department's staff: the tasks their department takes part in and the work in them."""
    from server.models.registry import Inspector
    ids = scoped_task_ids(session, actor) or set()
    statuses = dict(session.execute(select(Task.status, func.count()).where(Task.id.in_(ids)).group_by(Task.status)).all())
    open_inspections = session.scalar(select(func.count(Inspection.id)).where(
        Inspection.task_id.in_(ids), Inspection.status.not_in(("approved", "withdrawn"))))
    return {"title": "本部门的联合抽查", "rows": [
        ("本部门参与的任务", sum(statuses.values()), "office.plans"),
        ("已发布待抽取", statuses.get("published", 0), "office.plans"),
        ("已抽取、检查中", statuses.get("drawn", 0), "office.plans"),
        ("待本部门抽取人员的联合抽查", _waiting_department_draws(session, actor), "office.plans"),
        ("缺本部门人员、待本部门补派的检查", _waiting_department_members(session, actor), "office.plans"),
        ("未办结的检查", open_inspections, "office.inspections"),
        ("本部门执法人员", session.scalar(select(func.count(Inspector.id)).where(
            Inspector.department_id == actor.department_id)), "office.inspectors"),
    ]}


def _waiting_department_draws(session: Session, actor) -> int:
    """联合抽查 tasks whose targets are drawn and that wait for the actor's department to draw its members."""
    from server.models.planning import DrawRequest
    return session.scalar(select(func.count(DrawRequest.id)).where(
        DrawRequest.kind == "department", DrawRequest.status == "approved",
        DrawRequest.department_id == actor.department_id)) or 0


def _waiting_department_members(session: Session, actor) -> int:
    """Open inspections of tasks the actor's department has drawn for that still lack its member (本部门补派)."""
    from server.models.inspections import InspectionMember
    from server.models.planning import DrawRequest
    drawn = select(DrawRequest.task_id).where(DrawRequest.kind == "department", DrawRequest.status == "drawn",
                                              DrawRequest.department_id == actor.department_id)
    has_member = select(InspectionMember.id).where(InspectionMember.inspection_id == Inspection.id,
                                                   InspectionMember.active.is_(True),
                                                   InspectionMember.department_id == actor.department_id).exists()
    return session.scalar(select(func.count(Inspection.id)).where(
        Inspection.task_id.in_(drawn), Inspection.status.in_(("assigned", "in_progress", "returned")),
        ~has_member)) or 0

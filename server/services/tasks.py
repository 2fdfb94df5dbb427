"""Tasks (抽查任务): their parameters, checks, population, preview and publication.

Rules: items only from the published list (DESIGN §3 rule 1); 定向 tasks filter the population
first and still draw at random, 靶向 tasks name their targets with a reason and a source document
(rule 2); at least 2 inspectors per target, one from every participating department (rule 3);
ratios per risk level, exact decimals, and an exclusion window that never leaves out high risk
(rule 6). Publishing makes the server seed and publishes its commitment (DESIGN §5).
"""
from __future__ import annotations

import calendar
import datetime as dt
import secrets
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, ValidationError
from server.models.inspections import Inspection
from server.models.planning import Plan, Task
from server.models.registry import Department, InspectionItem, Target
from server.models.types import utcnow
from server.services import assignment, audit, draw_v1, plans
from server.services.permissions import require_role
from server.services.uscc import normalize as normalize_uscc
from server.vocab import RiskLevel, TargetCategory, TargetStatus

EDITORS = ("admin", "office")
TASK_TYPES = {"undirected": "不定向", "directed": "定向", "targeted": "靶向"}
TASK_STATUSES = {"draft": "草稿", "published": "已发布待抽取", "drawn": "已抽取", "closed": "已结束"}
STRATUM_LABELS = {lv.value: lv.label for lv in RiskLevel}
OVERALL_RATIO_FLOOR = Decimal("0.03")  # 实施方案: 随机抽查占比不低于 3%
MAX_GROUP_SIZE = 10
MAX_EXCLUSION_MONTHS = 60


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("抽查任务不存在")
    return task


def task_items(session: Session, task: Task) -> list[InspectionItem]:
    items = {i.id: i for i in session.scalars(select(InspectionItem).where(InspectionItem.id.in_(task.item_ids)))}
    return [items[i] for i in task.item_ids if i in items]


def task_departments(session: Session, task: Task) -> list[Department]:
    """The participating departments, lead first."""
    depts = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(task.department_ids)))}
    return [depts[i] for i in task.department_ids if i in depts]


# --- validation ---------------------------------------------------------------------------------------

def _ids(values) -> list[int]:
    out = []
    for v in values or ():
        if v in (None, ""):
            continue
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise ValidationError(f"编号“{v}”无效") from None
    return list(dict.fromkeys(out))


def _date(value, label: str, errors: dict, key: str) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[key] = f"请填写{label}（格式如 2024-04-01）"
        return None


def _int(value, default: int) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _check_items(session: Session, item_ids: list[int], errors: dict) -> list[InspectionItem]:
    if not item_ids:
        errors["item_ids"] = "请至少选择一个抽查事项"
        return []
    found = {i.id: i for i in session.scalars(select(InspectionItem).where(InspectionItem.id.in_(item_ids)))}
    problems = []
    for item_id in item_ids:
        item = found.get(item_id)
        if item is None:
            problems.append(f"抽查事项（编号 {item_id}）不存在，不在抽查事项清单中")
        elif item.status != "published":
            problems.append(f"抽查事项“{item.code} {item.name}”不在已发布的抽查事项清单中，不能纳入抽查任务")
    if problems:
        errors["item_ids"] = "；".join(problems)
    return [found[i] for i in item_ids if i in found]


def _check_ratios(raw: dict | None, errors: dict) -> dict[str, str]:
    ratios = {}
    for stratum, value in (raw or {}).items():
        label = STRATUM_LABELS.get(stratum)
        if label is None:
            errors["ratios"] = f"未知的风险等级“{stratum}”"
            continue
        try:
            ratio = draw_v1.parse_ratio(value)
        except draw_v1.DrawInputError:
            errors[f"ratios.{stratum}"] = _ratio_message(label, value)
            continue
        ratios[stratum] = format(ratio.normalize(), "f") if ratio else "0"
    missing = [STRATUM_LABELS[k] for k in draw_v1.STRATA if k not in ratios and f"ratios.{k}" not in errors]
    if missing and not any(k.startswith("ratios") for k in errors):
        errors["ratios"] = f"请填写“{'、'.join(missing)}”风险等级的抽取比例"
    return ratios


def _ratio_message(label: str, value) -> str:
    try:
        ratio = Decimal(str(value).strip())
    except ArithmeticError:
        return f"“{label}”风险等级的抽取比例“{value}”不是有效的数字"
    if not ratio.is_finite() or ratio < 0 or ratio > 1:
        shown = f"{format((ratio * 100).normalize(), 'f')}%" if ratio.is_finite() else str(value)
        return f"“{label}”风险等级的抽取比例应在 0% 到 100% 之间（当前为 {shown}）"
    return f"“{label}”风险等级的抽取比例最多保留 2 位小数的百分比（如 3.25%）"


def _check_departments(session: Session, data: dict, errors: dict) -> list[Department]:
    lead_id = _ids([data.get("lead_department_id")])
    coop_ids = _ids(data.get("cooperating_department_ids"))
    if not lead_id:
        errors["lead_department_id"] = "请选择发起部门"
        return []
    ids = list(dict.fromkeys(lead_id + coop_ids))
    found = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(ids)))}
    missing = [i for i in ids if i not in found or not found[i].is_active]
    if missing:
        errors["department_ids"] = "所选部门不存在或已停用"
        return []
    return [found[i] for i in ids]


def _check_scope(data: dict, items: list[InspectionItem], task_type: str, errors: dict) -> dict:
    raw = data.get("scope") or {}
    item_categories = sorted({c for i in items for c in i.target_categories}) or [c.value for c in TargetCategory]
    categories = [c for c in raw.get("categories") or () if c] or item_categories
    statuses = [s for s in raw.get("statuses") or () if s] or ["active"]
    tags = [t.strip() for t in raw.get("tags") or () if t and t.strip()]
    regions = [r.strip() for r in raw.get("regions") or () if r and r.strip()]
    bad = [c for c in categories if c not in item_categories]
    if bad:
        errors["scope.categories"] = f"对象类别“{_cat_labels(bad)}”不是所选抽查事项的检查对象类别（可选：{_cat_labels(item_categories)}）"
    if any(TargetStatus.by_label(s) is None for s in statuses):
        errors["scope.statuses"] = "经营状态无效"
    narrowed = bool(tags or regions) or set(categories) != set(item_categories)
    if task_type == "undirected" and narrowed:
        errors["scope"] = "不定向抽查从所选事项的全部检查对象中抽取，不能按类别、标签或乡镇筛选；需要筛选时请选择“定向”"
    if task_type == "directed" and not narrowed:
        errors["scope"] = "定向抽查请至少设置一项筛选条件（对象类别、标签或所属乡镇）"
    return {"categories": sorted(categories), "statuses": [TargetStatus.by_label(s).value for s in statuses
                                                           if TargetStatus.by_label(s)],
            "tags": tags, "regions": regions}


def _cat_labels(codes) -> str:
    return "、".join(TargetCategory.by_label(c).label if TargetCategory.by_label(c) else c for c in codes)


def _check_targeted(session: Session, data: dict, errors: dict) -> list[str]:
    if not str(data.get("targeted_reason") or "").strip():
        errors["targeted_reason"] = "靶向检查须填写检查事由（投诉举报、转办交办或数据监测发现的问题）"
    if not str(data.get("targeted_source_doc") or "").strip():
        errors["targeted_source_doc"] = "靶向检查须填写来源文件（如投诉登记号、转办函文号）"
    usccs = list(dict.fromkeys(normalize_uscc(u) for u in data.get("target_usccs") or () if normalize_uscc(u)))
    if not usccs:
        errors["target_usccs"] = "靶向检查须指定检查对象（统一社会信用代码）"
        return []
    known = set(session.scalars(select(Target.uscc).where(Target.uscc.in_(usccs))))
    unknown = [u for u in usccs if u not in known]
    if unknown:
        errors["target_usccs"] = f"统一社会信用代码 {'、'.join(unknown)} 不在检查对象名录库中"
    return usccs


def clean(session: Session, data: dict) -> dict:
    """Checked and normalized task fields; ValidationError naming every problem (nothing is stored)."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写任务名称"
    task_type = data.get("task_type") or "undirected"
    if task_type not in TASK_TYPES:
        errors["task_type"] = "抽查类型应为不定向、定向或靶向"
    items = _check_items(session, _ids(data.get("item_ids")), errors)
    group_size = _int(data.get("group_size"), 2)
    if group_size is None or group_size < 2:
        errors["group_size"] = "每个检查对象至少派 2 名执法人员（检查组人数不能少于 2）"
    elif group_size > MAX_GROUP_SIZE:
        errors["group_size"] = f"检查组人数不能超过 {MAX_GROUP_SIZE} 人"
    departments = _check_departments(session, data, errors)
    if departments and group_size and group_size >= 2 and len(departments) > group_size:
        errors["group_size"] = f"联合抽查每个部门至少派 1 人，检查组人数（{group_size}）不能少于参与部门数（{len(departments)}）"
    start = _date(data.get("period_start"), "任务开始日期", errors, "period_start")
    end = _date(data.get("period_end"), "任务结束日期", errors, "period_end")
    if start and end and start > end:
        errors["period_end"] = "任务结束日期不能早于开始日期"
    cleaned = {"name": name, "task_type": task_type, "item_ids": [i.id for i in items], "group_size": group_size,
               "lead_department_id": departments[0].id if departments else None,
               "department_ids": [d.id for d in departments], "period_start": start, "period_end": end,
               "reveal_seed_at_once": bool(data.get("reveal_seed_at_once")), "ratios": {}, "scope": {},
               "exclusion_months": 0, "targeted_reason": "", "targeted_source_doc": "", "target_usccs": []}
    if task_type == "targeted":
        cleaned["target_usccs"] = _check_targeted(session, data, errors)
        cleaned["targeted_reason"] = str(data.get("targeted_reason") or "").strip()
        cleaned["targeted_source_doc"] = str(data.get("targeted_source_doc") or "").strip()
    else:
        cleaned["ratios"] = _check_ratios(data.get("ratios"), errors)
        cleaned["scope"] = _check_scope(data, items, task_type, errors)
        months = _int(data.get("exclusion_months"), 12)
        if months is None or not 0 <= months <= MAX_EXCLUSION_MONTHS:
            errors["exclusion_months"] = f"排除近期已检查对象的月数应为 0 到 {MAX_EXCLUSION_MONTHS} 之间的整数"
        cleaned["exclusion_months"] = months or 0
    if not errors and items and departments:
        problems = assignment.coverage_problems(session, departments, items, start, end, group_size)
        if problems:
            errors["department_ids"] = "；".join(problems)
    if errors:
        raise ValidationError("任务信息有误：" + "；".join(errors.values()), errors=errors)
    return cleaned


def create_task(session: Session, actor, plan_id: int, data: dict) -> Task:
    """A new draft task in a plan."""
    require_role(actor, *EDITORS)
    plan = plans.get_plan(session, plan_id)
    fields = clean(session, data)
    code = str(data.get("code") or "").strip() or _next_code(session, plan)
    if session.scalar(select(Task.id).where(Task.code == code)):
        raise Conflict(f"任务编号 {code} 已被使用，请换一个")
    task = Task(plan_id=plan.id, code=code, status="draft", created_by_id=actor.id, **fields)
    session.add(task)
    session.flush()
    audit.record(session, actor, "task.create", task, detail=_audit_detail(task))
    return task


def _next_code(session: Session, plan: Plan) -> str:
    n = (session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id)) or 0) + 1
    while session.scalar(select(Task.id).where(Task.code == f"{plan.code}-{n:02d}")):
        n += 1
    return f"{plan.code}-{n:02d}"


def _audit_detail(task: Task) -> dict:
    return {"code": task.code, "type": task.task_type, "items": task.item_ids, "ratios": task.ratios,
            "scope": task.scope, "group_size": task.group_size, "departments": task.department_ids,
            "period": [str(task.period_start), str(task.period_end)], "targets": task.target_usccs}


def update_task(session: Session, actor, task_id: int, data: dict) -> Task:
    """Change a draft task; a published task is fixed (its commitment is public)."""
    require_role(actor, *EDITORS)
    task = get_task(session, task_id)
    if task.status != "draft":
        raise Conflict("任务已发布，参数已公开并锁定，不能再修改")
    for key, value in clean(session, data).items():
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
    if task.task_type == "targeted":
        rows = session.execute(select(Target.uscc, Target.risk_level).where(Target.uscc.in_(task.target_usccs)))
        return [(u, r) for u, r in rows], 0
    scope = task.scope or {}
    query = select(Target.id, Target.uscc, Target.risk_level, Target.tags).where(
        Target.category.in_(scope.get("categories") or []), Target.status.in_(scope.get("statuses") or ["active"]))
    if scope.get("regions"):
        query = query.where(Target.region.in_(scope["regions"]))
    recent: set[int] = set()
    if task.exclusion_months:
        cutoff = _months_before(at or utcnow(), task.exclusion_months)
        recent = set(session.scalars(select(Inspection.target_id).where(
            Inspection.task_id != task.id, Inspection.status != "withdrawn", Inspection.created_at >= cutoff)))
    wanted_tags = set(scope.get("tags") or ())
    pairs, excluded = [], 0
    for target_id, uscc, level, tags in session.execute(query.order_by(Target.uscc)):
        if wanted_tags and not wanted_tags & set(tags or ()):
            continue
        if target_id in recent and level != "high":
            excluded += 1
            continue
        pairs.append((uscc, level))
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
    if task.task_type != "targeted" and total and overall < OVERALL_RATIO_FLOOR:
        warning = (f"总体抽查比例为 {percent(overall)}，低于 3%（实施方案要求随机抽查占比不低于 3%），"
                   f"请提高各风险等级的抽取比例")
    if task.task_type != "targeted" and not total:
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
    clean(session, _as_data(task))  # the registries may have changed since the draft was saved
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
    return {"name": task.name, "task_type": task.task_type, "item_ids": task.item_ids, "group_size": task.group_size,
            "lead_department_id": depts[0] if depts else None, "cooperating_department_ids": depts[1:],
            "period_start": task.period_start, "period_end": task.period_end, "ratios": task.ratios,
            "scope": task.scope, "exclusion_months": task.exclusion_months, "reveal_seed_at_once":
            task.reveal_seed_at_once, "targeted_reason": task.targeted_reason,
            "targeted_source_doc": task.targeted_source_doc, "target_usccs": task.target_usccs}


def seed_revealed(task: Task, today: dt.date) -> bool:
    """Whether the server seed may be public: at once if the task says so, else after the period ends."""
    return task.status in ("drawn", "closed") and (task.reveal_seed_at_once or today > task.period_end)


def plan_tasks(session: Session, plan: Plan) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.plan_id == plan.id).order_by(Task.code)))


def public_tasks(session: Session) -> list[Task]:
    """Published tasks (with their commitments), newest first."""
    return list(session.scalars(select(Task).where(Task.status.in_(("published", "drawn", "closed")))
                                .order_by(Task.published_at.desc(), Task.code)))

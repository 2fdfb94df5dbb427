"""The rules a task's parameters must meet; `clean` checks them all and names every problem in Chinese.

Items only from the published list (DESIGN §3 rule 1); 定向 tasks filter the population first and
still draw at random, 靶向 tasks name their targets with a reason and a source document (rule 2), 上级任务
record who deployed them (services.planning.upper_rules) and take a list from above or draw here; at
least 2 inspectors per target, one from every participating department, each qualified and with a
certificate valid over the whole period (rule 3); ratios per risk level as exact decimals in
0–100% with at most 4 places (rule 6).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ValidationError
from server.models.registry import Department, InspectionItem, Target
from server.services.draw import v1 as draw_v1
from server.services.planning import joint, upper_rules
from server.services.registry.uscc import normalize as normalize_uscc
from server.vocab import InspectionMode, RiskLevel, TargetCategory, TargetStatus, TaskType

TASK_TYPES = {t.value: t.label for t in TaskType}
STRATUM_LABELS = {lv.value: lv.label for lv in RiskLevel}
METHODS = {m.value: m.label for m in InspectionMode}
MAX_GROUP_SIZE = 10
MAX_EXCLUSION_MONTHS = 60


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


MAX_NAMED_POPULATION = 5000  # a 定向 population named target by target (from a warning or a filtered list)


def _check_named_population(session: Session, raw, item_categories: list[str], errors: dict) -> list[str]:
    """定向 within a named population: every code in the registry and of a category the task's items cover."""
    usccs = list(dict.fromkeys(normalize_uscc(u) for u in raw or () if normalize_uscc(u)))
    if len(usccs) > MAX_NAMED_POPULATION:
        errors["scope.usccs"] = f"定向抽查的对象名单最多 {MAX_NAMED_POPULATION} 个，当前 {len(usccs)} 个，请缩小范围"
        return usccs
    found = dict(session.execute(select(Target.uscc, Target.category).where(Target.uscc.in_(usccs))).all()) \
        if usccs else {}
    unknown = [u for u in usccs if u not in found]
    outside = [u for u in usccs if u in found and found[u] not in item_categories]
    if unknown:
        errors["scope.usccs"] = f"对象名单中的统一社会信用代码 {'、'.join(unknown[:10])} 不在检查对象名录库中"
    elif outside:
        shown = "、".join(outside[:10]) + (f" 等 {len(outside)} 个" if len(outside) > 10 else "")
        errors["scope.usccs"] = (f"对象名单中的 {shown} 不属于所选抽查事项的检查对象类别"
                                 f"（{category_labels(item_categories)}），请增加相应的抽查事项或从名单中删除")
    return usccs


def _check_scope(session: Session, data: dict, items: list[InspectionItem], task_type: str, errors: dict) -> dict:
    raw = data.get("scope") or {}
    item_categories = sorted({c for i in items for c in i.target_categories}) or [c.value for c in TargetCategory]
    categories = [c for c in raw.get("categories") or () if c] or item_categories
    statuses = [s for s in raw.get("statuses") or () if s] or ["active"]
    tags = [t.strip() for t in raw.get("tags") or () if t and t.strip()]
    regions = [r.strip() for r in raw.get("regions") or () if r and r.strip()]
    bad = [c for c in categories if c not in item_categories]
    if bad:
        errors["scope.categories"] = (f"对象类别“{category_labels(bad)}”不是所选抽查事项的检查对象类别"
                                      f"（可选：{category_labels(item_categories)}）")
    if any(TargetStatus.by_label(s) is None for s in statuses):
        errors["scope.statuses"] = "经营状态无效"
    usccs = _check_named_population(session, raw.get("usccs"), item_categories, errors) \
        if task_type == "directed" and raw.get("usccs") else []
    narrowed = bool(tags or regions or usccs) or set(categories) != set(item_categories)
    if task_type == "undirected" and narrowed:
        errors["scope"] = "不定向抽查从所选事项的全部检查对象中抽取，不能按类别、标签或乡镇筛选；需要筛选时请选择“定向”"
    if task_type == "directed" and not narrowed:
        errors["scope"] = "定向抽查请至少设置一项筛选条件（对象类别、标签、所属乡镇或对象名单）"
    return {"categories": sorted(categories), "statuses": [TargetStatus.by_label(s).value for s in statuses
                                                           if TargetStatus.by_label(s)],
            "tags": tags, "regions": regions, **({"usccs": usccs} if usccs else {})}


def category_labels(codes) -> str:
    """Target category codes as their 中文 labels joined with 、 (an unknown code is shown as is)."""
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


def _upper_list(session: Session, data: dict, errors: dict, publishing: bool) -> list[str]:
    """The list sent from above, as imported; before publishing every listed target must be in the registry."""
    usccs = list(dict.fromkeys(u for u in data.get("target_usccs") or () if u))
    if not publishing:
        return usccs
    if not usccs:
        errors["target_usccs"] = "尚未导入上级下发的检查对象名单，请在任务页导入后再发布"
        return usccs
    known = set(session.scalars(select(Target.uscc).where(Target.uscc.in_(usccs))))
    unknown = [u for u in usccs if u not in known]
    if unknown:
        shown = "、".join(unknown[:10]) + (f" 等 {len(unknown)} 个" if len(unknown) > 10 else "")
        errors["target_usccs"] = f"上级下发名单中的 {shown} 不在检查对象名录库中，请在任务页逐个添加到名录库后再发布"
    return usccs


def _selection(session: Session, data: dict, items: list, task_type: str, errors: dict, publishing: bool) -> dict:
    """How the task chooses its targets: named (靶向, or a list from above), or drawn from a scope at ratios."""
    out = upper_rules.clean(data, errors) if task_type == upper_rules.UPPER else upper_rules.empty()
    if task_type == "targeted":
        out.update(target_usccs=_check_targeted(session, data, errors),
                   targeted_reason=str(data.get("targeted_reason") or "").strip(),
                   targeted_source_doc=str(data.get("targeted_source_doc") or "").strip())
    elif task_type == upper_rules.UPPER and out["upper_source"] == "list":
        out.update(ratios=dict(upper_rules.TAKE_ALL), target_usccs=_upper_list(session, data, errors, publishing))
    else:
        out.update(ratios=_check_ratios(data.get("ratios"), errors),
                   scope=_check_scope(session, data, items, task_type, errors))
        if task_type == "directed":  # why this population (a risk warning, a complaint): optional, kept and shown
            out.update(targeted_reason=str(data.get("targeted_reason") or "").strip(),
                       targeted_source_doc=str(data.get("targeted_source_doc") or "").strip())
        months = _int(data.get("exclusion_months"), 12)
        if months is None or not 0 <= months <= MAX_EXCLUSION_MONTHS:
            errors["exclusion_months"] = f"排除近期已检查对象的月数应为 0 到 {MAX_EXCLUSION_MONTHS} 之间的整数"
        out["exclusion_months"] = months or 0
    return out


def clean(session: Session, data: dict, *, publishing: bool = False) -> dict:
    """Checked and normalized task fields; ValidationError naming every problem (nothing is stored).

    `publishing` adds the checks that only a task about to be published must pass (an upper task's list
    imported, every listed target in the registry)."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写任务名称"
    task_type = data.get("task_type") or "undirected"
    method = data.get("method") or InspectionMode.ON_SITE.value
    if method not in METHODS:
        errors["method"] = "检查方式应为" + "、".join(METHODS.values()) + "之一"
    if task_type not in TASK_TYPES:
        labels = list(TASK_TYPES.values())
        errors["task_type"] = "抽查类型应为" + "、".join(labels[:-1]) + "或" + labels[-1]
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
    cleaned = {"name": name, "task_type": task_type, "method": method, "item_ids": [i.id for i in items], "group_size": group_size,
               "lead_department_id": departments[0].id if departments else None,
               "department_ids": [d.id for d in departments], "period_start": start, "period_end": end,
               "reveal_seed_at_once": bool(data.get("reveal_seed_at_once")), "ratios": {}, "scope": {},
               "exclusion_months": 0, "targeted_reason": "", "targeted_source_doc": "", "target_usccs": []}
    cleaned.update(_selection(session, data, items, task_type, errors, publishing))
    cleaned["item_departments"] = joint.clean_item_departments(data.get("item_departments"), items, departments, errors)
    if not errors and items and departments:
        problems = joint.coverage_problems(session, departments, items, cleaned["item_departments"], start, end,
                                           group_size)
        if problems:
            errors["department_ids"] = "；".join(problems)
    if errors:
        raise ValidationError("任务信息有误：" + "；".join(errors.values()), errors=errors)
    return cleaned

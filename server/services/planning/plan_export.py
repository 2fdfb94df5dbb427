"""The annual plan as an .xlsx workbook for filing with the level above (报上一级备案)."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.planning import Plan, PlanVersion
from server.models.registry import Department
from server.services.kernel.workdays import local_text
from server.services.planning import plan_rows, plans, task_rules, tasks, upper_rules

TASK_HEADERS = ("任务编号", "任务名称", "抽查类型", "抽查事项", "抽查对象范围", "抽取比例（低/一般/较高/高）",
                "检查组人数", "发起部门", "配合部门", "抽查时间段", "对应计划安排", "上级部署", "状态", "承诺值")
VERSION_HEADERS = ("版本", "状态", "调整理由", "批准时间", "公布时间")


def _plan_sheet(ws, plan: Plan, version: PlanVersion, names: plan_rows.Names, codes: dict[str, str]) -> None:
    ws.title = "年度抽查计划"
    ws.append([f"{plan.year}年度“双随机、一公开”抽查工作计划（备案）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["计划编号", plan.code, "计划名称", plan.name])
    ws.append(["版本", f"第 {version.version} 版", "状态", plans.VERSION_STATUSES.get(version.status, version.status)])
    ws.append(["批准时间", local_text(version.approved_at), "公布时间", local_text(version.published_at)])
    ws.append(["说明", version.content.get("description", "")])
    ws.append([])
    ws.append([plans.ENTRY_LABELS[k] for k in plans.ENTRY_FIELDS] + ["执行的抽查任务"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for entry in version.content.get("entries", []):
        text = plan_rows.row_text(entry, names)
        ws.append([text[k] for k in plans.ENTRY_FIELDS] + [codes.get(entry.get("key"), "")])
    for col, width in zip("ABCDEFGHI", (24, 10, 30, 24, 16, 24, 24, 20, 20)):
        ws.column_dimensions[col].width = width


def _task_row(session: Session, task, dept_names: dict[int, str], row_names: dict[str, str]) -> list:
    items = "、".join(f"{i.code} {i.name}" for i in tasks.task_items(session, task))
    if task.task_type == "targeted":
        scope = f"指定对象 {len(task.target_usccs)} 个；事由：{task.targeted_reason}；来源：{task.targeted_source_doc}"
        ratios = "—"
    elif upper_rules.takes_list(task):
        scope, ratios = f"上级下发名单 {len(task.target_usccs)} 个对象", "全部检查"
    else:
        scope = _scope_text(task.scope or {})
        ratios = " / ".join(tasks.percent(task.ratios.get(k)) for k in ("low", "general", "higher", "high"))
    depts = [dept_names.get(i, "") for i in task.department_ids]
    return [task.code, task.name, tasks.TASK_TYPES[task.task_type], items, scope, ratios, task.group_size,
            depts[0] if depts else "", "、".join(depts[1:]), f"{task.period_start} 至 {task.period_end}",
            row_names.get(task.plan_row, ""), _upper_text(task), tasks.TASK_STATUSES.get(task.status, task.status),
            task.commitment or ""]


def _upper_text(task) -> str:
    if task.task_type != upper_rules.UPPER:
        return ""
    code = f"，上级任务编号 {task.upper_task_code}" if task.upper_task_code else ""
    return f"{task.upper_authority} {task.upper_doc_no}{code}"


def _scope_text(scope: dict) -> str:
    parts = ["类别：" + task_rules.category_labels(scope.get("categories", []))]
    if scope.get("tags"):
        parts.append("标签：" + "、".join(scope["tags"]))
    if scope.get("regions"):
        parts.append("乡镇：" + "、".join(scope["regions"]))
    return "；".join(parts)


def plan_workbook(session: Session, plan: Plan) -> bytes:
    """The plan in force (or the newest version before the first publication), its tasks and versions."""
    version = plans.in_force(plan) or plans.current(plan)
    plan_tasks = tasks.plan_tasks(session, plan)
    codes: dict[str, list[str]] = {}
    for task in plan_tasks:
        codes.setdefault(task.plan_row, []).append(task.code)
    wb = Workbook()
    _plan_sheet(wb.active, plan, version, plan_rows.Names.load(session), {k: "、".join(v) for k, v in codes.items()})
    ws = wb.create_sheet("抽查任务")
    ws.append(TASK_HEADERS)
    dept_names = {d.id: d.name for d in session.scalars(select(Department))}
    row_names = {r["key"]: r["name"] for r in version.content.get("entries", []) if r.get("key")}
    for task in plan_tasks:
        ws.append(_task_row(session, task, dept_names, row_names))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    ws = wb.create_sheet("版本记录")
    ws.append(VERSION_HEADERS)
    for v in plan.versions:
        ws.append([f"第 {v.version} 版", plans.VERSION_STATUSES.get(v.status, v.status), v.reason,
                   local_text(v.approved_at), local_text(v.published_at)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

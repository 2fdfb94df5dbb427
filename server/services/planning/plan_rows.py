"""The rows of an annual plan (计划安排): checked against the registries, shown as text, compared by version.

A row names its inspection items and its departments by id (lead first), carries its 抽查时间段 as two
dates, and has a key that stays the same through the plan's versions, so a task can say which row it
carries out and the leader can see, row by row, what an adjustment changed. Text from before rows named
registry records (`unmatched`) is kept and shown until the office has picked the records and cleared it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ValidationError
from server.models.registry import Department, InspectionItem
from server.vocab import TaskType

TEXT_FIELDS = ("name", "scope", "ratio", "note")
# What a row shows, in order, and under which heading (the 备案 sheet and the portal use the same).
DISPLAY_FIELDS = ("name", "task_type", "items", "scope", "ratio", "period", "departments", "note")
LABELS = {"name": "抽查任务名称", "task_type": "抽查类型", "items": "抽查事项", "scope": "抽查对象范围",
          "ratio": "抽查比例及频次", "period": "抽查时间段", "departments": "发起部门和配合部门", "note": "备注"}
UNMATCHED_LABELS = {"items": "抽查事项", "departments": "部门", "task_type": "抽查类型", "period": "抽查时间段"}
MAX_TEXT = 500
_KEY = re.compile(r"R\d{1,6}")


@dataclass
class Names:
    """Names of the registry records rows refer to: items as 'code name', departments by name."""

    items: dict[int, str]
    departments: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> Names:
        return cls(items={i: f"{c} {n}" for i, c, n in session.execute(
                          select(InspectionItem.id, InspectionItem.code, InspectionItem.name))},
                   departments=dict(session.execute(select(Department.id, Department.name)).all()))


def _ids(values, label: str, n: int) -> list[int]:
    out = []
    for v in values or ():
        if v in (None, ""):
            continue
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise ValidationError(f"计划第 {n} 项的{label}“{v}”无效，请从列表中选择") from None
    return list(dict.fromkeys(out))


def _date(value, n: int, label: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError(f"计划第 {n} 项的{label}“{text}”不是有效日期（格式如 2024-04-01）",
                              errors={f"entries.{n}.period": "日期无效"}) from None


def _task_type(value, n: int) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    member = TaskType.by_label(text)
    if member is None:
        choices = "、".join(t.label for t in TaskType)
        raise ValidationError(f"计划第 {n} 项的抽查类型“{text}”无效，可选：{choices}",
                              errors={f"entries.{n}.task_type": "无效"})
    return member.value


def _check_records(session: Session, n: int, item_ids: list[int], dept_ids: list[int], before: dict) -> None:
    """New references must be to published items and active departments; kept ones may have lapsed since."""
    kept_items, kept_depts = set(before.get("item_ids") or ()), set(before.get("department_ids") or ())
    items = {i.id: i for i in session.scalars(select(InspectionItem).where(InspectionItem.id.in_(item_ids)))}
    for item_id in item_ids:
        item = items.get(item_id)
        if item is None or (item.status != "published" and item_id not in kept_items):
            shown = f"“{item.code} {item.name}”" if item else f"（编号 {item_id}）"
            raise ValidationError(f"计划第 {n} 项的抽查事项{shown}不在已发布的抽查事项清单中",
                                  errors={f"entries.{n}.item_ids": "不在清单中"})
    depts = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(dept_ids)))}
    for dept_id in dept_ids:
        dept = depts.get(dept_id)
        if dept is None or (not dept.is_active and dept_id not in kept_depts):
            shown = f"“{dept.name}”已停用" if dept else f"（编号 {dept_id}）不存在"
            raise ValidationError(f"计划第 {n} 项的部门{shown}，请重新选择",
                                  errors={f"entries.{n}.department_ids": "无效"})


def clean_row(session: Session, entry: dict, n: int, before: dict) -> dict | None:
    """One row checked and normalized (None for a blank row); `before` is the same row as last saved."""
    row = {k: str(entry.get(k) or "").strip() for k in TEXT_FIELDS}
    if "lead_department_id" in entry or "cooperating_department_ids" in entry:  # the form: lead, then others
        lead = _ids([entry.get("lead_department_id")], "发起部门", n)
        coop = _ids(entry.get("cooperating_department_ids"), "配合部门", n)
        if coop and not lead:
            raise ValidationError(f"计划第 {n} 项选择了配合部门，请同时选择发起部门",
                                  errors={f"entries.{n}.lead_department_id": "请选择"})
        dept_ids = list(dict.fromkeys(lead + coop))
    else:  # the stored shape, lead first
        dept_ids = _ids(entry.get("department_ids"), "部门", n)
    row.update(task_type=_task_type(entry.get("task_type"), n), item_ids=_ids(entry.get("item_ids"), "抽查事项", n),
               department_ids=dept_ids, period_start=_date(entry.get("period_start"), n, "开始日期"),
               period_end=_date(entry.get("period_end"), n, "结束日期"))
    unmatched = {} if entry.get("clear_unmatched") else dict(before.get("unmatched") or {})
    if not any(row[k] for k in TEXT_FIELDS + ("task_type", "period_start", "period_end")) \
            and not row["item_ids"] and not dept_ids and not unmatched:
        return None
    if not row["name"]:
        raise ValidationError(f"计划第 {n} 项缺少抽查任务名称", errors={f"entries.{n}": "请填写抽查任务名称"})
    for k in TEXT_FIELDS:
        if len(row[k]) > MAX_TEXT:
            raise ValidationError(f"计划第 {n} 项的{LABELS[k]}过长：不能超过 {MAX_TEXT} 个字")
    if bool(row["period_start"]) != bool(row["period_end"]):
        raise ValidationError(f"计划第 {n} 项的抽查时间段请同时填写开始和结束日期",
                              errors={f"entries.{n}.period": "不完整"})
    if row["period_start"] and row["period_start"] > row["period_end"]:
        raise ValidationError(f"计划第 {n} 项的抽查时间段结束日期不能早于开始日期",
                              errors={f"entries.{n}.period": "结束早于开始"})
    _check_records(session, n, row["item_ids"], dept_ids, before)
    if unmatched:
        row["unmatched"] = unmatched
    return row


def assign_keys(rows: list[tuple[str, dict]], used: set[str]) -> list[dict]:
    """Give each row its posted key when that is a known, unrepeated key; a new key otherwise."""
    taken: set[str] = set()
    numbers = [int(k[1:]) for k in used if _KEY.fullmatch(k)]
    next_n = max(numbers, default=0) + 1
    out = []
    for key, row in rows:
        if not (key in used and key not in taken):
            key, next_n = f"R{next_n}", next_n + 1
        taken.add(key)
        out.append({"key": key, **row})
    return out


def used_keys(versions) -> set[str]:
    """Every row key a plan has used in any version (a removed row's key is never given to a new row)."""
    return {r.get("key") for v in versions for r in (v.content or {}).get("entries", []) if r.get("key")}


# --- showing rows ----------------------------------------------------------------------------------------

def period_text(row: dict) -> str:
    if row.get("period_start"):
        return f"{row['period_start']} 至 {row['period_end']}"
    return ""


def row_text(row: dict, names: Names) -> dict[str, str]:
    """A row's DISPLAY_FIELDS as the text people read; unmatched text from before is shown with its note."""
    unmatched = row.get("unmatched") or {}

    def with_legacy(text: str, key: str) -> str:
        old = unmatched.get(key)
        if not old:
            return text
        return "；".join(p for p in (text, f"（原文，未对应到名录：{old}）") if p)

    depts = [names.departments.get(d, f"部门{d}") for d in row.get("department_ids") or ()]
    dept_text = "、".join(f"{d}（发起）" if i == 0 and len(depts) > 1 else d for i, d in enumerate(depts))
    task_type = TaskType.by_label(row.get("task_type") or "")
    return {"name": row.get("name", ""), "scope": row.get("scope", ""), "ratio": row.get("ratio", ""),
            "note": row.get("note", ""),
            "task_type": with_legacy(task_type.label if task_type else "", "task_type"),
            "items": with_legacy("、".join(names.items.get(i, f"事项{i}") for i in row.get("item_ids") or ()), "items"),
            "period": with_legacy(period_text(row), "period"), "departments": with_legacy(dept_text, "departments")}


def diff(old_rows: list[dict], new_rows: list[dict], names: Names) -> list[dict]:
    """Row-by-row changes from one version to the next: added, removed, and changed (field, before, after)."""
    old = {r["key"]: r for r in old_rows if r.get("key")}
    new_keys = {r.get("key") for r in new_rows}
    out = []
    for row in new_rows:
        now = row_text(row, names)
        before = old.get(row.get("key"))
        if before is None:
            out.append({"kind": "added", "key": row.get("key"), "name": now["name"], "row": now, "changes": []})
            continue
        was = row_text(before, names)
        changes = [(LABELS[f], was[f], now[f]) for f in DISPLAY_FIELDS if was[f] != now[f]]
        if changes:
            out.append({"kind": "changed", "key": row["key"], "name": now["name"], "row": now, "changes": changes})
    for row in old_rows:
        if row.get("key") not in new_keys:
            was = row_text(row, names)
            out.append({"kind": "removed", "key": row.get("key"), "name": was["name"], "row": was, "changes": []})
    return out


DIFF_LABELS = {"added": "新增", "removed": "删除", "changed": "修改"}

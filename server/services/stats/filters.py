"""The statistics filters: read from the URL, checked, and turned into the year's task scope.

Every bad value gets a Chinese note saying what was wrong and what is shown instead; the page still
renders. A period is a pair of dates inside the year; a monthly report is the period of one month.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Mapping

from sqlalchemy import and_, extract, or_, select
from sqlalchemy.orm import Session

from server.models.planning import Plan, Task
from server.models.registry import Department, InspectionItem
from server.services.kernel.workdays import today
from server.services.registry import search
from server.vocab import TargetCategory

TASK_TYPES = {"undirected": "不定向", "directed": "定向", "targeted": "靶向", "upper": "上级任务"}
RANDOM_TYPES = ("undirected", "directed")  # the 双随机 share counts these; 靶向 and 上级任务 are not random draws
FIELDS = ("year", "start", "end", "task", "task_type", "department", "item", "category", "town")


@dataclass(frozen=True)
class TaskRow:
    """What the figures need of a task in scope."""

    id: int
    code: str
    name: str
    task_type: str
    item_ids: tuple
    department_ids: tuple


@dataclass(frozen=True)
class Filters:
    """A checked set of filters; `start`/`end` are inclusive Beijing dates inside `year`."""

    year: int
    start: dt.date
    end: dt.date
    task_id: int | None = None
    task_type: str = ""
    department_id: int | None = None
    item_id: int | None = None
    category: str = ""
    town: str = ""
    notes: tuple = ()
    tasks: tuple = field(default=(), compare=False)  # TaskRow of every task in scope
    labels: dict = field(default_factory=dict, compare=False)  # chosen filter values in words

    @property
    def whole_year(self) -> bool:
        return self.start == dt.date(self.year, 1, 1) and self.end == dt.date(self.year, 12, 31)

    @property
    def period_label(self) -> str:
        if self.whole_year:
            return f"{self.year}年全年"
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        if self.start.day == 1 and self.end == self.start.replace(day=last):
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    @property
    def task_ids(self) -> list[int]:
        return [t.id for t in self.tasks]

    @property
    def random_task_ids(self) -> list[int]:
        return [t.id for t in self.tasks if t.task_type in RANDOM_TYPES]

    def args(self, **extra) -> dict:
        """The query-string arguments that reproduce these filters (defaults left out), plus `extra`."""
        out = {"year": self.year}
        if not self.whole_year:
            out.update(start=self.start.isoformat(), end=self.end.isoformat())
        for key, value in (("task", self.task_id), ("task_type", self.task_type),
                           ("department", self.department_id), ("item", self.item_id),
                           ("category", self.category), ("town", self.town)):
            if value:
                out[key] = value
        out.update({k: v for k, v in extra.items() if v not in (None, "")})
        return out

    def description(self) -> list[str]:
        """The filters in words, e.g. ["2024年全年", "抽查类型：定向"], for headers and exports."""
        out = [self.period_label]
        for key, label in (("task", "抽查任务"), ("task_type", "抽查类型"), ("department", "实施部门"),
                           ("item", "抽查事项"), ("category", "对象类别"), ("town", "乡镇")):
            if self.labels.get(key):
                out.append(f"{label}：{self.labels[key]}")
        return out


def _int(raw) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def _date(raw, label: str, notes: list) -> dt.date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        notes.append(f"{label}“{text}”格式有误，应为 YYYY-MM-DD（例如 2024-03-01），已忽略")
        return None


def _year(raw, notes: list) -> int:
    text = str(raw or "").strip()
    year = _int(text) if text else today().year
    if year is None or not 2000 <= year <= 2100:
        notes.append(f"年度“{text}”无法识别，应为 2000–2100 之间的年份，已显示 {today().year} 年")
        return today().year
    return year


def _period(year: int, raw: Mapping, notes: list) -> tuple[dt.date, dt.date]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = str(raw.get("month") or "").strip()
    if month:
        try:
            y, m = (int(p) for p in month.split("-"))
            return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])
        except ValueError:
            notes.append(f"月份“{month}”格式有误，应为 YYYY-MM（例如 2024-03），已显示全年")
            return first, last
    start = _date(raw.get("start"), "开始日期", notes) or first
    end = _date(raw.get("end"), "结束日期", notes) or last
    if end < start:
        notes.append(f"结束日期（{end.isoformat()}）早于开始日期（{start.isoformat()}），请重新选择期间；已显示全年")
        return first, last
    if end < first or start > last:
        notes.append(f"所选期间不在 {year} 年内，已显示 {year} 年全年")
        return first, last
    if start < first or end > last:
        notes.append(f"期间已限定在 {year} 年内（{max(start, first).isoformat()} 至 {min(end, last).isoformat()}）")
    return max(start, first), min(end, last)


def year_tasks(session: Session, year: int) -> list[TaskRow]:
    """The tasks of a year: those of its plans, and those without a plan whose period starts in it."""
    rows = session.execute(
        select(Task.id, Task.code, Task.name, Task.task_type, Task.item_ids, Task.department_ids)
        .outerjoin(Plan, Plan.id == Task.plan_id)
        .where(or_(Plan.year == year, and_(Task.plan_id.is_(None), extract("year", Task.period_start) == year)))
        .order_by(Task.code)).all()
    return [TaskRow(r.id, r.code, r.name, r.task_type, tuple(r.item_ids or ()), tuple(r.department_ids or ()))
            for r in rows]


def _choose(value, known: Mapping, label: str, notes: list):
    """`value` when it is one of `known` (keys), else None with a note; empty stays empty."""
    text = str(value or "").strip()
    if not text:
        return None
    key = _int(text) if all(isinstance(k, int) for k in known) else text
    if key in known:
        return key
    notes.append(f"未知的{label}“{text}”，已忽略该筛选条件")
    return None


def parse(session: Session, raw: Mapping) -> Filters:
    """Filters from URL arguments; unknown or impossible values become notes and are ignored."""
    notes: list[str] = []
    year = _year(raw.get("year"), notes)
    start, end = _period(year, raw, notes)
    if start.year != year:  # a month= argument chooses its own year
        year = start.year
    tasks = year_tasks(session, year)
    if not tasks:
        notes.append(f"{year} 年没有抽查任务，各项统计暂无数据")
    by_id = {t.id: t for t in tasks}
    task_id = _choose(raw.get("task"), by_id, f"{year} 年抽查任务", notes)
    task_type = _choose(raw.get("task_type"), TASK_TYPES, "抽查类型", notes) or ""
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    items = dict(session.execute(select(InspectionItem.id, InspectionItem.name)).all())
    department_id = _choose(raw.get("department"), departments, "实施部门", notes)
    item_id = _choose(raw.get("item"), items, "抽查事项", notes)
    category = _choose(raw.get("category"), dict(TargetCategory.choices()), "检查对象类别", notes) or ""
    town = _choose(raw.get("town"), {r: r for r in search.target_regions(session)}, "乡镇", notes) or ""
    chosen = [t for t in tasks if (task_id is None or t.id == task_id)
              and (not task_type or t.task_type == task_type)
              and (department_id is None or department_id in t.department_ids)
              and (item_id is None or item_id in t.item_ids)]
    if tasks and not chosen:
        notes.append("没有同时符合所选条件的抽查任务，各项统计暂无数据")
    labels = {"task": f"{by_id[task_id].code} {by_id[task_id].name}" if task_id else "",
              "task_type": TASK_TYPES.get(task_type, ""), "department": departments.get(department_id, ""),
              "item": items.get(item_id, ""), "category": TargetCategory(category).label if category else "",
              "town": town}
    return Filters(year=year, start=start, end=end, task_id=task_id, task_type=task_type,
                   department_id=department_id, item_id=item_id, category=category, town=town,
                   notes=tuple(notes), tasks=tuple(chosen), labels=labels)


def with_period(filters: Filters, start: dt.date, end: dt.date) -> Filters:
    """The same filters over another period (the monthly report of one month of the year)."""
    return replace(filters, start=start, end=end)


def options(session: Session, f: Filters) -> dict:
    """The choices of each filter: years that have plans or tasks, the year's tasks, departments, items,
    target categories and 乡镇."""
    years = {today().year, f.year} | set(session.scalars(select(Plan.year).distinct()))
    years |= {int(y) for y in session.scalars(select(extract("year", Task.period_start)).distinct()) if y}
    return {
        "years": sorted(years, reverse=True),
        "tasks": [(t.id, f"{t.code} {t.name}") for t in year_tasks(session, f.year)],
        "task_types": list(TASK_TYPES.items()),
        "departments": list(session.execute(select(Department.id, Department.name).order_by(Department.name))),
        "inspection_items": list(session.execute(select(InspectionItem.id, InspectionItem.name).order_by(InspectionItem.code))),
        "categories": TargetCategory.choices(),
        "towns": search.target_regions(session),
        "months": [f"{f.year}-{m:02d}" for m in range(1, 13)],
    }

"""月度趋势 (inspections done, problems found and results published per month) and the risk-level
changes of the period (风险等级变化: from which level to which, up or down)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models.followup import RiskLevelChange
from server.models.registry import Target
from server.services.stats import shapes
from server.services.stats.filters import Filters
from server.services.stats.sql import bounds
from server.vocab import RiskLevel

RANK = {m.value: m.rank for m in RiskLevel}
LABEL = {m.value: m.label for m in RiskLevel}


def months(f: Filters) -> list[str]:
    """YYYY-MM of every month the period touches."""
    out, day = [], f.start.replace(day=1)
    while day <= f.end:
        out.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def risk_changes(session: Session, f: Filters) -> dict[tuple[str, str], int]:
    """(old level, new level) -> changes recorded in the period (of targets of the chosen category and 乡镇)."""
    lo, hi = bounds(f.start, f.end)
    stmt = (select(RiskLevelChange.old_level, RiskLevelChange.new_level, func.count())
            .where(RiskLevelChange.at >= lo, RiskLevelChange.at < hi)
            .group_by(RiskLevelChange.old_level, RiskLevelChange.new_level))
    if f.category or f.town:
        stmt = stmt.join(Target, Target.id == RiskLevelChange.target_id)
        stmt = stmt.where(*([Target.category == f.category] if f.category else []),
                          *([Target.region == f.town] if f.town else []))
    return {(o, n): c for o, n, c in session.execute(stmt)}


def sections(f: Filters, by_month: dict[str, tuple[int, int]], changes: dict[tuple[str, str], int]) -> list[dict]:
    """七、月度趋势 and 八、风险等级变化."""
    ms = months(f)
    rows = []
    for m in ms:
        done, probs = by_month.get(m, (0, 0))
        link = {"fig": "insp", "stage": "cohort", "month": m}
        rows.append([shapes.text(m), shapes.num(done, link), shapes.num(probs, {**link, "problem": 1}),
                     shapes.pct(probs, done)])
    t = shapes.table("trend", "月度趋势", ["月份", "完成检查", "发现问题", "发现问题率"], rows)
    line = shapes.chart("trend_chart", "月度趋势", "line", ms,
                        [{"name": "完成检查", "data": [r[1]["v"] for r in rows]},
                         {"name": "发现问题", "data": [r[2]["v"] for r in rows]}], table_key="trend")
    trend = shapes.section("trend", "七、月度趋势", tables=[t], charts=[line],
                           note="按检查完成（提交且照片、签名齐全）的月份统计。")
    levels = [m.value for m in RiskLevel]
    matrix = [[shapes.text(f"{LABEL[o]}风险")] + [shapes.num(changes.get((o, n), 0), {"fig": "risk", "old": o, "new": n})
                                                 if o != n else shapes.text("—") for n in levels] for o in levels]
    up = sum(c for (o, n), c in changes.items() if RANK.get(n, 0) > RANK.get(o, 0))
    down = sum(c for (o, n), c in changes.items() if RANK.get(n, 0) < RANK.get(o, 0))
    t_risk = shapes.table("risk", "风险等级变化（行：原等级，列：新等级）", ["原等级", *[f"变为{LABEL[n]}" for n in levels]],
                          matrix)
    bar = shapes.chart("risk_chart", "风险等级变化", "bar", ["升高", "降低"],
                       [{"name": "变化次数", "data": [up, down]}], table_key="risk")
    heads = [shapes.headline("风险等级升高", shapes.num(up, {"fig": "risk", "direction": "up"})),
             shapes.headline("风险等级降低", shapes.num(down, {"fig": "risk", "direction": "down"}))]
    risk = shapes.section("risk", "八、风险等级变化", headline=heads, tables=[t_risk], charts=[bar],
                          note="按期间内记录的风险等级变化统计；不受抽查任务、类型、部门、事项筛选的影响。")
    return [trend, risk]

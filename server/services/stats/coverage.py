"""The share of the registry inspected at random (不定向/定向) against the 3% floor, county-wide and by
risk level and category, from one GROUP BY over the period's inspections by target dimension (the
"cube", which also feeds the problem rates by category and 乡镇)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.models.registry import Target
from server.services.stats import shapes
from server.services.stats.filters import Filters
from server.services.stats.sql import CATEGORY, ONLY_NO_PROBLEM, REGION, RISK, inspected, problem
from server.vocab import RiskLevel, TargetCategory

FLOOR = Decimal("3")  # 一(四): at least 3% of the registry each year
RISKS = [(m.value, m.label) for m in RiskLevel]
CATEGORIES = TargetCategory.choices()


def cube(session: Session, f: Filters, id_range: tuple[int, int]) -> list[dict]:
    """(category, region, risk, inspected, problems, random_targets) of the period's inspections."""
    random_ids = f.random_task_ids
    random_target = case((Inspection.task_id.in_(random_ids), Inspection.target_id)) if random_ids else None
    stmt = (select(CATEGORY.label("category"), REGION.label("region"), RISK.label("risk"),
                   func.count().label("inspected"),
                   func.count(case((problem(session, id_range), 1))).label("problems"),
                   func.count(case((Inspection.result_categories == ONLY_NO_PROBLEM, 1))).label("only_01"),
                   (func.count(distinct(random_target)) if random_target is not None else func.sum(0))
                   .label("random_targets"))
            .where(*inspected(f)).group_by(CATEGORY, REGION, RISK))
    return [dict(r._mapping) for r in session.execute(stmt)]


def random_targets_total(session: Session, f: Filters) -> int:
    """Distinct targets inspected at random in the period: a target two tasks inspected counts once."""
    if not f.random_task_ids:
        return 0
    return session.scalar(select(func.count(distinct(Inspection.target_id)))
                          .where(*inspected(f), Inspection.task_id.in_(f.random_task_ids))) or 0


def registry(session: Session, f: Filters) -> dict[tuple[str, str], int]:
    """(category, risk level) -> targets in the registry (of the chosen category and 乡镇)."""
    stmt = select(Target.category, Target.risk_level, func.count()).group_by(Target.category, Target.risk_level)
    if f.category:
        stmt = stmt.where(Target.category == f.category)
    if f.town:
        stmt = stmt.where(Target.region == f.town)
    return {(c, r): n for c, r, n in session.execute(stmt)}


def section(f: Filters, rows: list[dict], total_targets: int, reg: dict) -> dict:
    """The county-wide share with its 3% badge, the category × risk table and its chart."""
    got: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["category"], r["risk"])
        got[key] = got.get(key, 0) + int(r["random_targets"] or 0)
    registry_total = sum(reg.values())
    cats = [(c, label) for c, label in CATEGORIES if not f.category or c == f.category]
    table_rows = []
    for code, label in cats:
        cells = [shapes.pct(got.get((code, k), 0), reg.get((code, k), 0),
                            {"fig": "insp", "stage": "random", "category": code, "risk": k}) for k, _ in RISKS]
        n, d = sum(got.get((code, k), 0) for k, _ in RISKS), sum(reg.get((code, k), 0) for k, _ in RISKS)
        table_rows.append([shapes.text(label), *cells, shapes.num(n, {"fig": "insp", "stage": "random",
                                                                      "category": code}),
                           shapes.num(d), shapes.pct(n, d)])
    by_risk = [(sum(got.get((c, k), 0) for c, _ in cats), sum(reg.get((c, k), 0) for c, _ in cats)) for k, _ in RISKS]
    total = [shapes.text("全部类别"), *[shapes.pct(n, d, {"fig": "insp", "stage": "random", "risk": k})
                                    for (n, d), (k, _) in zip(by_risk, RISKS)],
             shapes.num(total_targets, {"fig": "insp", "stage": "random"}), shapes.num(registry_total),
             shapes.pct(total_targets, registry_total)]
    table = shapes.table("coverage", "随机抽查覆盖率（按对象类别和风险等级）",
                         ["对象类别", *[f"{label}风险" for _, label in RISKS], "抽查户数", "名录库户数", "抽查比例"],
                         table_rows, total=total,
                         note="抽查户数按抽取时的对象类别和风险等级归类，只计不定向、定向抽查；名录库户数为当前名录库。")
    chart = shapes.chart("coverage_chart", "随机抽查覆盖率", "bar", [label for _, label in cats],
                         [{"name": f"{label}风险", "data": [row[i + 1]["v"] for row in table_rows]}
                          for i, (_, label) in enumerate(RISKS)], table_key="coverage", unit="%", floor=float(FLOOR))
    share = shapes.pct(total_targets, registry_total, {"fig": "insp", "stage": "random"})
    badge = None
    if share["v"] is not None:
        badge = ("ok", "达到 3% 底线") if Decimal(str(share["v"])) >= FLOOR else ("warn", "低于 3% 底线")
    heads = [shapes.headline("随机抽查覆盖率（全县）", share, badge),
             shapes.headline("随机抽查对象户数", shapes.num(total_targets, {"fig": "insp", "stage": "random"})),
             shapes.headline("名录库对象户数", shapes.num(registry_total))]
    return shapes.section("coverage", "二、抽查比例（不低于 3%）", headline=heads, tables=[table], charts=[chart],
                          note="靶向检查和上级任务不计入随机抽查比例；同一对象在期间内被多次随机抽查只计一户。")

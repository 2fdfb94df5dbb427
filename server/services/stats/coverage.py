"""The share of the registry inspected at random (不定向/定向) against the 3% floor, county-wide and by
risk level and category: distinct targets over the registry's targets."""
from __future__ import annotations

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from server.models.inspections import Inspection
from server.models.stats import StatsRegistry
from server.services.stats import shapes
from server.services.stats.filters import Filters
from server.services.stats.sql import CATEGORY, RISK, dialect, walk
from server.vocab import RiskLevel, TargetCategory

FLOOR_PERCENT = 3  # 一(四): at least 3% of the registry each year
RISKS = [(m.value, m.label) for m in RiskLevel]
CATEGORIES = TargetCategory.choices()


def random_targets(session: Session, f: Filters) -> tuple[dict[tuple[str, str], int], int]:
    """({(category, risk): targets}, targets overall) inspected at random in the period.

    A target two random tasks inspected counts once, under the category and risk level it was drawn with
    (the first in code order, min(category || '|' || risk), if its snapshots differ), so the cells add up
    to the total.

    PostgreSQL groups by target (over ix_inspections_stats_target) and hashes the cells. SQLite would sort
    the 140,000 grouped targets for the second step instead, so there each cell's distinct targets stream
    over ix_inspections_stats_cell (SQLite only), and the few targets drawn in more than one cell are taken
    out of the cells other than their first (_moved)."""
    if not f.random_task_ids:
        return {}, 0
    conds = walk(f, session, f.random_task_ids)
    if dialect(session) == "sqlite":
        per_cell = (select(CATEGORY + "|" + RISK, func.count(func.distinct(Inspection.target_id)))
                    .where(*conds).group_by(CATEGORY, RISK))
        stmt = union_all(per_cell, _moved(conds))
    else:
        targets = (select(func.min(CATEGORY + "|" + RISK).label("cell")).where(*conds)
                   .group_by(Inspection.target_id).subquery())
        stmt = select(targets.c.cell, func.count()).group_by(targets.c.cell)
    out = {}
    for key, n in session.execute(stmt):
        category, _, risk = (key or "|").partition("|")
        out[(category, risk)] = out.get((category, risk), 0) + n
    out = {cell: n for cell, n in out.items() if n}
    return out, sum(out.values())


def _moved(conds: list):
    """(cell, -targets) for the targets a per-cell count counts in a cell other than their first.

    Only targets inspected more than once can have two cells (a few percent, found in one pass over
    ix_inspections_stats_target); their cells are sought by target and compared in the database, so
    that "first" is the database's own min()."""
    target = Inspection.target_id
    again = select(target).where(*conds).group_by(target).having(func.count() > 1)
    cells = (select(target, (CATEGORY + "|" + RISK).label("cell")).where(*conds, target.in_(again))
             .group_by(target, CATEGORY, RISK).subquery())
    ranked = select(cells.c.cell, func.min(cells.c.cell).over(partition_by=cells.c.target_id).label("first")).subquery()
    return select(ranked.c.cell, -func.count()).where(ranked.c.cell != ranked.c.first).group_by(ranked.c.cell)


def registry(session: Session, f: Filters) -> dict[tuple[str, str], int]:
    """(category, risk level) -> targets in the registry (of the chosen category and 乡镇), from its rollup
    (models/stats.py: StatsRegistry, current once report.build has refreshed it)."""
    r = StatsRegistry
    stmt = select(r.category, r.risk_level, func.sum(r.n)).group_by(r.category, r.risk_level)
    if f.category:
        stmt = stmt.where(r.category == f.category)
    if f.town:
        stmt = stmt.where(r.region == f.town)
    return {(c, k): n for c, k, n in session.execute(stmt) if n}


def _link(**cell) -> dict:
    return {"fig": "insp", "stage": "random", **cell}


def section(f: Filters, got: dict, total_targets: int, reg: dict) -> dict:
    """The county-wide share with its 3% badge, the category × risk table and its chart."""
    registry_total = sum(reg.values())
    # categories the registry has (or that were inspected): an empty category would be a row of 暂无数据
    cats = [(c, label) for c, label in CATEGORIES if (not f.category or c == f.category)
            and (any(reg.get((c, k)) for k, _ in RISKS) or any(got.get((c, k)) for k, _ in RISKS))]
    rows = []
    for code, label in cats:
        cells = [shapes.pct(got.get((code, k), 0), reg.get((code, k), 0), _link(category=code, risk=k))
                 for k, _ in RISKS]
        n, d = sum(got.get((code, k), 0) for k, _ in RISKS), sum(reg.get((code, k), 0) for k, _ in RISKS)
        rows.append([shapes.text(label), *cells, shapes.num(n, _link(category=code)), shapes.num(d), shapes.pct(n, d)])
    by_risk = [(sum(got.get((c, k), 0) for c, _ in cats), sum(reg.get((c, k), 0) for c, _ in cats)) for k, _ in RISKS]
    total = [shapes.text("合计（同一对象只计一户）"),
             *[shapes.pct(n, d, _link(risk=k)) for (n, d), (k, _) in zip(by_risk, RISKS)],
             shapes.num(total_targets, _link()), shapes.num(registry_total), shapes.pct(total_targets, registry_total)]
    table = shapes.table("coverage", "随机抽查覆盖率（按对象类别和风险等级）",
                         ["对象类别", *[f"{label}风险" for _, label in RISKS], "抽查户数", "名录库户数", "抽查比例"],
                         rows, total=total,
                         note="抽查户数按抽取时的对象类别和风险等级归类，只计不定向、定向抽查；名录库户数为当前名录库。")
    chart = shapes.chart("coverage_chart", "随机抽查覆盖率", "bar", [label for _, label in cats],
                         [{"name": f"{label}风险", "data": [row[i + 1]["v"] for row in rows]}
                          for i, (_, label) in enumerate(RISKS)], table_key="coverage", unit="%", floor=FLOOR_PERCENT)
    share = shapes.pct(total_targets, registry_total, _link())
    badge = None
    if not f.random_task_ids:  # nothing drawn at random in scope: no share to speak of (not 0%)
        share = shapes.text(shapes.NO_DATA)
    elif registry_total:
        met = total_targets * 100 >= FLOOR_PERCENT * registry_total
        badge = ("ok", "达到 3% 底线") if met else ("warn", "低于 3% 底线")
    heads = [shapes.headline("随机抽查覆盖率（全县）", share, badge),
             shapes.headline("随机抽查对象户数", shapes.num(total_targets, _link())),
             shapes.headline("名录库对象户数", shapes.num(registry_total))]
    return shapes.section("coverage", "二、抽查比例（不低于 3%）", headline=heads, tables=[table], charts=[chart],
                          note="靶向检查和上级任务不计入随机抽查比例；同一对象在期间内被多次随机抽查只计一户。")

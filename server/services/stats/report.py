"""The whole statistics report for a set of filters: every section, computed once, for the page, the
workbook and the PDFs alike."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.services.kernel.permissions import require_staff
from server.services.stats import coverage, followup, problems, progress, trend
from server.services.stats.filters import Filters


def build(session: Session, actor, f: Filters) -> dict:
    """{"filters", "sections"}: the report of `f` (staff and leaders only)."""
    require_staff(actor)
    counts = progress.per_task(session, f)
    published = progress.published_by_month(session, f)
    ids = progress.id_range(counts)
    cube = coverage.cube(session, f, ids)
    reg = coverage.registry(session, f)
    total_targets = coverage.random_targets_total(session, f)
    by_item: dict[int, int] = {}
    for task in f.tasks:
        for item_id in task.item_ids:
            if not f.item_id or item_id == f.item_id:
                by_item[item_id] = by_item.get(item_id, 0) + counts.get(task.id, {}).get("cohort", 0)
    only_01 = sum(r["only_01"] for r in cube)  # results exactly [01], counted by the cube's scan
    fails = problems.failed(session, f, ids)
    codes = problems.results(session, f, only_01)
    month_counts = trend.by_month(session, f, ids)
    month_published = {}
    for (_, m), n in published.items():
        month_published[m] = month_published.get(m, 0) + n
    sections = [progress.section(f, counts, published), coverage.section(f, cube, total_targets, reg),
                *problems.section(session, f, cube, by_item, fails, codes),
                *followup.sections(f, followup.counts(session, f)),
                *trend.sections(f, month_counts, month_published, trend.risk_changes(session, f))]
    return {"filters": f, "sections": sections}

"""The whole statistics report for a set of filters: every section, computed once, for the page, the
workbook and the PDFs alike. Eight statements in all, each an aggregate in SQL."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.services.kernel.permissions import require_staff
from server.services.stats import cohort, coverage, followup, problems, progress, sql, trend
from server.services.stats.filters import Filters


def _by_item(f: Filters, counts: dict[int, dict]) -> dict[int, int]:
    """Item id -> the period's done inspections whose task has the item (loops over tasks, not rows)."""
    out: dict[int, int] = {}
    for task in f.tasks:
        for item_id in task.item_ids:
            if not f.item_id or item_id == f.item_id:
                out[item_id] = out.get(item_id, 0) + counts.get(task.id, {}).get("cohort", 0)
    return out


def build(session: Session, actor, f: Filters, *, parallel: bool = False) -> dict:
    """{"filters", "sections"}: the report of `f` (staff and leaders only)."""
    require_staff(actor)
    counts = progress.per_task(session, f)
    pubs = progress.publications(session, f)
    c = cohort.load(session, f, progress.id_range(counts), sql.negative_results(session))
    got, total_targets = coverage.random_targets(session, f)
    reg = coverage.registry(session, f)
    sections = [progress.section(f, counts, pubs), coverage.section(f, got, total_targets, reg),
                *problems.section(session, f, c, _by_item(f, counts)),
                *followup.sections(f, followup.counts(session, f), followup.buckets(counts, pubs)),
                *trend.sections(f, c.months, trend.risk_changes(session, f))]
    return {"filters": f, "sections": sections}

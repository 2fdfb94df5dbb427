"""The whole statistics report for a set of filters: every section, computed once, for the page, the
workbook and the PDFs alike.

Four independent jobs, each aggregates in SQL: the figures of the tasks and their follow-up records (from
the rollup, periods.py), the registry, the distinct targets inspected at random and the risk-level changes.
The page runs them on two connections at once (`workers=2`: the jobs share nothing, and both SQLite and
PostgreSQL serve concurrent readers) once the rollup is current and committed (`refresh`, which the views
call and commit first); services and tests run them in turn, in their own transaction.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from server.services.kernel.permissions import require_staff
from server.services.stats import coverage, followup, periods, problems, progress, rollup, trend
from server.services.stats.filters import Filters
from server.services.stats.sql import dialect


def _by_item(f: Filters, counts: dict[int, dict]) -> dict[int, int]:
    """Item id -> the period's done inspections whose task has the item (loops over tasks, not rows)."""
    out: dict[int, int] = {}
    for task in f.tasks:
        for item_id in task.item_ids:
            if not f.item_id or item_id == f.item_id:
                out[item_id] = out.get(item_id, 0) + counts.get(task.id, {}).get("cohort", 0)
    return out


def _jobs(f: Filters) -> dict[str, Callable[[Session], object]]:
    """The jobs, slowest first (so that two workers finish together)."""
    return {"random": lambda s: coverage.random_targets(s, f), "tasks": lambda s: periods.figures(s, f),
            "registry": lambda s: coverage.registry(s, f),
            "risk": lambda s: trend.risk_changes(s, f)}


def _parallel_bind(session: Session) -> Engine | None:
    """The engine to open more connections on, or None where only this session's connection will do
    (an in-memory SQLite database, or a session bound to one connection)."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return None
    if bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:"):
        return None
    return bind


def _no_jit(session: Session) -> None:
    """PostgreSQL compiles the large aggregates with LLVM (their estimated cost passes jit_above_cost): at
    this size that costs more than it saves (212 ms of the cohort's statement, 56 ms of a follow-up one).
    For this transaction only."""
    if dialect(session) == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _run(session: Session, jobs: dict, workers: int) -> dict:
    engine = _parallel_bind(session) if workers > 1 else None
    if engine is None:
        _no_jit(session)
        return {name: job(session) for name, job in jobs.items()}

    def run(job):
        with Session(engine) as own:  # read-only: its own connection and transaction
            _no_jit(own)
            return job(own)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stats") as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def refresh(session: Session, actor) -> int:
    """Bring the rollup up to date with every committed write (flushes; the view commits it, so that the
    report's other connections read it). Returns the tasks recomputed."""
    require_staff(actor)
    return rollup.refresh(session)


def build(session: Session, actor, f: Filters, *, workers: int = 1) -> dict:
    """{"filters", "sections"}: the report of `f` (staff and leaders only). The rollup is refreshed in
    this session first; when that found work to do, the jobs run here, in turn, where it is visible."""
    require_staff(actor)
    if rollup.refresh(session):
        workers = 1
    r = _run(session, _jobs(f), workers)
    counts, pubs, c = r["tasks"]
    got, total_targets = r["random"]
    sections = [progress.section(f, counts, pubs), coverage.section(f, got, total_targets, r["registry"]),
                *problems.section(session, f, c, _by_item(f, counts)),
                *followup.sections(f, c.follow_up(), followup.buckets(counts, pubs)),
                *trend.sections(f, c.months, r["risk"])]
    return {"filters": f, "sections": sections}

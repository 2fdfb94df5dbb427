"""The random share's distinct targets by (category, risk level) when a target was drawn in more than one
cell (its risk level or category changed between two random draws) and when none was, against a count the
test makes itself, on SQLite (per-cell counts and their correction) and PostgreSQL (one grouping by target)."""
from __future__ import annotations

import datetime as dt

import pytest

from server.models.inspections import Inspection
from server.models.planning import Plan
from server.services.draw.assignment import target_snapshot
from server.services.stats import coverage, filters, report
from tests.factories import create_target, create_task, create_user

UTC = dt.timezone.utc


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2024, month, day, 4, tzinfo=UTC)


class Draws:
    """Random and targeted inspections of 2024, each with the cell its target had when it was drawn."""

    def __init__(self, session):
        self.session = session
        plan = Plan(code="JH2024C", year=2024, name="2024年度抽查计划")
        session.add(plan)
        session.flush()
        self.tasks = {kind: create_task(session, plan_id=plan.id, task_type=kind)
                      for kind in ("undirected", "directed", "targeted")}
        self.tasks["undirected2"] = create_task(session, plan_id=plan.id, task_type="undirected")
        self.done = []  # (task type, target id, category, risk level, done at)

    def draw(self, task: str, target, done: dt.datetime, **now) -> None:
        """Inspect `target` in `task`, after its category or risk level became `now` (as a re-rating would)."""
        for key, value in now.items():
            setattr(target, key, value)
        self.session.add(Inspection(task_id=self.tasks[task].id, target_id=target.id, status="approved",
                                    target_snapshot=target_snapshot(target), checklist_snapshot=[],
                                    result_categories=["01"], submitted_at=done, completed_at=done,
                                    first_completed_at=done, approved_at=done))
        self.session.flush()
        self.done.append((self.tasks[task].task_type, target.id, target.category, target.risk_level, done))

    def expected(self, lo=at(1, 1), hi=dt.datetime(2025, 1, 1, tzinfo=UTC), category=None):
        """Each target inspected at random once, in the first (in code order) of the cells it was drawn in."""
        cells = {}
        for kind, target, cat, risk, done in self.done:
            if kind in ("undirected", "directed") and lo <= done < hi and category in (None, cat):
                cells.setdefault(target, set()).add(f"{cat}|{risk}")
        out = {}
        for mine in cells.values():
            cat, _, risk = min(mine).partition("|")
            out[(cat, risk)] = out.get((cat, risk), 0) + 1
        return out, len(cells)


@pytest.fixture
def draws(session):
    return Draws(session)


def figures(session, **args):
    return coverage.random_targets(session, filters.parse(session, {"year": "2024", **args}))


def test_a_target_drawn_in_two_cells_counts_once_in_its_first_cell(session, draws):
    moved = create_target(session, category="freight", risk_level="low")
    draws.draw("undirected", moved, at(4, 10))
    draws.draw("directed", moved, at(7, 10), risk_level="high")  # re-rated: 高 before 低 in code order
    recategorised = create_target(session, category="repair", risk_level="general")
    draws.draw("undirected", recategorised, at(4, 11))
    draws.draw("directed", recategorised, at(7, 11), category="freight")
    thrice = create_target(session, category="taxi", risk_level="higher")
    draws.draw("undirected", thrice, at(4, 12))
    draws.draw("directed", thrice, at(7, 12), risk_level="low")
    draws.draw("undirected2", thrice, at(9, 12), risk_level="general")
    for cat, risk in [("freight", "low"), ("freight", "high"), ("taxi", "low"), ("repair", "general")]:
        draws.draw("undirected", create_target(session, category=cat, risk_level=risk), at(5, 1))
    draws.draw("targeted", moved, at(8, 1), risk_level="general")  # a 靶向 inspection is not in the share
    session.commit()

    got, total = figures(session)
    assert (got, total) == draws.expected() == (
        {("freight", "high"): 2, ("freight", "general"): 1, ("freight", "low"): 1, ("taxi", "general"): 1,
         ("taxi", "low"): 1, ("repair", "general"): 1}, 7)
    assert sum(got.values()) == total
    # the second draws out of the period or the category: each target in the one cell left
    assert figures(session, start="2024-01-01", end="2024-06-30") == draws.expected(hi=at(7, 1))
    assert figures(session, category="freight") == draws.expected(category="freight")
    assert figures(session, category="freight")[0][("freight", "high")] == 2

    rep = report.build(session, create_user(session, role="office"), filters.parse(session, {"year": "2024"}))
    heads = {h["label"]: h for s in rep["sections"] for h in s["headline"]}
    assert heads["随机抽查对象户数"]["cell"]["v"] == 7


def test_targets_each_drawn_in_one_cell_count_once_each(session, draws):
    twice = create_target(session, category="freight", risk_level="low")
    draws.draw("undirected", twice, at(4, 10))
    draws.draw("directed", twice, at(7, 10))  # the same cell both times
    for cat, risk in [("freight", "low"), ("freight", "high"), ("taxi", "low"), ("repair", "general")]:
        draws.draw("directed", create_target(session, category=cat, risk_level=risk), at(5, 1))
    session.commit()

    got, total = figures(session)
    assert (got, total) == draws.expected() == (
        {("freight", "low"): 2, ("freight", "high"): 1, ("taxi", "low"): 1, ("repair", "general"): 1}, 5)
    assert figures(session, task_type="undirected") == ({("freight", "low"): 1}, 1)

"""The rollup behind 统计分析 (models/stats.py, services/stats/rollup.py and periods.py), on SQLite and
PostgreSQL: it gives exactly what counting the inspections directly gives, for whole and broken months,
a publication deadline inside the period and every filter; a write made any way (the ORM or a bare SQL
statement) shows in the next report; the page commits what it recomputed."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from server.models.stats import StatsDirty
from server.services.kernel.workdays import local_midnight_utc
from server.services.stats import filters, periods, progress, report
from tests.server.stats import world as W
from server.models.registry import Target
from tests.server.stats.test_figures import cohort, column, heads, tables


@pytest.fixture
def w(session):
    return W.build(session)


def _figures(rep) -> dict:
    """Every number the report shows, by table and row label."""
    out = {}
    for key, t in tables(rep).items():
        for row in t["rows"] + ([t["total"]] if t.get("total") else []):
            out[(key, row[0]["t"])] = [c.get("v") for c in row[1:]]
    return out


def _direct(monkeypatch):
    """Make periods count every day of the period from the inspections, none from the rollup."""
    real = periods.split

    def no_rollup(f):
        s = real(f)
        s.days = [(f.start, f.end)]
        s.rolled = []
        return s
    monkeypatch.setattr(periods, "split", no_rollup)


ARGS = [{}, {"start": "2024-03-15", "end": "2024-05-20"}, {"start": "2024-03-31", "end": "2024-04-01"},
        {"town": "润城镇", "item": "i1"}, {"category": "freight", "start": "2024-02-10", "end": "2024-11-30"},
        {"task_type": "undirected", "item": "i2"}]


@pytest.mark.parametrize("args", ARGS, ids=lambda a: ",".join(a) or "year")
@pytest.mark.parametrize("today", [None, dt.date(2024, 6, 12)], ids=["deadlines-passed", "deadline-in-may"])
def test_the_rollup_counts_what_the_inspections_count(session, w, monkeypatch, args, today):
    if today:  # the 20-working-day deadline of 12 June falls in May: May is split at it
        monkeypatch.setattr(progress, "today", lambda: today)
        monkeypatch.setattr(progress, "earliest_start_not_overdue", lambda on, n: dt.date(2024, 5, 14))
    if "item" in args:
        args = {**args, "item": str(w.items[args["item"]].id)}
    f = filters.parse(session, {"year": "2024", **args})
    s = periods.split(f)
    assert "2024-05" not in s.rolled if today else s.due_month > "2024-12"  # May counted from its days
    rolled = _figures(report.build(session, w.office, f))
    _direct(monkeypatch)
    direct = _figures(report.build(session, w.office, f))
    assert rolled == direct


def test_a_broken_month_counts_its_own_days(session, w):
    f = filters.parse(session, {"year": "2024", "start": "2024-03-15", "end": "2024-04-10"})
    assert periods.split(f).days == [(dt.date(2024, 3, 15), dt.date(2024, 3, 31)),
                                     (dt.date(2024, 4, 1), dt.date(2024, 4, 10))]
    rep = report.build(session, w.office, f)
    lo, hi = local_midnight_utc(dt.date(2024, 3, 15)), local_midnight_utc(dt.date(2024, 4, 11))
    expected = cohort(w, lo=lo, hi=hi)
    assert heads(rep)["期间完成检查"]["cell"]["v"] == len(expected) > 0


def _drawn(rep) -> int:
    return heads(rep)["抽取检查"]["cell"]["v"]


def test_writes_made_any_way_show_in_the_next_report(session, w):
    f = filters.parse(session, {"year": "2024"})
    before = report.build(session, w.office, f)
    session.commit()
    assert session.scalar(select(func.count()).select_from(StatsDirty)) == 0
    fact = next(x for x in w.facts if x.status == "approved" and x.task == "U")
    session.execute(text("UPDATE inspections SET status = 'withdrawn' WHERE id = :id"), {"id": fact.id})
    session.commit()
    assert session.scalar(select(func.count()).select_from(StatsDirty)) >= 1
    after = report.build(session, w.office, f)
    assert _drawn(after) == _drawn(before) - 1
    assert heads(after)["期间完成检查"]["cell"]["v"] == heads(before)["期间完成检查"]["cell"]["v"] - 1
    pending = next(x for x in w.facts if x.publication and not x.publication["first_published_at"]
                   and x.status != "withdrawn")
    published = lambda rep: tables(rep)["progress"]["total"][5]["v"]  # noqa: E731  (已公示)
    session.execute(text("UPDATE publications SET status = 'published', first_published_at = created_at "
                         "WHERE inspection_id = :id AND department_id IS NULL"), {"id": pending.id})
    session.commit()
    assert published(report.build(session, w.office, f)) == published(after) + 1


def test_follow_up_and_registry_writes_show_in_the_next_report(session, w):
    f = filters.parse(session, {"year": "2024"})
    before = report.build(session, w.office, f)
    session.commit()
    fact = next(x for x in cohort(w) if x.credit)
    session.execute(text("DELETE FROM credit_records WHERE inspection_id = :id"), {"id": fact.id})
    target = session.get(Target, w.targets[0].id)
    session.execute(text("UPDATE targets SET category = 'taxi' WHERE id = :id"), {"id": target.id})
    session.commit()
    after = report.build(session, w.office, f)
    credit = lambda rep: sum(r[1]["v"] for r in tables(rep)["credit"]["rows"])  # noqa: E731
    assert credit(after) == credit(before) - len(fact.credit)
    registry = lambda rep, label: column(tables(rep)["coverage"], "名录库户数").get(label, 0)  # noqa: E731
    assert registry(after, "出租汽车客运") == registry(before, "出租汽车客运") + 1
    assert heads(after)["名录库对象户数"]["cell"]["v"] == heads(before)["名录库对象户数"]["cell"]["v"]


def test_the_page_commits_what_it_recomputed(session, client, login, w):
    login(w.office)
    session.execute(text("UPDATE inspections SET approved_at = NULL WHERE id = :id"), {"id": w.facts[0].id})
    session.commit()
    assert session.scalar(select(func.count()).select_from(StatsDirty)) >= 1
    assert client.get("/office/stats?year=2024").status_code == 200
    session.rollback()
    assert session.scalar(select(func.count()).select_from(StatsDirty)) == 0


def test_two_refreshes_at_once_take_turns(app, session, w):
    """Two views refreshing the same marked task at once: the second waits for the first (PostgreSQL's
    advisory lock: and then finds nothing left to do; SQLite: its one writer at a time, and it may count
    the task again) and neither fails or leaves a row twice."""
    import threading

    from sqlalchemy.orm import Session

    from server.extensions import db
    from server.models.stats import StatsTaskCell
    from server.services.stats import rollup
    rollup.refresh(session)
    session.commit()
    session.execute(text("UPDATE inspections SET approved_at = NULL WHERE id = :id"), {"id": w.facts[0].id})
    session.commit()
    cells = session.scalar(select(func.count()).select_from(StatsTaskCell))
    first, second = Session(db.engine), Session(db.engine)
    assert rollup.refresh(first) >= 1  # holds its transaction open
    got, errors = [], []

    def other():
        try:
            got.append(rollup.refresh(second))
            second.commit()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
    thread = threading.Thread(target=other)
    thread.start()
    thread.join(0.5)
    first.commit()
    thread.join(10)
    first.close(), second.close()
    assert not errors and len(got) == 1
    if db.engine.dialect.name == "postgresql":
        assert got == [0]
    assert session.scalar(select(func.count()).select_from(StatsTaskCell)) == cells


def test_the_refresh_command_brings_the_rollup_up_to_date(app, session, w):
    from server.models.stats import StatsTaskCell
    runner = app.test_cli_runner()
    assert session.scalar(select(func.count()).select_from(StatsDirty)) > 0  # the world's writes, marked
    first = runner.invoke(args=["stats-refresh"])
    assert first.exit_code == 0 and "统计汇总已更新" in first.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(StatsDirty)) == 0
    cells = session.scalar(select(func.count()).select_from(StatsTaskCell))
    assert "已是最新" in runner.invoke(args=["stats-refresh"]).output
    again = runner.invoke(args=["stats-refresh", "--all"])
    assert again.exit_code == 0 and "统计汇总已更新" in again.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(StatsTaskCell)) == cells > 0

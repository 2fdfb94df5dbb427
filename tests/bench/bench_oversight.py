"""督查 at province scale: the board over 200 tasks and 200,000 inspections (two members each, 200 inspectors in
5 departments), ungrouped and grouped by inspector, on SQLite and PostgreSQL, beside the bare SQL of its largest
aggregate (the inspections counted by task and status).

Budget: the page ≤ 1 s server time (through the WSGI app, no network) — it is opened a few times a day by the
法制股, not by every user on every page. Run: python -m tests.bench.bench_oversight (BENCH_OVERSIGHT_DB=sqlite or
postgresql runs one database). The data is tests/bench/stats_data.py's, plus the groups' members.
"""
from __future__ import annotations

import datetime as dt
import time

from tests.bench.bench_stats import RUNS, _median_ms, _page, _verdict

PAGE_BUDGET_MS = 1000
N_INSPECTORS = 200


def _members(db) -> None:
    """200 inspectors (ORM) and two active members for every inspection (bulk)."""
    from sqlalchemy import select

    from server.models.registry import Department, Inspector
    from tests.bench.stats_data import N_INSPECTIONS, Loader

    s = db.session
    depts = list(s.scalars(select(Department.id).order_by(Department.id)))
    people = [Inspector(name=f"检查员{k}", cert_no=f"1405229{k:05d}", cert_issued_on=dt.date(2022, 1, 1),
                        cert_expires_on=dt.date(2030, 12, 31), department_id=depts[k % len(depts)])
              for k in range(N_INSPECTORS)]
    s.add_all(people)
    s.commit()
    ids = [(p.id, p.department_id) for p in people]
    ld = Loader(db)
    rows = ((2 * i + j + 1, i + 1, *ids[(i * 7 + j * 13) % N_INSPECTORS], True, "")
            for i in range(N_INSPECTIONS) for j in range(2))
    ld.load("inspection_members", ("id", "inspection_id", "inspector_id", "department_id", "active", "note"), rows)
    if ld.pg:
        from sqlalchemy import text
        s.execute(text("SELECT setval(pg_get_serial_sequence('inspection_members', 'id'), "
                       "(SELECT max(id) FROM inspection_members))"))
        s.commit()


def _largest_aggregate(db):
    def run():
        raw = db.engine.raw_connection()
        try:
            raw.cursor().execute("SELECT task_id, status, count(*) FROM inspections GROUP BY 1, 2").fetchall()
        finally:
            raw.close()
    return run


def bench(url: str, name: str) -> None:
    from server import create_app
    from server.extensions import db
    from tests.bench import stats_data

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        stats_data.seed(db)
        _members(db)
        print(f"{name}: loaded {stats_data.N_INSPECTIONS:,} inspections with {2 * stats_data.N_INSPECTIONS:,} "
              f"members, {stats_data.N_TASKS} tasks in {time.perf_counter() - started:.0f} s", flush=True)
        client = app.test_client()
        client.post("/office/login", data={"username": "bench", "password": "password123"})
        base = _median_ms(_page(client, "/office/"))  # warm up, and the 工作台 for scale
        sql = _median_ms(_largest_aggregate(db))
        for label, url_ in (("ungrouped", "/office/oversight"), ("grouped by inspector", "/office/oversight?group=inspector")):
            ms = _median_ms(_page(client, url_))
            print(f"督查 board, {label}, {stats_data.N_INSPECTIONS:,} inspections ({name}): {ms:.0f} ms median of {RUNS} "
                  f"(baseline bare SQL of its largest aggregate: {sql:.0f} ms; the 工作台: {base:.0f} ms; "
                  f"budget ≤ {PAGE_BUDGET_MS} ms) {_verdict(ms, PAGE_BUDGET_MS)}", flush=True)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    from tests.bench import databases
    databases.each(bench, "BENCH_OVERSIGHT_DB", "bench-oversight")


if __name__ == "__main__":
    main()

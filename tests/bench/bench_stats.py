"""统计分析 at province scale: the page for one year with 200,000 inspections, 2,000,000 checkpoint answers
and 20,000 findings (registry of 1,000,000 targets), on SQLite and PostgreSQL, beside the bare SQL of its
largest aggregate; and the 年度抽查工作总结 PDF beside a bare WeasyPrint render of the same HTML.

Budgets: the page ≤ 300 ms server time (through the WSGI app, no network); the annual PDF ≤ 5 s.
Run: python -m tests.bench.bench_stats (BENCH_STATS_DB=sqlite or postgresql runs one database).
The data is bulk-loaded (tests/bench/stats_data.py); loading takes one to two minutes per database.
"""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time

PAGE_BUDGET_MS = 300
PDF_BUDGET_S = 5.0
RUNS = 7


def _median_ms(fn, runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _verdict(value: float, budget: float) -> str:
    return "OK" if value <= budget else "OVER BUDGET"


def _largest_aggregate(db, task_ids: list[int]):
    """The page's largest aggregate as bare SQL through the driver: the distinct targets the year's random
    tasks inspected, by the cell each was drawn in (二、抽查比例; the one figure not read from the rollup),
    written the plain way (group by target, then by cell)."""
    from server.services.kernel.workdays import local_midnight_utc
    import datetime as dt
    lo, hi = local_midnight_utc(dt.date(2024, 1, 1)), local_midnight_utc(dt.date(2025, 1, 1))
    pg = db.engine.dialect.name == "postgresql"
    fmt = (lambda m: m.isoformat()) if pg else (lambda m: m.strftime("%Y-%m-%d %H:%M:%S.%f"))
    sql = ("SELECT cell, count(*) FROM (SELECT min(target_category || '|' || target_risk_level) AS cell "
           "FROM inspections "
           f"WHERE task_id IN ({', '.join(map(str, task_ids))}) AND status != 'withdrawn' "
           f"AND first_completed_at >= '{fmt(lo)}' AND first_completed_at < '{fmt(hi)}' GROUP BY target_id) t "
           "GROUP BY cell")

    def run():
        raw = db.engine.raw_connection()
        try:
            raw.cursor().execute(sql).fetchall()
        finally:
            raw.close()
    return run


def _page(client, url: str):
    def get():
        resp = client.get(url)
        assert resp.status_code == 200, resp.status_code
    return get


def _bench_pdf(app, db, user) -> None:
    import weasyprint

    from server import pdf
    from server.services.stats import filters, reports

    f = filters.parse(db.session, {"year": "2024"})
    started = time.perf_counter()
    ctx = reports.context(db.session, user, f, "阳城县交通运输局", kind="annual", workers=2)
    html = pdf.render_html(reports.TEMPLATE, ctx)
    data = pdf.html_to_pdf(html)
    whole = time.perf_counter() - started
    started = time.perf_counter()
    weasyprint.HTML(string=html, base_url=str(pdf.STATIC_DIR)).write_pdf()
    bare = time.perf_counter() - started
    print(f"annual PDF (年度抽查工作总结, {len(data) // 1024} KB, figures + HTML + PDF): {whole:.2f} s "
          f"(baseline bare WeasyPrint render of the same HTML: {bare:.2f} s; budget ≤ {PDF_BUDGET_S:.0f} s) "
          f"{_verdict(whole, PDF_BUDGET_S)}", flush=True)


def bench(url: str, name: str) -> None:
    from server import create_app
    from server.extensions import db
    from tests.bench import stats_data

    tmp = tempfile.mkdtemp(prefix="bench-stats-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "PDF_CACHE_DIR": os.path.join(tmp, "pdf")})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        seeded = stats_data.seed(db)
        print(f"{name}: loaded {stats_data.N_INSPECTIONS:,} inspections, {stats_data.N_ANSWERS:,} answers, "
              f"{stats_data.N_FINDINGS:,} findings, {stats_data.N_TARGETS:,} targets in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        from server.services.stats import filters
        task_ids = filters.parse(db.session, {"year": "2024"}).random_task_ids
        client = app.test_client()
        client.post("/office/login", data={"username": "bench", "password": "password123"})
        page = _page(client, "/office/stats?year=2024")
        started = time.perf_counter()
        page()
        first = (time.perf_counter() - started) * 1000
        ms, base = _median_ms(page), _median_ms(_largest_aggregate(db, task_ids))
        print(f"统计分析 page, one year of {stats_data.N_INSPECTIONS:,} inspections ({name}): {ms:.0f} ms median of "
              f"{RUNS}, first view {first:.0f} ms (baseline bare SQL of its largest aggregate: {base:.0f} ms; "
              f"budget ≤ {PAGE_BUDGET_MS} ms) {_verdict(ms, PAGE_BUDGET_MS)}", flush=True)
        filtered = _median_ms(_page(client, "/office/stats?year=2024&category=freight&start=2024-04-01&end=2024-06-30"))
        print(f"统计分析 page, a quarter of one category ({name}): {filtered:.0f} ms (same baseline; budget ≤ "
              f"{PAGE_BUDGET_MS} ms) {_verdict(filtered, PAGE_BUDGET_MS)}", flush=True)
        if name == "SQLite":
            _bench_pdf(app, db, seeded["user"])
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    from tests.bench import databases
    databases.each(bench, "BENCH_STATS_DB", "bench-stats")


if __name__ == "__main__":
    main()

"""Review queue and review detail pages with 200,000 inspections in the database (budget ≤ 200 ms each).

Bulk-inserts 200,000 targets and inspections (5% submitted, the rest in other states) with their groups
into a fresh SQLite file, then times the pages through the WSGI app (server time, no network) beside the
bare SQL of the queue page. Run: python -m tests.bench.bench_review
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import tempfile
import time

from sqlalchemy import insert, select, text

N_INSPECTIONS = 200_000
SUBMITTED_SHARE = 20  # one in 20 is waiting for review
BUDGET_MS = 200
RUNS = 15


def _median_ms(fn, runs: int = RUNS) -> float:
    fn()  # warm up caches and the statement cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _seed(db, n: int) -> int:
    """Bulk-insert the registries and n inspections; returns the id of the oldest submitted one."""
    from server.models.inspections import Inspection, InspectionMember
    from server.models.planning import Plan, Task
    from server.models.registry import Checkpoint, Department, InspectionItem, Inspector, Target
    from server.services.registry.uscc import check_digit

    s = db.session
    dept = Department(code="ZFD", name="交通运输综合行政执法队")
    s.add(dept)
    s.flush()
    items = []
    for i in range(6):
        item = InspectionItem(code=f"JT-{i:03d}", name=f"抽查事项{i}", legal_basis="《道路运输条例》",
                              methods=["on_site"], target_categories=["freight"])
        item.checkpoints = [Checkpoint(seq=k + 1, text=f"检查要点{k + 1}") for k in range(5)]
        items.append(item)
    s.add_all(items)
    plan = Plan(code="140522202401", year=2024, name="2024年度双随机抽查计划")
    s.add(plan)
    s.flush()
    tasks = [Task(plan_id=plan.id, code=f"T2024{t:04d}", name=f"抽查任务{t}", item_ids=[it.id for it in items],
                  lead_department_id=dept.id, department_ids=[dept.id], period_start=dt.date(2024, 3, 1),
                  period_end=dt.date(2024, 10, 31), status="drawn") for t in range(100)]
    s.add_all(tasks)
    inspectors = [Inspector(name=f"检查员{k}", cert_no=f"14052{k:07d}", cert_issued_on=dt.date(2022, 1, 1),
                            cert_expires_on=dt.date(2030, 12, 31), department_id=dept.id) for k in range(200)]
    s.add_all(inspectors)
    s.flush()
    checklist = [{"item_id": it.id, "code": it.code, "name": it.name, "legal_basis": it.legal_basis,
                  "checkpoints": [{"id": cp.id, "seq": cp.seq, "text": cp.text} for cp in it.checkpoints]}
                 for it in items]
    now = dt.datetime(2024, 10, 1, tzinfo=dt.timezone.utc)
    chunk = 20_000
    for start in range(0, n, chunk):
        rows = []
        for k in range(start, min(start + chunk, n)):
            body = f"91140522{k:09d}"
            rows.append({"id": k + 1, "uscc": body + check_digit(body), "name": f"阳城县第{k}运输有限公司",
                         "category": "freight", "address": "阳城县凤城镇", "latitude": 35.48, "longitude": 112.41,
                         "tags": [], "licences": [], "status": "active", "risk_level": "general",
                         "region": "凤城镇", "legal_rep": "", "contact_name": "", "contact_phone": "",
                         "created_at": now, "updated_at": now})
        s.execute(insert(Target.__table__), rows)
        insp_rows, member_rows = [], []
        for k in range(start, min(start + chunk, n)):
            submitted = k % SUBMITTED_SHARE == 0
            at = now - dt.timedelta(minutes=k)
            insp_rows.append({
                "id": k + 1, "task_id": tasks[k % 100].id, "target_id": k + 1, "mode": "on_site", "version": 1,
                "status": "submitted" if submitted else ("approved" if k % 3 else "assigned"),
                "checklist_snapshot": checklist, "target_snapshot": {"uscc": rows[k - start]["uscc"]},
                "result_categories": ["01"] if submitted or k % 3 else [], "methods": ["on_site"],
                "follow_ups": ["none"], "summary": "", "has_conflicts": False, "reviewer_note": "",
                "submitted_at": at if submitted or k % 3 else None, "completed_at": at if submitted or k % 3 else None,
                "changed_at": at, "created_at": at})
            for j in (0, 1):
                member_rows.append({"inspection_id": k + 1, "inspector_id": inspectors[(2 * k + j) % 200].id,
                                    "department_id": dept.id, "active": True, "note": ""})
        s.execute(insert(Inspection.__table__), insp_rows)
        s.execute(insert(InspectionMember.__table__), member_rows)
    s.commit()
    return s.scalar(select(Inspection.id).where(Inspection.status == "submitted")
                    .order_by(Inspection.submitted_at, Inspection.id).limit(1))


def _add_field_records(db, inspection_id: int) -> None:
    """30 answers, 2 findings and 4 photos on the inspection under review (when the sync area is present)."""
    try:
        from server.models.fieldwork import CheckpointAnswer, Finding, Photo
    except ImportError:
        return
    from server.models.inspections import Inspection

    insp = db.session.get(Inspection, inspection_id)
    cps = [cp["id"] for item in insp.checklist_snapshot for cp in item["checkpoints"]]
    for k, cp in enumerate(cps):
        db.session.add(CheckpointAnswer(id=f"00000000-0000-4000-8000-{k:012d}", inspection_id=insp.id,
                                        checkpoint_id=cp, answer="compliant" if k % 7 else "noncompliant", base=[]))
    for k in range(2):
        db.session.add(Finding(id=f"00000000-0000-4000-9000-{k:012d}", inspection_id=insp.id, checkpoint_id=cps[k],
                               description="车辆技术档案不全", legal_basis="《道路运输车辆技术管理规定》"))
    for k in range(4):
        db.session.add(Photo(id=f"00000000-0000-4000-a000-{k:012d}", inspection_id=insp.id, sha256=f"{k:064x}",
                             caption="现场照片", taken_at=dt.datetime(2024, 9, 30, 2, tzinfo=dt.timezone.utc),
                             latitude=35.48 + k * 0.002, longitude=112.41, accuracy_m=10.0))
    db.session.commit()


def main() -> None:
    from server import create_app
    from server.extensions import db
    from server.services.accounts import credentials

    tmp = tempfile.mkdtemp(prefix="bench-review-")
    path = os.path.join(tmp, "bench.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "WTF_CSRF_ENABLED": False, "MEDIA_DIR": os.path.join(tmp, "media")})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        first = _seed(db, N_INSPECTIONS)
        _add_field_records(db, first)
        user = credentials.create_user(db.session, None, username="bench", password="password123", role="office")
        db.session.commit()
        seeded = time.perf_counter() - started
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        total = db.session.scalar(text("SELECT count(*) FROM inspections"))
        print(f"seeded {total:,} inspections in {seeded:.1f} s ({path})")
        client = app.test_client()
        client.post("/office/login", data={"username": user.username, "password": "password123"})

        def page(url):
            def get():
                resp = client.get(url)
                assert resp.status_code == 200, resp.status_code
            return get

        def bare_sql(offset: int):
            stmt = text("SELECT i.id, i.version, i.mode, i.has_conflicts, i.submitted_at, i.completed_at, t.code, "
                        "t.name, g.name, g.uscc FROM inspections i JOIN tasks t ON t.id = i.task_id "
                        "JOIN targets g ON g.id = i.target_id WHERE i.status = 'submitted' "
                        f"ORDER BY i.submitted_at, i.id LIMIT 50 OFFSET {offset}")
            count = text("SELECT count(id) FROM inspections WHERE status = 'submitted'")

            def run():
                with db.engine.connect() as conn:
                    conn.execute(count).scalar()
                    conn.execute(stmt).all()
            return run

        figures = [("review queue page 1", page("/office/review"), bare_sql(0)),
                   ("review queue page 100", page("/office/review?page=100"), bare_sql(4950)),
                   ("review detail page (30 answers, 2 findings, 4 photos)", page(f"/office/review/{first}"),
                    bare_sql(0))]
        for name, fn, base in figures:
            ms, baseline = _median_ms(fn), _median_ms(base)
            verdict = "OK" if ms <= BUDGET_MS else "OVER BUDGET"
            print(f"{name}, {N_INSPECTIONS:,} inspections: {ms:.1f} ms (baseline bare SQL of that queue page: "
                  f"{baseline:.1f} ms; budget ≤ {BUDGET_MS} ms) {verdict}", flush=True)
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

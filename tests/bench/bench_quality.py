"""Quality flags' budget (issue #16): computing the flags adds ≤ 5 ms to the push of a complete inspection
(p50, PostgreSQL), beside the same push without them, measured in the same run.

Printed: both p50s and their difference (the budget's figure), the median of the differences of neighbouring
pushes (same load), and the flags' own time measured inside the push (quality.on_submit), which a loaded
machine blurs least. Pushes alternate between flags on and off (QUALITY_FLAGS_ENABLED) over inspections of one
group, eight a day with identical answers at the same hour, so that the group queries (identical answers,
overlapping visits) find the day's earlier visits; the target has coordinates (the photos' distances are
computed) and nearly every push raises flags, as a hurried group's would. SQLite is reported too.

Run: python -m tests.bench.bench_quality
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid

from sqlalchemy import func, select, update

from tests.bench.sync_data import full_inspection, partner_of, seed

FLAGS_BUDGET_MS = 5
RUNS = 40  # pushes per side, after the warm-up
PER_DAY = 8  # a busy group's visits in a day, all alike and at the same hour: every one after the first is flagged


def bench_flags(label: str, url: str, tmp: str, runs: int = RUNS) -> None:
    from server import create_app
    from server.extensions import db
    from server.models.accounts import User
    from server.models.fieldwork import MediaFile
    from server.models.inspections import Inspection
    from server.models.quality import QualityFlag
    from server.models.registry import Target
    from server.services.fieldwork import quality
    from server.services.fieldwork.sync_store import SqlSyncStore
    from sync.push import handle_push

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "MEDIA_DIR": os.path.join(tmp, "media")})
    with app.app_context():
        db.create_all()
        warm = 4
        seed(db.session, inspections=2 * runs + warm, checkpoints=38)
        db.session.execute(update(Target).values(latitude=35.48, longitude=112.41))
        hashes = [hashlib.sha256(f"file{k}".encode()).hexdigest() for k in range(6)]
        db.session.add_all([MediaFile(sha256=h, byte_size=1, format="JPEG", width=1600, height=1200) for h in hashes])  # photo-sized: a 1×1 photo is refused
        db.session.commit()
        user = db.session.scalar(select(User).where(User.username == "insp0"))
        ids = list(db.session.scalars(select(Inspection.id).order_by(Inspection.id)))
        cps = [cp["id"] for it in db.session.get(Inspection, ids[0]).checklist_snapshot for cp in it["checkpoints"]]
        times = {True: [], False: []}
        inside = []  # the flags' own time within each push (quality.on_submit), which the machine's load blurs less
        on_submit = quality.on_submit

        def timed(*args, **kw):
            started = time.perf_counter()
            try:
                return on_submit(*args, **kw)
            finally:
                if quality.POLICY["thresholds"].enabled:
                    inside.append((time.perf_counter() - started) * 1000)
        quality.on_submit = timed
        try:
            for k, insp_id in enumerate(ids):
                flags_on = k % 2 == 0
                quality.configure({**app.config, "QUALITY_FLAGS_ENABLED": flags_on})
                muts = full_inspection(insp_id, cps, user.inspector_id, hashes, partner_of(db.session, insp_id, user),
                                       day=k // PER_DAY)
                body = json.dumps({"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": muts}).encode()
                db.session.expire_all()
                db.session.refresh(user)
                start = time.perf_counter()
                resp = handle_push(SqlSyncStore(db.session, app.config), user, body, max_batch=500)
                db.session.commit()
                elapsed = (time.perf_counter() - start) * 1000
                assert resp["inspections"][0]["status"] == "submitted", resp["results"][-1]
                if k >= warm:
                    times[flags_on].append(elapsed)
        finally:
            quality.on_submit = on_submit
            quality.configure(app.config)
        flagged = db.session.scalar(select(func.count(QualityFlag.id)))
        on, off = statistics.median(times[True]), statistics.median(times[False])
        extra = on - off
        paired = statistics.median(a - b for a, b in zip(times[True], times[False]))  # neighbours: same load
        print(f"push of one complete inspection ({len(muts)} mutations) with the quality flags, {label}: "
              f"p50 {on:.1f} ms ({flagged} flags raised over {len(times[True]) + warm // 2} pushes) "
              f"(baseline the same push without them: p50 {off:.1f} ms; flags add {extra:+.1f} ms; "
              f"median of paired differences {paired:+.1f} ms; the flags' own time in the push p50 "
              f"{statistics.median(inside[warm // 2:]):.1f} ms; load average {os.getloadavg()[0]:.1f}; "
              f"budget ≤ {FLAGS_BUDGET_MS} ms) {'OK' if extra <= FLAGS_BUDGET_MS else 'OVER BUDGET'}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    from tests import pg

    tmp = tempfile.mkdtemp(prefix="bench-quality-")
    cluster = None
    try:
        bench_flags("SQLite", f"sqlite:///{os.path.join(tmp, 'flags.db')}", tmp)
        bindir = pg.find_bindir()
        if bindir:
            cluster = pg.Cluster(bindir)
            cluster.start()
            bench_flags("PostgreSQL", cluster.create_database("bench_flags"), tmp)
        else:
            print("flags on PostgreSQL: skipped (no PostgreSQL server binaries on this machine)")
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Sync budgets (DESIGN §11), each beside a baseline measured in the same run:

- push of one complete inspection (49 mutations), server-side, SQLite and PostgreSQL: p50 ≤ 40 ms
  (baseline: a raw insert of 48 answer rows and a commit);
- pull of 50 inspections with 30 checkpoints each: ≤ 150 KB gzipped and ≤ 100 ms (baseline: the bare
  SELECT of those rows plus json.dumps);
- media PUT of a 400 KB JPEG with all checks and the thumbnail: p50 ≤ 60 ms (baseline: sha256 and an
  fsynced file write of the same bytes);
- 100 simulated devices syncing at once against gunicorn (2 workers, 127.0.0.1 only): zero errors, zero
  lost mutations, p50/p95 (baseline: one device alone).

Run: python -m tests.bench.bench_sync
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid

from sqlalchemy import func, insert, select, text

from tests.bench.sync_data import full_inspection, partner_of, seed

PUSH_BUDGET_MS, PULL_BUDGET_MS, PULL_BUDGET_KB, MEDIA_BUDGET_MS = 40, 100, 150, 60
DEVICES = 100


def _p(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def _app(url: str, tmp: str):
    from server import create_app
    from server.extensions import db
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "MEDIA_DIR": os.path.join(tmp, "media")})
    with app.app_context():
        db.create_all()
    return app


def bench_push(label: str, url: str, tmp: str, runs: int = 25) -> None:
    from server.extensions import db
    from server.models.accounts import User
    from server.models.fieldwork import CheckpointAnswer, MediaFile
    from server.models.inspections import Inspection
    from server.services.fieldwork.sync_store import SqlSyncStore
    from sync.push import handle_push

    app = _app(url, tmp)
    with app.app_context():
        seed(db.session, inspections=runs + 3, checkpoints=38)
        hashes = [hashlib.sha256(f"file{k}".encode()).hexdigest() for k in range(6)]
        db.session.add_all([MediaFile(sha256=h, byte_size=1, format="JPEG", width=1600, height=1200) for h in hashes])  # photo-sized: a 1×1 photo is refused
        db.session.commit()
        user = db.session.scalar(select(User).where(User.username == "insp0"))
        ids = list(db.session.scalars(select(Inspection.id).order_by(Inspection.id)))
        cps = [cp["id"] for it in db.session.get(Inspection, ids[0]).checklist_snapshot for cp in it["checkpoints"]]
        samples, cpu, n_mut = [], [], 0
        for k, insp_id in enumerate(ids[:runs + 3]):
            muts = full_inspection(insp_id, cps, user.inspector_id, hashes, partner_of(db.session, insp_id, user))
            n_mut = len(muts)
            body = json.dumps({"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": muts}).encode()
            db.session.expire_all()
            db.session.refresh(user)  # as the request's token check does before the push handler runs
            start, start_cpu = time.perf_counter(), time.process_time()
            resp = handle_push(SqlSyncStore(db.session, app.config), user, body, max_batch=500)
            db.session.commit()
            elapsed = (time.perf_counter() - start) * 1000
            used = (time.process_time() - start_cpu) * 1000
            assert resp["inspections"][0]["status"] == "submitted", resp["inspections"]
            if k >= 3:  # the first pushes warm the statement caches
                samples.append(elapsed)
                cpu.append(used)
        base = []
        for k in range(runs):
            rows = [{"id": str(uuid.uuid4()), "inspection_id": ids[0], "checkpoint_id": cps[0], "answer": "compliant",
                     "note": "", "base": [], "inspection_version": 1,
                     "created_at": dt.datetime.now(dt.timezone.utc), "received_at": dt.datetime.now(dt.timezone.utc)}
                    for _ in range(n_mut)]
            start = time.perf_counter()
            db.session.execute(insert(CheckpointAnswer.__table__), rows)
            db.session.commit()
            base.append((time.perf_counter() - start) * 1000)
        p50 = statistics.median(samples)
        print(f"push of one complete inspection ({n_mut} mutations), {label}: p50 {p50:.1f} ms, p95 {_p(samples, .95):.1f} ms, "
              f"CPU in the app process p50 {statistics.median(cpu):.1f} ms, load average {os.getloadavg()[0]:.1f} "
              f"(baseline raw insert of {n_mut} rows + commit: {statistics.median(base):.1f} ms; budget ≤ {PUSH_BUDGET_MS} ms) "
              f"{_verdict(p50 <= PUSH_BUDGET_MS)}")
        db.session.remove()
        db.engine.dispose()


def bench_pull(tmp: str) -> None:
    from server.extensions import db
    from server.models.inspections import Inspection

    app = _app(f"sqlite:///{os.path.join(tmp, 'pull.db')}", tmp)
    with app.app_context():
        seed(db.session, inspections=50, checkpoints=30)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "insp0", "password": "password123",
                                                        "device_name": "bench"}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}

        def pull():
            resp = client.get("/api/v1/sync/pull?limit=50", headers=headers)
            assert resp.status_code == 200
            return resp

        def bare():
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT i.id, i.checklist_snapshot, i.target_snapshot, i.status, i.due_date "
                                         "FROM inspections i JOIN inspection_members m ON m.inspection_id = i.id "
                                         "WHERE m.inspector_id = 1")).all()
            return json.dumps([list(map(str, r)) for r in rows], ensure_ascii=False)

        for label, fn in (("fresh", pull),):
            resp = fn()
            body = json.loads(gzip.decompress(resp.data))
            assert len(body["inspections"]) == 50 and body["more"] is False
            cpu = []
            times = _times(fn, 15, cpu)
            base = _times(bare, 15)
            kb = len(resp.data) / 1024
            raw_kb = len(gzip.decompress(resp.data)) / 1024
            ok = kb <= PULL_BUDGET_KB and statistics.median(times) <= PULL_BUDGET_MS
            print(f"pull of 50 inspections × 30 checkpoints ({label}): {kb:.1f} KB gzipped ({raw_kb:.0f} KB raw), "
                  f"p50 {statistics.median(times):.1f} ms, CPU p50 {statistics.median(cpu):.1f} ms, "
                  f"load average {os.getloadavg()[0]:.1f} (baseline bare SELECT + json.dumps: {statistics.median(base):.1f} ms, "
                  f"{len(gzip.compress(bare().encode())) / 1024:.1f} KB gzipped; budget ≤ {PULL_BUDGET_KB} KB, ≤ {PULL_BUDGET_MS} ms) "
                  f"{_verdict(ok)}")
        _record_everything(db, Inspection)
        resp = pull()
        times = _times(pull, 10)
        print(f"pull of the same 50 inspections with 30 answers, 1 finding and 2 photos each recorded: "
              f"{len(resp.data) / 1024:.1f} KB gzipped, p50 {statistics.median(times):.1f} ms (information)")
        db.session.remove()
        db.engine.dispose()


def _record_everything(db, Inspection) -> None:
    from server.models.fieldwork import CheckpointAnswer, Finding, Photo
    for insp in db.session.scalars(select(Inspection)):
        cps = [cp["id"] for it in insp.checklist_snapshot for cp in it["checkpoints"]]
        db.session.add_all([CheckpointAnswer(id=str(uuid.uuid4()), inspection_id=insp.id, checkpoint_id=cp,
                                             answer="compliant", note="", base=[], user_id=1) for cp in cps])
        db.session.add(Finding(id=str(uuid.uuid4()), inspection_id=insp.id, description="档案不全", user_id=1))
        db.session.add_all([Photo(id=str(uuid.uuid4()), inspection_id=insp.id, sha256=f"{k:064x}", caption="照片",
                                  user_id=1) for k in range(2)])
    db.session.commit()


def _times(fn, runs, cpu: list | None = None):
    fn()
    out = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return out


def bench_media(tmp: str, runs: int = 15) -> None:
    from server.commands.device import make_photo
    from server.extensions import db

    app = _app(f"sqlite:///{os.path.join(tmp, 'media.db')}", tmp)
    photos = [make_photo(1000 + k) for k in range(runs + 2)]
    with app.app_context():
        seed(db.session, inspections=1, checkpoints=2)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "insp0", "password": "password123",
                                                        "device_name": "bench"}).get_json()["token"]
        samples, cpu = [], []
        for k, data in enumerate(photos):
            sha = hashlib.sha256(data).hexdigest()
            start, start_cpu = time.perf_counter(), time.process_time()
            resp = client.put(f"/api/v1/media/{sha}", data=data, headers={"Authorization": f"Bearer {token}",
                                                                          "Content-Type": "image/jpeg"})
            elapsed = (time.perf_counter() - start) * 1000
            assert resp.status_code == 201, resp.get_json()
            if k >= 2:
                samples.append(elapsed)
                cpu.append((time.process_time() - start_cpu) * 1000)
        base = []
        for data in photos[2:]:
            start = time.perf_counter()
            hashlib.sha256(data).hexdigest()
            path = os.path.join(tmp, "baseline.bin")
            with open(path, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            base.append((time.perf_counter() - start) * 1000)
        p50 = statistics.median(samples)
        size = statistics.median(len(p) for p in photos) / 1024
        print(f"media PUT of a {size:.0f} KB 1600×1200 JPEG (hash, decode, limits, thumbnail, atomic write): p50 {p50:.1f} ms, "
              f"p95 {_p(samples, .95):.1f} ms, CPU p50 {statistics.median(cpu):.1f} ms, load average {os.getloadavg()[0]:.1f} "
              f"(baseline sha256 + fsynced write: {statistics.median(base):.1f} ms; "
              f"budget ≤ {MEDIA_BUDGET_MS} ms) {_verdict(p50 <= MEDIA_BUDGET_MS)}")
        db.session.remove()
        db.engine.dispose()


def bench_devices(tmp: str, url: str, label: str) -> None:
    from server.commands.device import make_photo, make_signature
    from server.extensions import db
    from sync.client import SyncClient, UrllibTransport
    from tests.sync.live_server import LiveServer

    app = _app(url, tmp)
    with app.app_context():
        seed(db.session, inspections=DEVICES + 1, checkpoints=12, users=DEVICES + 1, group_of_one_user=True)
        db.session.remove()
        db.engine.dispose()
    server = LiveServer(url, os.path.join(tmp, "media"), workers=2)
    server.start()
    # each phone its own photo: the same bytes from another group's phone are another group's file (PROTOCOL §3.2)
    photos = {k: make_photo(k, size=(800, 600)) for k in range(DEVICES + 1)}
    results, expected = {}, {}

    def device(k: int):
        started = time.perf_counter()
        try:
            c = SyncClient(UrllibTransport(server.base_url, timeout=60), os.path.join(tmp, f"dev{k}.sqlite"),
                           base_delay=0.2, max_delay=2.0, max_attempts=12)
            c.login(f"insp{k}", "password123", f"设备{k}")
            bundle = next(iter(c.pull().values()))
            insp = bundle["id"]
            c.start(insp)
            first = bundle["checklist"][0]["checkpoints"][0]["id"]
            for item in bundle["checklist"]:
                for cp in item["checkpoints"]:
                    c.answer(insp, cp["id"], "noncompliant" if cp["id"] == first else "compliant")
            fid = c.add_finding(insp, "消防器材过期", checkpoint_id=first)
            c.attach_photo(insp, photos[k], width=800, height=600, finding_id=fid)
            c.record_party(insp, "赵志强")
            c.sign(insp, make_signature(k), role="party", name="赵志强")
            for m in bundle["members"]:
                c.sign(insp, make_signature(k), role="inspector", name=m["name"], inspector_id=m["inspector_id"])
            c.submit(insp, result_categories=["02"], methods=["on_site"], follow_ups=["rectify"])
            expected[k] = c.store.get("next_id") - 1
            c.sync()
            _, problems = c.receipt(insp)
            c.store.close()
            results[k] = (time.perf_counter() - started, problems)
        except Exception as err:  # counted as an error, reported below
            results[k] = (time.perf_counter() - started, [f"{type(err).__name__}: {err}"])

    try:
        device(DEVICES)  # the baseline: one device alone
        alone = results.pop(DEVICES)[0]
        threads = [threading.Thread(target=device, args=(k,)) for k in range(DEVICES)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        wall = time.perf_counter() - start
    finally:
        server.stop()
    errors = [(k, p) for k, (_, p) in results.items() if p] + [(k, ["did not finish"]) for k in range(DEVICES)
                                                                 if k not in results]
    with app.app_context():
        from server.models.sync import MutationLog
        logged = db.session.scalar(select(func.count(MutationLog.id)))
        rejected = db.session.scalar(select(func.count(MutationLog.id)).where(MutationLog.status == "rejected"))
        codes = dict(db.session.execute(select(MutationLog.name + " " + func.coalesce(MutationLog.code, ""), func.count())
                                        .where(MutationLog.status == "rejected").group_by(MutationLog.name, MutationLog.code)).all())
        db.session.remove()
        db.engine.dispose()
    sent = sum(expected.values())  # every mutation the devices queued, the baseline device's included
    lost = sent - logged
    if rejected:
        errors.append(("server", [f"{rejected} mutations rejected: {codes}"]))
    times = [t for t, p in results.values() if not p]
    print(f"{DEVICES} devices syncing at once against gunicorn (2 workers, {label}): {len(errors)} errors, "
          f"{lost} lost mutations ({logged:,} on the server of {sent:,} queued), p50 {statistics.median(times):.2f} s, p95 {_p(times, .95):.2f} s, "
          f"wall {wall:.1f} s (baseline one device alone: {alone:.2f} s; budget: zero errors, zero lost) "
          f"{_verdict(not errors and lost == 0)}")
    for k, problems in errors[:5]:
        print(f"  device {k}: {problems}")


def main() -> None:
    from tests import pg

    tmp = tempfile.mkdtemp(prefix="bench-sync-")
    cluster = None
    try:
        bench_push("SQLite", f"sqlite:///{os.path.join(tmp, 'push.db')}", tmp)
        bindir = pg.find_bindir()
        if bindir:
            cluster = pg.Cluster(bindir)
            cluster.start()
            bench_push("PostgreSQL", cluster.create_database("bench_push"), tmp)
        else:
            print("push on PostgreSQL: skipped (no PostgreSQL server binaries on this machine)")
        bench_pull(tmp)
        bench_media(tmp)
        if cluster:
            bench_devices(tmp, cluster.create_database("bench_devices"), "PostgreSQL")
        else:
            bench_devices(tmp, f"sqlite:///{os.path.join(tmp, 'devices.db')}", "SQLite")
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Sync budgets (DESIGN §11), each beside a baseline measured in the same run:

- push of one complete inspection (48 mutations), server-side, SQLite and PostgreSQL: p50 ≤ 40 ms
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


def seed(session, *, inspections: int, checkpoints: int, users: int = 1, group_of_one_user: bool = False):
    """Inspections assigned to inspector users (user k is in inspection k's group when group_of_one_user)."""
    from server.models.accounts import User
    from server.models.inspections import Inspection, InspectionMember
    from server.models.planning import Task
    from server.models.registry import Checkpoint, Department, InspectionItem, Inspector, Target
    from server.services.accounts.passwords import hash_password
    from server.services.registry.uscc import check_digit

    dept = Department(code="ZFD", name="执法一中队")
    session.add(dept)
    session.flush()
    per_item = 15
    items = []
    for i in range(-(-checkpoints // per_item)):
        item = InspectionItem(code=f"JT-{i:03d}", name=f"道路运输经营行为检查{i}", legal_basis="《道路运输条例》第五十九条",
                              methods=["on_site"], target_categories=["freight"])
        n = min(per_item, checkpoints - i * per_item)
        item.checkpoints = [Checkpoint(seq=k + 1, text=f"是否按规定建立车辆技术档案并如实记录第{k + 1}项内容")
                            for k in range(n)]
        items.append(item)
    session.add_all(items)
    task = Task(code="T2024001", name="2024年道路货运企业双随机抽查", item_ids=[], lead_department_id=dept.id,
                department_ids=[dept.id], period_start=dt.date(2024, 4, 1), period_end=dt.date(2024, 10, 31))
    session.add(task)
    session.flush()
    task.item_ids = [it.id for it in items]
    checklist = [{"item_id": it.id, "code": it.code, "name": it.name, "legal_basis": it.legal_basis,
                  "checkpoints": [{"id": cp.id, "seq": cp.seq, "text": cp.text} for cp in it.checkpoints]}
                 for it in items]
    people = [Inspector(name=f"检查员{k}", cert_no=f"14052{k:07d}", cert_issued_on=dt.date(2022, 1, 1),
                        cert_expires_on=dt.date(2030, 12, 31), department_id=dept.id) for k in range(users + 1)]
    session.add_all(people)
    session.flush()
    pw = hash_password("password123")
    session.add_all([User(username=f"insp{k}", display_name=people[k].name, password_hash=pw, role="inspector",
                          inspector_id=people[k].id, department_id=dept.id) for k in range(users)])
    for k in range(inspections):
        body = f"91140522{k:09d}"
        target = Target(uscc=body + check_digit(body), name=f"阳城县第{k}运输有限公司", category="freight",
                        address="阳城县凤城镇凤凰东街8号", legal_rep="张三", contact_phone="13903560000")
        session.add(target)
        session.flush()
        first = people[k if group_of_one_user else 0]
        insp = Inspection(task_id=task.id, target_id=target.id, due_date=task.period_end, checklist_snapshot=checklist,
                          target_snapshot={"uscc": target.uscc, "name": target.name, "address": target.address,
                                           "category": "freight", "risk_level": "general", "legal_rep": "张三",
                                           "contact_phone": "13903560000", "latitude": 35.48, "longitude": 112.41})
        insp.members = [InspectionMember(inspector_id=first.id, department_id=dept.id),
                        InspectionMember(inspector_id=people[-1].id, department_id=dept.id)]
        session.add(insp)
    session.commit()


def full_inspection(insp_id: int, cps: list[int], inspector_id: int, hashes: list[str]) -> list[dict]:
    """48 mutations for 38 checkpoints: start, answers, a finding, 4 photos, party, 2 signatures, submit."""
    t0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    muts = []

    def m(mutation_name, **args):
        muts.append({"id": len(muts) + 1, "name": mutation_name, "created_at": (t0 + dt.timedelta(seconds=len(muts))).isoformat(),
                     "args": {"inspection_id": insp_id, **args}})
    m("inspection.start", started_at=t0.isoformat())
    for k, cp in enumerate(cps):
        m("checkpoint.record", id=str(uuid.uuid4()), checkpoint_id=cp, answer="compliant" if k % 9 else "noncompliant",
          note="现场核查" if k % 4 == 0 else "", base=[])
    fid = str(uuid.uuid4())
    m("finding.add", id=fid, checkpoint_id=cps[0], description="两辆车技术档案缺少年度审验记录",
      legal_basis="《道路运输车辆技术管理规定》第二十三条", rectification="责令限期补齐", rectify_by="2024-06-30")
    for k in range(4):
        m("photo.attach", id=str(uuid.uuid4()), sha256=hashes[k], finding_id=fid if k == 0 else None,
          checkpoint_id=cps[k], caption=f"现场照片{k}", taken_at=t0.isoformat(), latitude=35.48, longitude=112.41,
          accuracy_m=8.0, width=1600, height=1200, bytes=400000, clock_offset_ms=-800)
    m("party.record", id=str(uuid.uuid4()), name="赵志强", position="安全主管", phone="13903560000")
    m("signature.add", id=str(uuid.uuid4()), sha256=hashes[4], signer_role="party", signer_name="赵志强",
      inspector_id=None, signed_at=t0.isoformat())
    m("signature.add", id=str(uuid.uuid4()), sha256=hashes[5], signer_role="inspector", signer_name="检查员0",
      inspector_id=inspector_id, signed_at=t0.isoformat())
    m("inspection.submit", result_categories=["02"], methods=["on_site"], follow_ups=["rectify"], summary="已责令改正")
    return muts


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
        db.session.add_all([MediaFile(sha256=h, byte_size=1, format="JPEG", width=1, height=1) for h in hashes])
        db.session.commit()
        user = db.session.scalar(select(User).where(User.username == "insp0"))
        ids = list(db.session.scalars(select(Inspection.id).order_by(Inspection.id)))
        cps = [cp["id"] for it in db.session.get(Inspection, ids[0]).checklist_snapshot for cp in it["checkpoints"]]
        samples, cpu, n_mut = [], [], 0
        for k, insp_id in enumerate(ids[:runs + 3]):
            muts = full_inspection(insp_id, cps, user.inspector_id, hashes)
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
    photo = make_photo(7, size=(800, 600))
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
            for item in bundle["checklist"]:
                for cp in item["checkpoints"]:
                    c.answer(insp, cp["id"], "compliant")
            fid = c.add_finding(insp, "消防器材过期", checkpoint_id=bundle["checklist"][0]["checkpoints"][0]["id"])
            c.attach_photo(insp, photo, width=800, height=600, finding_id=fid)
            c.record_party(insp, "赵志强")
            c.sign(insp, make_signature(k), role="party", name="赵志强")
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
        db.session.remove()
        db.engine.dispose()
    sent = sum(expected.values())  # every mutation the devices queued, the baseline device's included
    lost = sent - logged
    if rejected:
        errors.append(("server", [f"{rejected} mutations rejected"]))
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

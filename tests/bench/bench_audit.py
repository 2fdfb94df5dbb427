"""The keyed audit chain and login throttling, beside baselines measured in the same run (DESIGN §11 sets
no budget for them; the figures tell an operator what audit-verify and a day of logins cost):

- appending one audit entry (HMAC chain, head row lock) inside a transaction (baseline: a raw insert of
  the same row with its legacy SHA-256 computed in Python);
- `audit-verify`'s chain walk over 100,000 entries (baseline: reading the same rows and recomputing the
  legacy SHA-256 chain); and signing and checking the published heads;
- an office login refused by the throttle (baseline: a successful login, which costs one scrypt).

Run: python -m tests.bench.bench_audit
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import tempfile
import time

from sqlalchemy import insert, select

N_ENTRIES = 100_000
APPENDS = 2_000


def _app(url: str, tmp: str):
    from server import create_app
    from server.extensions import db
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "MEDIA_DIR": os.path.join(tmp, "media")})
    with app.app_context():
        db.create_all()
    return app


def _row(i: int) -> dict:
    return {"at": dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i), "actor_id": None,
            "actor_name": "bench", "action": "target.update", "object_type": "targets", "object_id": str(i),
            "detail": {"名称": f"阳城县测试运输有限公司{i}", "状态": "在营"}, "reason": "基准测试"}


def bench_append(app) -> None:
    from server.extensions import db
    from server.models.audit import AuditEntry
    from server.services.kernel import audit

    with app.app_context():
        start = time.perf_counter()
        for i in range(APPENDS):
            r = _row(i)
            audit.record(db.session, None, r["action"], object_type=r["object_type"], object_id=r["object_id"],
                         detail=r["detail"], reason=r["reason"])
        db.session.commit()
        keyed = (time.perf_counter() - start) / APPENDS * 1000
        start, prev = time.perf_counter(), audit.GENESIS
        for i in range(APPENDS):
            r = _row(i)
            h = audit._entry_hash(prev, 10**6 + i, r["at"], None, r["actor_name"], r["action"], r["object_type"],
                                  r["object_id"], r["detail"], r["reason"])
            db.session.execute(insert(AuditEntry.__table__), [{**r, "seq": 10**6 + i, "prev_hash": prev, "hash": h,
                                                               "chain": 1, "key_id": ""}])
            prev = h
        db.session.commit()
        raw = (time.perf_counter() - start) / APPENDS * 1000
    print(f"audit append, one entry: {keyed:.2f} ms (baseline raw insert with SHA-256: {raw:.2f} ms)")


def _seed_chain(app, n: int) -> None:
    """n keyed entries written in batches, as write_batch does."""
    from server.extensions import db
    from server.services.kernel import audit

    with app.app_context():
        for start in range(0, n, 5000):
            audit.begin_batch(db.session)
            for i in range(start, min(n, start + 5000)):
                r = _row(i)
                audit.record(db.session, None, r["action"], object_type=r["object_type"], object_id=r["object_id"],
                             detail=r["detail"], reason=r["reason"])
            audit.write_batch(db.session)
            db.session.commit()


def bench_verify(app) -> None:
    from server.extensions import db
    from server.models.audit import AuditEntry
    from server.services.kernel import audit, audit_heads

    _seed_chain(app, N_ENTRIES)
    with app.app_context():
        start = time.perf_counter()
        problems = audit.verify(db.session)
        walk = time.perf_counter() - start
        assert problems == [], problems[:3]
        start, prev = time.perf_counter(), audit.GENESIS
        for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().yield_per(2000):
            prev = audit._entry_hash(prev, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type,
                                     e.object_id, e.detail, e.reason)
        baseline = time.perf_counter() - start
        key = app.config["AUDIT_HEAD_KEY"]
        start = time.perf_counter()
        for _ in range(365):  # a year of daily heads
            audit_heads.publish_head(db.session, key)
        db.session.commit()
        publish = (time.perf_counter() - start) / 365 * 1000
        start = time.perf_counter()
        check = audit_heads.verify_all(db.session, app.config["AUDIT_CHAIN_KEY"], key.public_key())
        full = time.perf_counter() - start
        assert check.ok, check.problems[:3]
    print(f"audit-verify chain walk, {N_ENTRIES:,} entries: {walk:.2f} s "
          f"(baseline: read the rows and recompute the SHA-256 chain: {baseline:.2f} s)")
    print(f"publish one signed head: {publish:.2f} ms; full check with a year of heads (365): {full:.2f} s")


def bench_login(app) -> None:
    from server.extensions import db
    from server.services.accounts import credentials

    with app.app_context():
        credentials.create_user(db.session, None, username="bench-user", password="password123", role="office")
        db.session.commit()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    good, refused = [], []
    for _ in range(20):
        start = time.perf_counter()
        assert client.post("/office/login", data={"username": "bench-user", "password": "password123"}
                           ).status_code == 302
        good.append((time.perf_counter() - start) * 1000)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(10):
        attacker.post("/office/login", data={"username": "bench-user", "password": "wrong-password"})
    for _ in range(50):
        start = time.perf_counter()
        assert attacker.post("/office/login", data={"username": "bench-user", "password": "x"}).status_code == 429
        refused.append((time.perf_counter() - start) * 1000)
    print(f"office login refused by the throttle: p50 {statistics.median(refused):.1f} ms "
          f"(baseline successful login, one scrypt: p50 {statistics.median(good):.1f} ms)")


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-audit-")
    try:
        app = _app(f"sqlite:///{os.path.join(tmp, 'audit.db')}", tmp)
        bench_append(app)
        bench_verify(_app(f"sqlite:///{os.path.join(tmp, 'verify.db')}", tmp))
        bench_login(app)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

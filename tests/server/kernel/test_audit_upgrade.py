"""An installation upgraded from the unkeyed chain: its old entries still verify, the first keyed append
seals them with an `audit.rekey` entry, and an edit of an old entry is still found."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_migrate import upgrade
from sqlalchemy import text, update

from server import create_app
from server.extensions import db
from server.models.audit import AuditEntry
from server.services.kernel import audit, audit_heads

LEGACY = "bd645d6d6559"  # the last revision before the keyed chain


def _legacy_entries(conn, n: int) -> None:
    """Entries as the old code wrote them: plain SHA-256, no chain version."""
    prev = audit.GENESIS
    for seq in range(1, n + 1):
        at = dt.datetime(2024, 3, 1, 8, seq, tzinfo=dt.timezone.utc)
        row = dict(seq=seq, at=at, actor_id=None, actor_name="system", action="target.update", object_type="targets",
                   object_id=str(seq), detail={"名称": f"旧{seq}"}, reason="升级前")
        h = audit._entry_hash(prev, seq, at, None, "system", "target.update", "targets", str(seq), row["detail"],
                              "升级前")
        conn.execute(text("INSERT INTO audit_entries (seq, at, actor_id, actor_name, action, object_type, object_id, "
                          "detail, reason, prev_hash, hash) VALUES (:seq, :at, NULL, :actor_name, :action, "
                          ":object_type, :object_id, :detail, :reason, :prev, :hash)"),
                     {**row, "detail": '{"名称": "旧%d"}' % seq, "prev": prev, "hash": h})
        prev = h
    conn.execute(text("INSERT INTO audit_heads (id, seq, last_hash) VALUES (1, :n, :h)"), {"n": n, "h": prev})


@pytest.fixture(params=["sqlite", "postgresql"])
def upgraded(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/upgraded.db"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("spotcheck_audit_upgrade")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision=LEGACY)
        with db.engine.begin() as conn:
            _legacy_entries(conn, 4)
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_old_entries_verify_and_the_first_keyed_append_seals_them(upgraded):
    session = db.session
    problems = audit.verify(session)
    assert [p.message for p in problems] == [
        "第 1–4 条日志全部是无密钥哈希，尚未由密钥链接续（升级后请运行 spotcheck audit-publish-head）；也可能已被整体改写"]
    audit.record(session, None, "target.update", object_type="targets", object_id=9)
    session.commit()
    rows = session.query(AuditEntry).order_by(AuditEntry.seq).all()
    assert [(r.seq, r.chain, r.action) for r in rows] == [
        (1, 1, "target.update"), (2, 1, "target.update"), (3, 1, "target.update"), (4, 1, "target.update"),
        (5, 2, "audit.rekey"), (6, 2, "target.update")]
    assert rows[4].detail["legacy_entries"] == 4 and rows[4].detail["legacy_tip"] == rows[3].hash
    assert audit.verify(session) == []


def test_an_edit_of_an_old_entry_is_still_found(upgraded):
    session = db.session
    audit_heads.publish_head(session, upgraded.config["AUDIT_HEAD_KEY"])  # what the upgrade steps say to run
    session.commit()
    assert audit.verify(session) == []
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(reason="改过"))
    session.commit()
    assert [p.seq for p in audit.verify(session)] == [2]

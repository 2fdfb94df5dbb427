"""Two group members' phones pushing to the same inspection at the same moment, on PostgreSQL, where the
two transactions really overlap (SQLite lets one writer in at a time, so whole pushes serialize there).

The conflict flag is computed from every answer the database holds; a push must take the inspection's row
lock before it reads them, so the later of two overlapping pushes sees the earlier one's answers."""
from __future__ import annotations

import json
import threading

import pytest

from server.extensions import db
from server.models.accounts import User
from server.models.fieldwork import CheckpointAnswer
from server.models.inspections import Inspection
from server.services.fieldwork import mutations as fieldwork_mutations
from server.services.fieldwork.sync_store import SqlSyncStore
from sync.push import handle_push
from tests.sync.harness import Device, answer
from tests.sync.scenario import one_inspection


def _push(app, username: str, device: Device, mutations: list[dict], out: dict) -> None:
    with app.app_context():
        try:
            user = db.session.query(User).filter_by(username=username).one()
            body = json.dumps({"protocol": 1, "client_id": device.client_id, "mutations": mutations})
            out[username] = handle_push(SqlSyncStore(db.session, app.config), user, body, max_batch=100)
            db.session.commit()
        except BaseException as err:  # reported by the test thread
            db.session.rollback()
            out[username] = err
        finally:
            db.session.remove()


def test_overlapping_pushes_of_different_answers_are_flagged_as_a_conflict(app, session, db_url, monkeypatch):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite admits one writer at a time: overlapping pushes cannot happen there")
    one_inspection(session)
    session.close()
    # Both pushes write their answers, then meet here before either locks the inspection and reads the
    # answers back: without the lock, each would see only its own answer and neither would flag the conflict.
    meet = threading.Barrier(2, timeout=20)
    written = fieldwork_mutations.write_pending

    def write_then_meet(index, *, flush=True, also=()):
        written(index, flush=False, also=also)
        if flush:
            meet.wait()
            index.session.flush()

    monkeypatch.setattr(fieldwork_mutations, "write_pending", write_then_meet)
    wang, li = Device("wang"), Device("li")
    out: dict = {}
    threads = [threading.Thread(target=_push, args=(app, "wangjg", wang, [answer(wang, 1, 1, "compliant")], out)),
               threading.Thread(target=_push, args=(app, "lim", li, [answer(li, 1, 1, "noncompliant")], out))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(isinstance(out[name], dict) for name in ("wangjg", "lim")), out
    assert session.query(CheckpointAnswer).count() == 2
    assert session.get(Inspection, 1).has_conflicts is True
    # The push that waited for the other's lock told its phone about the conflict straight away.
    assert any(out[name]["inspections"][0]["has_conflicts"] for name in ("wangjg", "lim"))

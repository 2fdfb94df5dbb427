"""The sync API over HTTP: pull pages, cursors, tombstones, gzip, push envelope errors, object permissions."""
from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy.exc import OperationalError

from server.models.fieldwork import CheckpointAnswer
from server.models.inspections import Inspection
from server.models.sync import MutationLog, SyncClient
from server.models.types import utcnow
from server.services.fieldwork import mutations
from tests import factories
from tests.sync.harness import Device, answer
from tests.sync.scenario import login, one_inspection


@pytest.fixture
def auth(client, session):
    one_inspection(session)
    return {"Authorization": f"Bearer {login(client, 'wangjg')}"}


def more_inspections(session, n: int) -> list[int]:
    from server.models.registry import Inspector
    wang, li = session.query(Inspector).filter(Inspector.cert_no.in_(["14052000000001", "14052000000002"])).all()
    ids = [factories.create_inspection(session, inspectors=[wang, li]).id for _ in range(n)]
    session.commit()
    return ids


def pull(client, auth, cursor=None, limit=None):
    q = "&".join(f"{k}={v}" for k, v in (("cursor", cursor), ("limit", limit)) if v)
    resp = client.get("/api/v1/sync/pull" + (f"?{q}" if q else ""), headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_pull_pages_through_every_assigned_inspection(client, session, auth):
    more_inspections(session, 2)
    first = pull(client, auth, limit=2)
    assert first["more"] is True and len(first["inspections"]) == 2 and "assigned" not in first
    second = pull(client, auth, first["cursor"], limit=2)
    assert second["more"] is False and second["assigned"] == [1, 3, 4]
    assert sorted(b["id"] for b in first["inspections"] + second["inspections"]) == [1, 3, 4]
    assert 2 not in second["assigned"]  # another group's inspection never reaches this phone


def test_an_incremental_pull_brings_what_changed_including_the_other_members_work(client, session, auth):
    cursor = pull(client, auth)["cursor"]
    lim = {"Authorization": f"Bearer {login(client, 'lim')}"}
    d = Device("li")
    client.post("/api/v1/sync/push", headers=lim, json={"protocol": 1, "client_id": d.client_id,
                                                        "mutations": [answer(d, 1, 1, "noncompliant", note="无证")]})
    page = pull(client, auth, cursor)
    bundle = next(b for b in page["inspections"] if b["id"] == 1)
    assert bundle["status"] == "in_progress"
    assert [(a["answer"], a["by"]) for a in bundle["record"]["answers"]] == [("noncompliant", "李明")]
    assert bundle["record"]["registers"][0]["heads"] == [bundle["record"]["answers"][0]["id"]]


def test_withdrawn_and_reassigned_inspections_come_back_as_tombstones(client, session, auth):
    extra = more_inspections(session, 1)[0]
    cursor = pull(client, auth)["cursor"]
    session.get(Inspection, 1).status = "withdrawn"
    insp = session.get(Inspection, extra)
    insp.members[0].active = False
    insp.changed_at = utcnow()
    session.commit()
    page = pull(client, auth, cursor)
    assert page["tombstones"] == [{"id": 1, "reason": "withdrawn"}, {"id": extra, "reason": "unassigned"}]
    assert page["assigned"] == [] and page["inspections"] == []


def test_pull_is_gzipped_when_asked(client, session, auth):
    more_inspections(session, 5)
    resp = client.get("/api/v1/sync/pull", headers={**auth, "Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(resp.data))
    assert len(body["inspections"]) == 6 and "阳城县" in gzip.decompress(resp.data).decode("utf-8")


def test_an_inspector_cannot_read_another_groups_inspection_or_receipt(client, session, auth):
    for path in ("/api/v1/inspections/2", "/api/v1/inspections/2/receipt"):
        resp = client.get(path, headers=auth)
        assert resp.status_code == 403 and resp.get_json()["message"] == "该检查不属于您所在的检查组"
    assert client.get("/api/v1/inspections/99", headers=auth).get_json()["code"] == "not_found"


def test_pushing_to_another_groups_inspection_stores_nothing_on_it(client, session, auth):
    d = Device("wang")
    resp = client.post("/api/v1/sync/push", headers=auth, json={
        "protocol": 1, "client_id": d.client_id, "mutations": [answer(d, 2, 1, "compliant")]})
    assert resp.get_json()["results"] == [{"id": 1, "status": "rejected", "code": "forbidden",
                                           "message": "该检查不属于您所在的检查组", "errors": {}}]
    assert session.query(CheckpointAnswer).count() == 0 and session.get(Inspection, 2).status == "assigned"
    assert session.query(MutationLog).one().status == "rejected"


@pytest.mark.parametrize("body,status,code", [
    ("[]", 422, "validation_error"),
    ('{"protocol": 1, "client_id": "nope", "mutations": []}', 422, "validation_error"),
    ('{"protocol": "1", "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "mutations": []}', 400,
     "unsupported_protocol"),
    ("{not json", 400, "malformed_json"),
])
def test_push_envelope_errors(client, auth, body, status, code):
    resp = client.post("/api/v1/sync/push", headers={**auth, "Content-Type": "application/json"}, data=body)
    assert (resp.status_code, resp.get_json()["code"]) == (status, code)


def test_an_oversized_batch_is_refused_whole(client, app, session, auth):
    app.config["SYNC_MAX_BATCH"] = 3
    d = Device("wang")
    resp = client.post("/api/v1/sync/push", headers=auth, json={
        "protocol": 1, "client_id": d.client_id, "mutations": [answer(d, 1, 1, "compliant") for _ in range(4)]})
    assert resp.status_code == 413 and resp.get_json()["code"] == "batch_too_large"
    assert resp.get_json()["message"] == "一次最多同步 3 条操作，本次 4 条，请分批发送"
    assert session.query(SyncClient).count() == 0


def test_a_database_failure_is_transient_and_leaves_nothing(client, session, auth, monkeypatch):
    d = Device("wang")
    batch = [answer(d, 1, 1, "compliant"), answer(d, 1, 2, "na")]
    real = mutations.record_answer
    calls = {"n": 0}

    def failing(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return real(*args, **kw)

    monkeypatch.setitem(__import__("server.services.fieldwork.sync_store", fromlist=["APPLY"]).APPLY, "checkpoint.record",
                        failing)
    resp = client.post("/api/v1/sync/push", headers=auth, json={"protocol": 1, "client_id": d.client_id,
                                                                "mutations": batch})
    assert resp.status_code == 503 and resp.get_json()["code"] == "transient" and resp.headers["Retry-After"]
    assert session.query(CheckpointAnswer).count() == 0 and session.query(SyncClient).count() == 0

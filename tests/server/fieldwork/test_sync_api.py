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
from server.services.fieldwork.sync_store import APPLY
from sync.messages import RECORD_ANSWER
from tests import factories
from tests.sync.harness import Device, answer
from tests.sync.scenario import login, one_inspection

MINE, OTHERS = 1, 2  # one_inspection: 王建国 and 李明's inspection of 宏达物流, and another group's
HONGDA = "阳城县宏达物流有限公司"


@pytest.fixture
def auth(client, session):
    one_inspection(session)
    return {"Authorization": f"Bearer {login(client, 'wangjg')}"}


def more_inspections(session, *names: str) -> list[Inspection]:
    """More inspections for 王建国 and 李明, of targets with these names."""
    from server.models.registry import Inspector
    wang, li = session.query(Inspector).filter(Inspector.cert_no.in_(["14052000000001", "14052000000002"])).all()
    made = [factories.create_inspection(session, inspectors=[wang, li],
                                        target=factories.create_target(session, name=n)) for n in names]
    session.commit()
    return made


def targets(bundles: list[dict]) -> list[str]:
    return [b["target"]["name"] for b in bundles]


def pull(client, auth, cursor=None, limit=None):
    q = "&".join(f"{k}={v}" for k, v in (("cursor", cursor), ("limit", limit)) if v)
    resp = client.get("/api/v1/sync/pull" + (f"?{q}" if q else ""), headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_pull_pages_through_every_assigned_inspection(client, session, auth):
    more_inspections(session, "阳城县甲运输有限公司", "阳城县乙运输有限公司")
    other_group = session.get(Inspection, OTHERS).target.name
    first = pull(client, auth, limit=2)
    assert first["more"] is True and len(first["inspections"]) == 2 and "assigned" not in first
    second = pull(client, auth, first["cursor"], limit=2)
    pulled = first["inspections"] + second["inspections"]
    assert sorted(targets(pulled)) == sorted([HONGDA, "阳城县甲运输有限公司", "阳城县乙运输有限公司"])
    assert other_group not in targets(pulled)  # another group's inspection never reaches this phone
    assert second["more"] is False and second["assigned"] == sorted(b["id"] for b in pulled)


def test_an_incremental_pull_brings_what_changed_including_the_other_members_work(client, session, auth):
    cursor = pull(client, auth)["cursor"]
    lim = {"Authorization": f"Bearer {login(client, 'lim')}"}
    d = Device("li")
    client.post("/api/v1/sync/push", headers=lim, json={"protocol": 1, "client_id": d.client_id,
                                                        "mutations": [answer(d, MINE, 1, "noncompliant", note="无证")]})
    page = pull(client, auth, cursor)
    [bundle] = page["inspections"]
    assert bundle["target"]["name"] == HONGDA and bundle["status_label"] == "检查中"
    assert [(a["answer"], a["by"]) for a in bundle["record"]["answers"]] == [("noncompliant", "李明")]
    assert bundle["record"]["registers"][0]["heads"] == [bundle["record"]["answers"][0]["id"]]


def test_withdrawn_and_reassigned_inspections_come_back_as_tombstones(client, session, auth):
    [moved] = more_inspections(session, "阳城县丙运输有限公司")
    first = pull(client, auth)
    on_phone = {b["id"]: b["target"]["name"] for b in first["inspections"]}
    session.get(Inspection, MINE).status = "withdrawn"
    moved.members[0].active = False  # 王建国 leaves the group
    moved.changed_at = utcnow()
    session.commit()
    page = pull(client, auth, first["cursor"])
    assert [(on_phone[t["id"]], t["reason"]) for t in page["tombstones"]] == [
        (HONGDA, "withdrawn"), ("阳城县丙运输有限公司", "unassigned")]
    assert page["assigned"] == [] and page["inspections"] == []


def test_pull_is_gzipped_when_asked(client, session, auth):
    more_inspections(session, *(f"阳城县第{n}运输有限公司" for n in range(5)))
    resp = client.get("/api/v1/sync/pull", headers={**auth, "Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(resp.data))
    assert len(body["inspections"]) == 6 and "阳城县" in gzip.decompress(resp.data).decode("utf-8")


def test_an_inspector_cannot_read_another_groups_inspection_or_receipt(client, session, auth):
    for path in (f"/api/v1/inspections/{OTHERS}", f"/api/v1/inspections/{OTHERS}/receipt"):
        resp = client.get(path, headers=auth)
        assert resp.status_code == 403 and resp.get_json()["message"] == "该检查不属于您所在的检查组"
    assert client.get("/api/v1/inspections/99", headers=auth).get_json()["code"] == "not_found"


def test_pushing_to_another_groups_inspection_stores_nothing_on_it(client, session, auth):
    d = Device("wang")
    mutation = answer(d, OTHERS, 1, "compliant")
    resp = client.post("/api/v1/sync/push", headers=auth, json={
        "protocol": 1, "client_id": d.client_id, "mutations": [mutation]})
    assert resp.get_json()["results"] == [{"id": mutation["id"], "status": "rejected", "code": "forbidden",
                                           "message": "该检查不属于您所在的检查组", "errors": {}}]
    assert session.query(CheckpointAnswer).count() == 0 and session.get(Inspection, OTHERS).status == "assigned"
    [logged] = session.query(MutationLog).all()  # what the office's sync history shows
    assert (logged.name, logged.args["answer"], logged.status, logged.message) == (
        "checkpoint.record", "compliant", "rejected", "该检查不属于您所在的检查组")


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
        "protocol": 1, "client_id": d.client_id, "mutations": [answer(d, MINE, 1, "compliant") for _ in range(4)]})
    assert resp.status_code == 413 and resp.get_json()["code"] == "batch_too_large"
    assert resp.get_json()["message"] == "一次最多同步 3 条操作，本次 4 条，请分批发送"
    assert session.query(SyncClient).count() == 0


def test_a_database_failure_is_transient_and_leaves_nothing(client, session, auth, monkeypatch):
    d = Device("wang")
    batch = [answer(d, MINE, 1, "compliant"), answer(d, MINE, 2, "na")]
    real = mutations.record_answer
    calls = {"n": 0}

    def failing(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return real(*args, **kw)

    monkeypatch.setitem(APPLY, RECORD_ANSWER, failing)
    resp = client.post("/api/v1/sync/push", headers=auth, json={"protocol": 1, "client_id": d.client_id,
                                                                "mutations": batch})
    assert resp.status_code == 503 and resp.get_json()["code"] == "transient" and resp.headers["Retry-After"]
    assert session.query(CheckpointAnswer).count() == 0 and session.query(SyncClient).count() == 0

"""The API's replies are described by response schemas in /api/v1/openapi.json, and sending them through
those schemas changes no byte: the phones, the golden examples and the signed receipts see what they saw."""
from __future__ import annotations

import hashlib
import json

import pytest

from server.models.accounts import ApiToken
from server.schemas.receipts import ReceiptSchema
from server.services.fieldwork import receipts
from tests.server.images import image_bytes
from tests.sync.harness import Device, answer, full_inspection, uid
from tests.sync.scenario import login, one_inspection


def compact(body) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@pytest.fixture
def recorded(client, session):
    """Inspection 1 with every kind of record: answers (one of them from 李明, in conflict), a finding and
    its amendment, a held photo, a signature whose file never came, the party, the submission, and two
    mutations that arrived after the lock (one with a file)."""
    one_inspection(session)
    wang = {"Authorization": f"Bearer {login(client, 'wangjg', '王建国的手机')}"}
    photo = image_bytes("JPEG", (320, 240))
    sha_photo, sha_sig = hashlib.sha256(photo).hexdigest(), "ab" * 32
    assert client.put(f"/api/v1/media/{sha_photo}", data=photo, headers=wang).status_code == 201
    d = Device("wang")
    batch = full_inspection(d, 1, [1, 2], sha_photo, sha_sig)
    finding = next(m["args"]["id"] for m in batch if m["name"] == "finding.add")
    batch.insert(-1, d.m("finding.amend", id=uid(), inspection_id=1, finding_id=finding, checkpoint_id=None,
                         description="档案缺 2 辆车", legal_basis="《道路运输条例》", rectification="限期补齐",
                         rectify_by="2024-06-30", reason="核实车辆数"))
    for n, m in enumerate(batch, 1):
        m["id"] = n
    li = {"Authorization": f"Bearer {login(client, 'lim', '李明的手机')}"}
    e = Device("li")
    client.post("/api/v1/sync/push", headers=li, json={"protocol": 1, "client_id": e.client_id,
                                                       "mutations": [answer(e, 1, 2, "noncompliant", note="无档案")]})
    client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": d.client_id, "mutations": batch})
    late = [answer(d, 1, 1, "na"), d.m("photo.attach", id=uid(), inspection_id=1, sha256=sha_photo, finding_id=None,
                                      checkpoint_id=None, caption="补拍", taken_at="2024-05-06T09:30:00+08:00",
                                      latitude=None, longitude=None, accuracy_m=None, width=64, height=48,
                                      bytes=len(photo), clock_offset_ms=None)]
    resp = client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": d.client_id,
                                                                "mutations": late})
    assert [r["status"] for r in resp.get_json()["results"]] == ["late", "late"]
    return wang


def _reply_schema(doc: dict, path: str, method: str, status: str) -> dict:
    ref = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_openapi_document_describes_the_token_the_bundle_and_the_receipt(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    token = _reply_schema(doc, "/api/v1/auth/token", "post", "201")
    assert {"token", "token_type", "expires_at", "server_time", "user"} <= set(token["properties"])
    bundle = _reply_schema(doc, "/api/v1/inspections/{inspection_id}", "get", "200")
    assert {"id", "status", "status_label", "locked", "task", "target", "checklist", "members",
            "record"} <= set(bundle["properties"])
    record = doc["components"]["schemas"][bundle["properties"]["record"]["$ref"].rsplit("/", 1)[1]]
    assert {"answers", "registers", "findings", "photos", "signatures", "party", "result"} <= set(record["properties"])
    receipt = _reply_schema(doc, "/api/v1/inspections/{inspection_id}/receipt", "get", "200")
    assert {"evidence", "missing", "counts", "complete", "key_id", "signature"} <= set(receipt["properties"])
    pull = _reply_schema(doc, "/api/v1/sync/pull", "get", "200")
    assert pull["properties"]["inspections"]["items"] == bundle_ref(doc)
    assert {"results", "inspections", "last_applied_id"} <= set(_reply_schema(doc, "/api/v1/sync/push", "post",
                                                                             "200")["properties"])


def bundle_ref(doc: dict) -> dict:
    return doc["paths"]["/api/v1/inspections/{inspection_id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]


def test_an_inspection_is_sent_alike_by_its_own_endpoint_and_by_the_pull(client, recorded):
    one = client.get("/api/v1/inspections/1", headers=recorded)
    pulled = next(b for b in client.get("/api/v1/sync/pull", headers=recorded).get_json()["inspections"]
                  if b["id"] == 1)
    assert one.data == compact(pulled)  # the same keys in the same order, compact UTF-8
    record = pulled["record"]
    assert [f["description"] for f in record["findings"]] == ["档案不全", "档案缺 2 辆车"]
    assert [(p["caption"], p["held"]) for p in record["photos"]] == [("档案", True)]
    assert [(s["signer_name"], s["held"]) for s in record["signatures"]] == [
        ("检查人员1", False), ("检查人员2", False), ("赵志强", False)]
    assert [r["conflict"] for r in record["registers"]] == [False, True] and record["late_evidence"] == 2
    assert "阳城县宏达物流有限公司" in one.get_data(as_text=True) and b"\\u" not in one.data


def test_a_receipt_is_sent_as_it_was_signed(client, session, app, recorded):
    from server.models.accounts import User
    user = session.query(User).filter_by(username="wangjg").one()
    body = receipts.build(session, user, 1, app.config["SECRET_KEY"])
    assert compact(ReceiptSchema().dump(body)) == compact(body)
    assert [e["kind"] for e in body["evidence"]][-2:] == ["late", "late"] and body["missing"]
    reply = client.get("/api/v1/inspections/1/receipt", headers=recorded)
    assert receipts.verify(reply.get_json(), app.config["SECRET_KEY"])
    assert list(reply.get_json()) == list(body)


def test_the_token_reply_names_the_inspector_in_the_order_the_phones_expect(client, session):
    one_inspection(session)
    resp = client.post("/api/v1/auth/token", json={"username": "wangjg", "password": "password123",
                                                  "device_name": "王建国的手机"})
    assert resp.status_code == 201 and b"\\u" not in resp.data and b", " not in resp.data
    body = json.loads(resp.data, object_pairs_hook=list)
    assert [k for k, _ in body] == ["token", "token_type", "expires_at", "server_time", "user"]
    user = dict(body)["user"]
    assert [k for k, _ in user] == ["id", "username", "display_name", "role", "inspector"]
    assert dict(dict(user)["inspector"]) == {"id": 1, "name": "王建国", "cert_no": "14052000000001"}
    token = session.query(ApiToken).one()
    assert dict(body)["expires_at"] == token.expires_at.isoformat()

"""A 书面检查 / 网络监测 is recorded in the office only: no phone is sent one, and a push that records into one anyway
(a crafted or broken client) is refused with `desk_inspection`, nothing of it applied, its data kept for the
reviewer like every rejected mutation."""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from server.models.fieldwork import CheckpointAnswer, LateEvidence, Photo
from server.models.inspections import Inspection
from server.models.sync import MutationLog
from server.services.fieldwork import desk_checks
from tests.factories import create_inspection, create_user
from tests.sync.scenario import login as api_login

CLIENT = "6a1d3f0e-2b7c-4e0a-9d51-0c5e7f2a9b21"
AT = "2024-05-06T09:02:00+08:00"


def _desk(session, mode="document"):
    insp = create_inspection(session, mode=mode)
    user = create_user(session, role="inspector", username=f"desk_{mode}", inspector_id=insp.members[0].inspector_id)
    session.commit()
    return insp, user


def _mutations(insp: Inspection) -> list[dict]:
    cp = insp.checklist_snapshot[0]["checkpoints"][0]["id"]
    return [
        {"id": 1, "name": "inspection.start", "created_at": AT, "args": {"inspection_id": insp.id, "started_at": AT}},
        {"id": 2, "name": "checkpoint.record", "created_at": AT,
         "args": {"id": "7b2e4c1a-5d3f-4a6b-8c9d-1e2f3a4b1001", "inspection_id": insp.id, "checkpoint_id": cp,
                  "answer": "noncompliant", "note": "现场看了台账", "base": []}},
        {"id": 3, "name": "photo.attach", "created_at": AT,
         "args": {"id": "7b2e4c1a-5d3f-4a6b-8c9d-1e2f3a4b1002", "inspection_id": insp.id,
                  "sha256": hashlib.sha256(b"a photo").hexdigest(), "finding_id": None, "checkpoint_id": cp,
                  "caption": "台账照片", "taken_at": AT, "latitude": 35.4862, "longitude": 112.4153, "accuracy_m": 8,
                  "width": 1600, "height": 1200, "bytes": 300000, "clock_offset_ms": 0}},
    ]


def _push(client, user, muts):
    resp = client.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {api_login(client, user.username)}"},
                       json={"protocol": 1, "client_id": CLIENT, "mutations": muts})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_a_push_into_a_desk_inspection_is_refused_applied_nowhere_and_kept_for_the_reviewer(client, login, session):
    insp, user = _desk(session)
    body = _push(client, user, _mutations(insp))
    assert body["last_applied_id"] == 3, "the queue moves on"
    assert {(r["status"], r["code"]) for r in body["results"]} == {("rejected", "desk_inspection")}
    assert body["results"][1]["message"] == ("该检查为书面检查（非现场检查），只能由检查组在办公室的“书面检查”页面录入，"
                                             "不能从手机同步；此操作未生效（数据已留存，审核人员可见）")
    assert body["results"][1]["errors"] == {"mode": "document"}
    session.expire_all()
    assert session.get(Inspection, insp.id).status == "assigned"
    assert session.scalar(select(func.count()).select_from(CheckpointAnswer)) == 0
    assert session.scalar(select(func.count()).select_from(Photo)) == 0
    kept = session.scalars(select(MutationLog).order_by(MutationLog.mutation_id)).all()
    assert [(k.status, k.code, k.inspection_id) for k in kept] == [("rejected", "desk_inspection", insp.id)] * 3
    assert kept[1].args["note"] == "现场看了台账" and kept[2].args["caption"] == "台账照片"
    login(create_user(session, role="office"))
    page = client.get(f"/office/inspections/{insp.id}").get_data(as_text=True)
    assert "被拒绝的同步操作（3 条）" in page and "不能从手机同步" in page


def test_the_office_records_the_same_desk_inspection_as_before(client, session):
    insp, user = _desk(session, mode="online")
    body = _push(client, user, [dict(_mutations(insp)[1], id=1)])
    assert body["results"][0]["code"] == "desk_inspection"
    assert body["results"][0]["message"].startswith("该检查为网络监测（非现场检查）")
    cp = insp.checklist_snapshot[0]["checkpoints"][0]["id"]
    assert desk_checks.save_answers(session, user, insp.id, {cp: ("compliant", "")}) == 1
    assert [a.answer for a in session.scalars(select(CheckpointAnswer))] == ["compliant"]


def test_a_push_after_the_office_submitted_a_desk_inspection_is_refused_not_late_evidence(client, session):
    insp, user = _desk(session)
    insp.status = "submitted"
    insp.result_categories, insp.methods, insp.follow_ups, insp.summary = ["01"], ["document"], ["none"], ""
    session.commit()
    submit = {"id": 1, "name": "inspection.submit", "created_at": AT,
              "args": {"inspection_id": insp.id, "result_categories": ["01"], "methods": ["document"],
                       "follow_ups": ["none"], "summary": ""}}
    body = _push(client, user, [submit, dict(_mutations(insp)[1], id=2)])
    assert [(r["status"], r["code"]) for r in body["results"]] == [("rejected", "desk_inspection")] * 2
    assert session.scalar(select(func.count()).select_from(LateEvidence)) == 0
    assert session.scalar(select(func.count()).select_from(MutationLog).where(
        MutationLog.inspection_id == insp.id, MutationLog.status == "rejected")) == 2


def test_an_on_site_inspection_still_takes_the_same_push(client, session):
    insp, user = _desk(session, mode="on_site")
    body = _push(client, user, _mutations(insp)[:2])
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]


def test_a_desk_inspection_is_not_downloaded_by_a_phone_even_when_asked_for(client, session):
    insp, user = _desk(session, mode="online")
    token = api_login(client, user.username)
    resp = client.get(f"/api/v1/inspections/{insp.id}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "desk_inspection" and "网络监测" in body["message"] and "手机不下载" in body["message"]
    on_site = create_inspection(session)  # an on-site inspection still comes down as before
    phone_user = create_user(session, role="inspector", username="on_site_member",
                             inspector_id=on_site.members[0].inspector_id)
    session.commit()
    resp = client.get(f"/api/v1/inspections/{on_site.id}",
                      headers={"Authorization": f"Bearer {api_login(client, phone_user.username)}"})
    assert resp.status_code == 200 and resp.get_json()["id"] == on_site.id

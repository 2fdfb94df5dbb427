"""联合抽查 on the phones: an inspection reaches them only once every cooperating department has drawn its member;
each member records the items of their own department, and a record for another department's item is refused
with `other_department_item` and kept, as sent, for the reviewer."""
from __future__ import annotations

from sqlalchemy import select

from server.models.fieldwork import CheckpointAnswer
from server.models.inspections import Inspection
from server.models.sync import MutationLog
from tests.factories import create_user
from tests.server import drawkit, jointkit
from tests.sync.scenario import login


def _pull(client, token) -> list[dict]:
    resp = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["inspections"]


def _world(session):
    kit = jointkit.setup(session, targets=1, scj_inspectors=1)
    main = drawkit.drawn(session, kit.office, kit.task.id)
    [group] = main.record["assignments"]
    ours = next(p for p in kit.ours if p.cert_no == group["inspectors"][0]["cert_no"])
    kit.user_ours = create_user(session, role="inspector", username="ours", inspector_id=ours.id)
    kit.user_theirs = create_user(session, role="inspector", username="theirs", inspector_id=kit.theirs[0].id)
    session.commit()
    return kit


def test_phones_receive_a_joint_inspection_only_once_its_group_is_complete(client, session):
    kit = _world(session)
    token = login(client, "ours")
    assert _pull(client, token) == []
    jointkit.department_drawn(session, kit.staff, kit.task.id, kit.scj.id)
    session.commit()
    [bundle] = _pull(client, token)
    assert [m["department"] for m in bundle["members"]] == ["交通运输综合行政执法队", "县市场监督管理局"]
    assert [(c["code"], c["department"]["name"]) for c in bundle["checklist"]] == [
        ("JT007", "交通运输综合行政执法队"), ("SCJ001", "县市场监督管理局")]
    assert [b["id"] for b in _pull(client, login(client, "theirs"))] == [bundle["id"]]


def test_each_member_records_their_own_items_and_another_departments_answer_is_refused_and_kept(client, session):
    kit = _world(session)
    jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    session.commit()
    insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    own_cp, other_cp = kit.transport.checkpoints[0].id, kit.pricing.checkpoints[1].id
    muts = [{"id": n + 1, "name": "checkpoint.record", "created_at": "2024-05-06T09:02:00+08:00",
             "args": {"id": f"7b2e4c1a-5d3f-4a6b-8c9d-1e2f3a4b000{n}", "inspection_id": insp.id, "checkpoint_id": cp,
                      "answer": "compliant", "note": note, "base": []}}
            for n, (cp, note) in enumerate(((own_cp, ""), (other_cp, "价格已公示")))]
    resp = client.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {login(client, 'ours')}"},
                       json={"protocol": 1, "client_id": "6a1d3f0e-2b7c-4e0a-9d51-0c5e7f2a9b12", "mutations": muts})
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["code"] == "other_department_item"
    assert results[1]["message"].startswith("检查要点 2（事项“SCJ001 出租汽车计价器计量和价格行为”）由县市场监督管理局负责检查和录入")
    assert [a.checkpoint_id for a in session.scalars(select(CheckpointAnswer))] == [own_cp]
    kept = session.scalar(select(MutationLog).where(MutationLog.mutation_id == 2))
    assert (kept.status, kept.code, kept.args["note"], kept.inspection_id) == (
        "rejected", "other_department_item", "价格已公示", insp.id)
    resp = client.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {login(client, 'theirs')}"},
                       json={"protocol": 1, "client_id": "6a1d3f0e-2b7c-4e0a-9d51-0c5e7f2a9b13",
                             "mutations": [dict(muts[1], id=1, args=dict(muts[1]["args"], id="7b2e4c1a-5d3f-4a6b-8c9d-1e2f3a4b0009"))]})
    assert resp.get_json()["results"] == [{"id": 1, "status": "applied"}]


def test_a_member_cannot_fetch_or_record_a_joint_inspection_before_its_group_is_complete(client, session):
    kit = _world(session)
    insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    token = login(client, "ours")
    resp = client.get(f"/api/v1/inspections/{insp.id}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 409 and resp.get_json()["code"] == "group_incomplete"
    resp = client.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {token}"}, json={
        "protocol": 1, "client_id": "6a1d3f0e-2b7c-4e0a-9d51-0c5e7f2a9b14", "mutations": [
            {"id": 1, "name": "inspection.start", "created_at": "2024-05-06T09:01:00+08:00",
             "args": {"inspection_id": insp.id, "started_at": "2024-05-06T09:01:00+08:00"}}]})
    [result] = resp.get_json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "group_incomplete")
    assert result["message"].startswith("检查组尚未组成：配合部门尚未抽取本部门的检查人员")
    session.expire_all()
    assert session.get(Inspection, insp.id).status == "assigned"

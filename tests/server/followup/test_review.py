import datetime as dt

import pytest
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.followup import Publication, Violation
from server.services.fieldwork import record_view
from server.services.followup import review
from server.services.kernel.workdays import add_workdays, local_midnight_utc, today
from tests.factories import create_submitted_inspection, create_user


def at(day: dt.date, hour=10):
    return local_midnight_utc(day) + dt.timedelta(hours=hour)


def test_queue_lists_only_submitted_oldest_first_with_publication_clock(session):
    office = create_user(session, role="office")
    newer = create_submitted_inspection(session, completed_at=at(today()))
    older = create_submitted_inspection(session, completed_at=at(add_workdays(today() - dt.timedelta(days=60), 0)))
    create_submitted_inspection(session, status="returned")
    queue = review.queue(session, office)
    rows = queue.items
    assert queue.total == 2 and [r["id"] for r in rows] == [older.id, newer.id]
    assert rows[0]["clock"].state == "overdue" and rows[1]["clock"].state == "running"


def test_approve_keeps_history_opens_publication_and_violation(session):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session, result_categories=["02"], follow_ups=["rectify"])
    review.approve(session, office, insp.id, version=1, note="证据充分")
    assert insp.status == "approved" and insp.approved_by_id == office.id
    [h] = review.history(session, insp.id)
    assert (h.action, h.version, h.note) == ("approve", 1, "证据充分")
    pub = session.scalar(select(Publication).where(Publication.inspection_id == insp.id))
    assert pub.status == "draft" and pub.content["items"][0]["result"] == "发现问题已责令改正"
    [v] = session.scalars(select(Violation).where(Violation.inspection_id == insp.id)).all()
    assert v.status == "open" and v.finding_ref == ""
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "inspection.approve")).reason == "证据充分"


def test_return_then_resubmitted_version_is_reviewed_again(session):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session)
    with pytest.raises(ValidationError, match="^退回时请填写需要检查人员补正的内容$"):
        review.return_for_fix(session, office, insp.id, version=1, note="  ")
    review.return_for_fix(session, office, insp.id, version=1, note="请补拍营业执照照片")
    assert insp.status == "returned" and insp.reviewer_note == "请补拍营业执照照片"
    with pytest.raises(Conflict, match="当前为“已退回”，不能审核"):
        review.approve(session, office, insp.id, version=1)
    insp.status, insp.version = "submitted", 2  # what the sync push does on resubmission
    with pytest.raises(Conflict, match="现为第 2 版"):
        review.approve(session, office, insp.id, version=1)
    review.approve(session, office, insp.id, version=2)
    assert [(h.version, h.action) for h in review.history(session, insp.id)] == [(1, "return"), (2, "approve")]


def test_approved_inspection_cannot_be_reviewed_again(session):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session)
    review.approve(session, office, insp.id)
    with pytest.raises(Conflict, match="当前为“已通过”"):
        review.return_for_fix(session, office, insp.id, note="再看看")


def test_inspector_cannot_review_and_staff_cannot_review_their_own_inspection(session):
    inspector_user = create_user(session, role="inspector")
    insp = create_submitted_inspection(session)
    with pytest.raises(PermissionDenied):
        review.approve(session, inspector_user, insp.id)
    member = insp.members[0].inspector_id
    office_member = create_user(session, role="office", inspector_id=member)
    with pytest.raises(PermissionDenied, match="不能审核自己参与检查的结果"):
        review.approve(session, office_member, insp.id)
    assert insp.status == "submitted"


def test_conflicts_need_a_note_and_missing_results_are_refused(session):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session, has_conflicts=True)
    with pytest.raises(ValidationError, match="说明采信的答案"):
        review.approve(session, office, insp.id)
    review.approve(session, office, insp.id, note="采信王建国的答案：符合")
    empty = create_submitted_inspection(session, result_categories=())
    with pytest.raises(ValidationError, match="^该检查未填写检查结果类别，请退回检查人员补充后再审核$"):
        review.approve(session, office, empty.id)


def test_photo_far_from_target_is_flagged():
    assert round(review.distance_m(35.48, 112.41, 35.49, 112.41)) == 1112

    class T:
        latitude, longitude = 35.48, 112.41

    class I:
        target = T()

    record = {"photos": [{"id": "a", "latitude": 35.481, "longitude": 112.41},
                         {"id": "b", "latitude": 35.49, "longitude": 112.41},
                         {"id": "c", "latitude": None, "longitude": None}]}
    checks = review.photo_checks(I(), record, 500)
    assert [(p["distance_m"], p["far"], p["no_gps"]) for p in checks] == [(111, False, False), (1112, True, False),
                                                                         (None, False, True)]


def test_item_results_follow_checkpoint_answers(session):
    insp = create_submitted_inspection(session, result_categories=["02"])
    cps = [cp["id"] for cp in insp.checklist_snapshot[0]["checkpoints"]]
    assert [r["codes"] for r in record_view.item_results(insp, {"registers": []})] == [["02"]]
    record = {"registers": [{"checkpoint_id": cps[0], "answer": "compliant"},
                            {"checkpoint_id": cps[1], "answer": "noncompliant"}]}
    assert record_view.item_results(insp, record)[0]["codes"] == ["02"]
    record["registers"][1]["answer"] = "na"
    assert record_view.item_results(insp, record)[0]["codes"] == ["01"]


def test_conflicting_heads_are_listed_for_the_reviewer():
    record = {"answers": [{"id": "x", "answer": "compliant", "by": "甲"}, {"id": "y", "answer": "noncompliant", "by": "乙"}],
              "registers": [{"checkpoint_id": 3, "conflict": True, "heads": ["x", "y"]},
                            {"checkpoint_id": 4, "conflict": False, "heads": ["x"]}]}
    [c] = review.conflicts(record)
    assert c["checkpoint_id"] == 3 and [h["by"] for h in c["heads"]] == ["甲", "乙"]


@pytest.mark.parametrize("status", ["assigned", "in_progress", "pending_evidence", "returned", "approved", "withdrawn"])
def test_only_submitted_inspections_can_be_approved_or_returned(session, status):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session, status=status)
    for decide in (lambda: review.approve(session, office, insp.id),
                   lambda: review.return_for_fix(session, office, insp.id, note="补正")):
        with pytest.raises(Conflict, match=f"当前为“{review.STATUS_LABELS[status]}”，不能审核"):
            decide()
    assert insp.status == status and review.history(session, insp.id) == []


def test_return_note_reaches_the_phone_through_sync_pull(client, session):
    insp = create_submitted_inspection(session)
    phone_user = create_user(session, role="inspector", inspector_id=insp.members[0].inspector_id)
    office = create_user(session, role="office")
    session.commit()
    token = client.post("/api/v1/auth/token", json={"username": phone_user.username, "password": "password123",
                                                    "device_name": "测试手机"}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    first = client.get("/api/v1/sync/pull", headers=auth).get_json()
    cursor = first["cursor"]
    review.return_for_fix(session, office, insp.id, note="请补拍营业执照")
    session.commit()
    later = client.get(f"/api/v1/sync/pull?cursor={cursor}", headers=auth).get_json()
    [bundle] = [b for b in later["inspections"] if b["id"] == insp.id]
    assert (bundle["status"], bundle["reviewer_note"], bundle["locked"]) == ("returned", "请补拍营业执照", False)


# ---- a colleague's late judgement is a conflict, not a silent loss ---------------------------------------

def _group_work(client, session):
    """王建国 records and submits inspection 1 (checkpoint 2 符合); 李明's offline 不符合 and finding on
    checkpoint 2, and a 符合 on checkpoint 1 that agrees with what was counted, arrive afterwards."""
    from tests.server.fieldwork.conftest import Phone
    from tests.sync.harness import uid
    from tests.sync.scenario import one_inspection
    one_inspection(session)
    wang, li = Phone(client, "wangjg", "wang"), Phone(client, "lim", "li")
    wang.sign_off()
    wang.push(*[wang.m("checkpoint.record", id=uid(), inspection_id=1, checkpoint_id=cp, answer="compliant", note="",
                       base=[]) for cp in (1, 2)],
              wang.m("inspection.submit", inspection_id=1, result_categories=["01"], methods=["on_site"],
                     follow_ups=["none"], summary=""))
    results = li.push(
        li.m("checkpoint.record", id=uid(), inspection_id=1, checkpoint_id=2, answer="noncompliant",
             note="晋E12345 无 2023 年度审验记录", base=[]),
        li.m("finding.add", id=uid(), inspection_id=1, checkpoint_id=2, description="车辆技术档案缺少审验记录",
             legal_basis="《道路运输车辆技术管理规定》第二十三条", rectification="限期补齐", rectify_by=None),
        li.m("checkpoint.record", id=uid(), inspection_id=1, checkpoint_id=1, answer="compliant", note="", base=[]))
    assert [r["status"] for r in results] == ["late", "late", "late"]
    office = create_user(session, role="office")
    session.commit()
    return office


def test_a_late_judgement_is_shown_in_words_and_counted_among_the_conflicts(client, session):
    office = _group_work(client, session)
    data = review.detail(session, office, 1)
    answer, finding = data["late_judgements"]  # the late 符合 on checkpoint 1 agrees: not a conflict
    assert dict(answer["lines"])["检查要点"] == "2. 车辆技术档案是否齐全"
    assert (dict(answer["lines"])["判定"], answer["counted"]) == ("不符合", "符合")
    assert dict(answer["lines"])["依据"] == "晋E12345 无 2023 年度审验记录" and answer["by"]
    assert dict(finding["lines"])["依据"] == "《道路运输车辆技术管理规定》第二十三条"
    assert data["open_conflicts"] == 2 and not data["conflicts"]


def test_the_review_page_words_the_late_judgement_and_approval_waits_for_a_note(client, session, login):
    office = _group_work(client, session)
    page = login(office).get("/office/review/1").get_data(as_text=True)
    assert "审核前须处理的冲突（2 项）" in page and "车辆技术档案是否齐全" in page and "不符合" in page
    assert "checkpoint_id" not in page and "noncompliant" not in page
    with pytest.raises(Conflict, match="有 2 条检查人员在提交之后才送达的判定") as err:
        review.approve(session, office, 1, version=1, note="同意")
    assert err.value.code == "late_judgements_open"
    with pytest.raises(ValidationError, match="请填写处理意见"):
        review.handle_late(session, office, 1, note=" ", version=1)
    assert review.handle_late(session, office, 1, note="经电话核实，以李明的判定为准，另行责令整改", version=1) == 2
    assert review.detail(session, office, 1)["open_conflicts"] == 0
    for flag in review.detail(session, office, 1)["quality_flags"]:  # no photo: 照片没有定位, acknowledged
        review.acknowledge_flag(session, office, 1, flag.id, note="书面核实")
    review.approve(session, office, 1, version=1, note="同意")
    with pytest.raises(Conflict):
        review.handle_late(session, office, 1, note="再记一次", version=1)


def test_returning_the_inspection_resolves_its_late_judgements(client, session):
    office = _group_work(client, session)
    review.return_for_fix(session, office, 1, version=1, note="请与李明核实第 2 项")
    handled = review.detail(session, office, 1)["late_judgements"]
    assert [j["handled"] for j in handled] == [True, True]
    assert handled[0]["handled_note"] == "已退回检查组核实：请与李明核实第 2 项"

import datetime as dt
import io

import pytest
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.followup import Publication, Violation
from server.services.fieldwork import desk_checks, record_view
from server.services.followup import review
from server.services.kernel.workdays import add_workdays, local_midnight_utc, today, workdays_between
from tests.factories import create_inspection, create_submitted_inspection, create_user


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


# --- non-site inspections recorded in the office ------------------------------------------------

def _png(color=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "PNG")
    return buf.getvalue()


def _desk(session, mode="document"):
    from server.models.registry import Inspector
    insp = create_inspection(session, mode=mode)
    user = create_user(session, role="inspector", inspector_id=insp.members[0].inspector_id)
    assert session.get(Inspector, user.inspector_id) is not None
    return insp, user


def _answer_all(session, user, insp, answer="compliant"):
    cps = [cp["id"] for item in insp.checklist_snapshot for cp in item["checkpoints"]]
    return desk_checks.save_answers(session, user, insp.id, {cp: (answer, "") for cp in cps})


def test_desk_inspection_is_recorded_submitted_and_reviewed(session, tmp_path):
    from server.services.fieldwork.media_store import FilesystemMediaStore
    insp, user = _desk(session)
    assert desk_checks.my_inspections(session, user) == [insp]
    with pytest.raises(ValidationError, match="^还有 2 个检查要点未作答"):
        desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["document"],
                           follow_ups=["none"], summary="")
    assert _answer_all(session, user, insp) == 2
    assert _answer_all(session, user, insp) == 0  # unchanged answers are not recorded again
    desk_checks.add_finding(session, user, insp.id, description="台账缺少 3 月记录", legal_basis="《道路运输条例》")
    store = FilesystemMediaStore(str(tmp_path / "media"))
    desk_checks.upload_evidence(session, user, insp.id, _png(), "经营台账扫描件", store, max_bytes=10**7,
                                max_pixels=10**7)
    with pytest.raises(ValidationError, match="^请选择检查结果$"):
        desk_checks.submit(session, user, insp.id, result_categories=[], methods=["document"], follow_ups=["none"],
                           summary="")
    desk_checks.submit(session, user, insp.id, result_categories=["02"], methods=["document"],
                       follow_ups=["rectify"], summary="书面检查完毕")
    assert insp.status == "submitted" and insp.completed_at is not None
    with pytest.raises(ValidationError, match="^该检查已提交，不能再修改"):
        desk_checks.add_finding(session, user, insp.id, description="再加一条")
    office = create_user(session, role="office")
    data = review.detail(session, office, insp.id)
    assert [f["description"] for f in data["findings"]] == ["台账缺少 3 月记录"]
    assert [p["caption"] for p in data["photos"]] == ["经营台账扫描件"]
    review.approve(session, office, insp.id)
    assert insp.status == "approved"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(insp.id),
                                                              AuditEntry.action.like("desk.%"))).all()
    assert actions == ["desk.answers", "desk.finding", "desk.evidence"]


def test_desk_returned_inspection_comes_back_as_a_new_version(session):
    insp, user = _desk(session, mode="online")
    _answer_all(session, user, insp)
    desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["online"], follow_ups=["none"],
                       summary="")
    office = create_user(session, role="office")
    review.return_for_fix(session, office, insp.id, note="请补充平台数据截图")
    _answer_all(session, user, insp, answer="na")
    desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["online"], follow_ups=["none"],
                       summary="已补充")
    assert (insp.status, insp.version) == ("submitted", 2)
    review.approve(session, office, insp.id, version=2)
    assert [(h.version, h.action) for h in review.history(session, insp.id)] == [(1, "return"), (2, "approve")]


def test_only_the_group_records_and_only_off_site(session):
    insp, user = _desk(session)
    stranger = create_user(session, role="inspector")
    with pytest.raises(PermissionDenied, match="^该检查不属于您所在的检查组$"):
        desk_checks.save_answers(session, stranger, insp.id, {})
    site, site_user = _desk(session, mode="on_site")
    with pytest.raises(ValidationError, match="^现场检查请在手机应用中录入$"):
        desk_checks.get(session, site_user, site.id)
    with pytest.raises(PermissionDenied):
        desk_checks.my_inspections(session, create_user(session, role="office"))


def test_desk_evidence_must_be_an_image(session, tmp_path):
    from server.services.fieldwork.media_store import FilesystemMediaStore
    insp, user = _desk(session)
    with pytest.raises(ValidationError) as err:
        desk_checks.upload_evidence(session, user, insp.id, b"%PDF-1.4 not an image", "x",
                                    FilesystemMediaStore(str(tmp_path)), max_bytes=10**7, max_pixels=10**7)
    assert err.value.code == "bad_image"


def test_desk_pages_for_the_assigned_inspector(client, login, session):
    insp, user = _desk(session)
    session.commit()
    login(user)
    html = client.get("/office/desk").get_data(as_text=True)
    assert insp.target.name in html
    cps = [cp["id"] for item in insp.checklist_snapshot for cp in item["checkpoints"]]
    resp = client.post(f"/office/desk/{insp.id}/answers", data={f"cp-{cp}": "compliant" for cp in cps},
                       follow_redirects=True)
    assert "已保存 2 项答案" in resp.get_data(as_text=True)
    resp = client.post(f"/office/desk/{insp.id}/evidence", data={"caption": "截图", "files": (io.BytesIO(_png()), "a.png")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "已上传 1 份材料" in resp.get_data(as_text=True)
    resp = client.post(f"/office/desk/{insp.id}/submit", data={"result_categories": ["01"], "methods": ["document"],
                                                               "follow_ups": ["none"]}, follow_redirects=True)
    assert "已提交审核" in resp.get_data(as_text=True)
    assert client.get("/office/review").status_code == 403


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


def test_a_resubmission_does_not_restart_the_publication_clock(session):
    """The 20 working days run from when the inspection ended (its first completion); returning it for a
    fix must not buy the bureau more time."""
    insp, user = _desk(session, mode="online")
    _answer_all(session, user, insp)
    desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["online"], follow_ups=["none"],
                       summary="")
    ended = today()
    while workdays_between(ended, today()) < 12:
        ended -= dt.timedelta(days=1)
    insp.completed_at = insp.first_completed_at = at(ended)  # the first submission was 12 working days ago
    office = create_user(session, role="office")
    review.return_for_fix(session, office, insp.id, note="请补充平台数据截图")
    desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["online"], follow_ups=["none"],
                       summary="已补充")
    assert insp.version == 2 and insp.completed_at > at(ended) and insp.first_completed_at == at(ended)
    [row] = review.queue(session, office).items
    assert row["clock"].state == "running" and row["clock"].due == add_workdays(ended, 20)
    review.approve(session, office, insp.id, version=2)
    pub = session.scalar(select(Publication).where(Publication.inspection_id == insp.id))
    assert pub.completed_on == ended and pub.due_on == add_workdays(ended, 20)

"""书面检查 / 网络监测: the assigned inspector records a non-site inspection in the office, submits it,
and it is reviewed like one from the phone."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import select

from server.errors import PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.followup import Publication
from server.services.fieldwork import desk_checks
from server.services.followup import review
from server.services.kernel.workdays import add_workdays, local_midnight_utc, today, workdays_between
from tests.factories import create_inspection, create_user
from tests.sync.scenario import login as api_login


def at(day: dt.date, hour=10):
    return local_midnight_utc(day) + dt.timedelta(hours=hour)


def _png(color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buf, "PNG")  # as large as a photo must be (PHOTO_MIN_SIDE_PX)
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


def test_desk_evidence_must_be_an_image_or_a_whole_pdf(session, tmp_path):
    from server.services.fieldwork.media_store import FilesystemMediaStore
    insp, user = _desk(session)
    for data, code in ((b"%PDF-1.4 cut short", "truncated_pdf"), (b"GIF89a not ours", "bad_image")):
        with pytest.raises(ValidationError) as err:
            desk_checks.upload_evidence(session, user, insp.id, data, "x", FilesystemMediaStore(str(tmp_path)),
                                        max_bytes=10**7, max_pixels=10**7)
        assert err.value.code == code


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


def test_a_submitted_inspection_has_one_name_on_the_desk_and_the_review_page_and_none_on_a_phone(client, login,
                                                                                                 session):
    insp, user = _desk(session)
    _answer_all(session, user, insp)
    desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["document"], follow_ups=["none"],
                       summary="")
    office = create_user(session, role="office")
    session.commit()
    assert "<td>已提交</td>" in login(user).get("/office/desk").get_data(as_text=True)
    page = login(office, c=client.application.test_client()).get(f"/office/review/{insp.id}").get_data(as_text=True)
    assert "已提交</span>" in page
    phone = {"Authorization": f"Bearer {api_login(client, user.username)}"}
    refused = client.get(f"/api/v1/inspections/{insp.id}", headers=phone)  # recorded in the office, never downloaded
    assert refused.status_code == 409 and refused.get_json()["code"] == "desk_inspection"

"""Office pages: an inspection's field record, conflicts, late evidence, rejections and sync history;
photos served with permission checks; devices listed and revoked by an admin."""
from __future__ import annotations

import hashlib

import pytest

from server.models.accounts import ApiToken
from tests import factories
from tests.server.images import image_bytes
from tests.server.fieldwork.conftest import signature_png
from tests.sync.harness import Device, answer, sign_off
from tests.sync.scenario import login as api_login
from tests.sync.scenario import one_inspection


@pytest.fixture
def synced(client, session):
    """Inspection 1 after two phones: a conflict, a photo, a rejected mutation, then late evidence."""
    one_inspection(session)
    wang = {"Authorization": f"Bearer {api_login(client, 'wangjg', '王建国的手机')}"}
    li = {"Authorization": f"Bearer {api_login(client, 'lim', '李明的手机')}"}
    photo = image_bytes("JPEG", (640, 480))
    sha = hashlib.sha256(photo).hexdigest()
    client.put(f"/api/v1/media/{sha}", data=photo, headers=wang)
    sig = signature_png(1)
    sig_sha = hashlib.sha256(sig).hexdigest()
    client.put(f"/api/v1/media/{sig_sha}?kind=signature", data=sig, headers=wang)
    a, b = Device("wang"), Device("li", start_minute=30)
    client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": a.client_id, "mutations": [
        answer(a, 1, 1, "compliant", note="<script>alert(1)</script>"), answer(a, 1, 2, "compliant"),
        a.m("photo.attach", id="6b000000-0000-4000-8000-0000000000a1", inspection_id=1, sha256=sha,
            caption="经营许可证", taken_at="2024-05-06T09:05:00+08:00", latitude=35.48621, longitude=112.41532,
            accuracy_m=8.0, width=640, height=480, bytes=len(photo), clock_offset_ms=-1200),
        answer(a, 1, 77, "na"), *sign_off(a, 1, sig_sha),
        a.m("inspection.submit", inspection_id=1, result_categories=["01"], methods=["on_site"],
            follow_ups=["none"], summary="未发现问题")]})
    client.post("/api/v1/sync/push", headers=li, json={"protocol": 1, "client_id": b.client_id, "mutations": [
        answer(b, 1, 1, "noncompliant", note="许可证已过期")]})
    return sha


def staff(session, role="office"):
    user = factories.create_user(session, role=role)
    session.commit()
    return user


def test_the_detail_page_shows_record_conflict_late_evidence_and_sync_history(client, session, login, synced):
    page = login(staff(session)).get("/office/inspections/1").get_data(as_text=True)
    assert "阳城县宏达物流有限公司" in page and "已提交" in page
    assert "是否取得道路运输经营许可证" in page and "符合" in page
    assert "经营许可证" in page and "35.48621, 112.41532（±8 米）" in page and f"/office/media/{synced}/thumb" in page
    assert "提交后到达的补充证据" in page and "许可证已过期" in page  # 李明's answer came after the lock
    assert "被拒绝的同步操作（1 条）" in page and "检查要点 77 不在本次检查的清单中" in page
    assert "王建国的手机" in page and "李明的手机" in page and "提交后补充" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_conflict_between_members_is_shown_with_both_answers(client, session, login):
    one_inspection(session)
    office = login(staff(session))
    a, b = Device("wang"), Device("li", start_minute=30)
    for who, d, value in (("wangjg", a, "compliant"), ("lim", b, "noncompliant")):
        headers = {"Authorization": f"Bearer {api_login(client, who)}"}  # bearer auth: the office cookie is unused
        client.post("/api/v1/sync/push", headers=headers, json={"protocol": 1, "client_id": d.client_id,
                                                                "mutations": [answer(d, 1, 1, value)]})
    page = office.get("/office/inspections/1").get_data(as_text=True)
    assert "检查组成员的判定不一致（1 项）" in page
    assert "王建国 判定“符合”" in page and "李明 判定“不符合”" in page
    listing = office.get("/office/inspections?conflicts=1").get_data(as_text=True)
    assert "阳城县宏达物流有限公司" in listing and "答案冲突" in listing


def test_photos_are_served_to_staff_and_the_group_only(client, session, login, synced):
    c = login(staff(session))
    thumb = c.get(f"/office/media/{synced}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:2] == b"\xff\xd8"
    assert c.get(f"/office/media/{synced}").data == image_bytes("JPEG", (640, 480))
    assert c.get(f"/office/media/{'0' * 64}/thumb").status_code == 404
    outsider = factories.create_user(session, role="inspector")
    session.commit()
    other = login(outsider, c=client.application.test_client())
    assert other.get(f"/office/media/{synced}/thumb").status_code == 403
    assert other.get("/office/inspections/1").status_code == 403


def test_the_list_filters_by_status_and_search(client, session, login, synced):
    c = login(staff(session, "leader"))
    assert "阳城县宏达物流有限公司" in c.get("/office/inspections?status=submitted").get_data(as_text=True)
    assert "阳城县宏达物流有限公司" not in c.get("/office/inspections?status=assigned").get_data(as_text=True)
    assert "共 1 项检查" in c.get("/office/inspections?q=宏达").get_data(as_text=True)


def test_the_list_pages_through_inspections_last_changed_first(client, app, session, login):
    one_inspection(session)
    names = ["阳城县甲运输有限公司", "阳城县乙运输有限公司", "阳城县丙运输有限公司"]
    for name in names:
        factories.create_inspection(session, target=factories.create_target(session, name=name))
    session.commit()
    app.config["PAGE_SIZE"] = 3
    c = login(staff(session))
    first = c.get("/office/inspections").get_data(as_text=True)
    assert "共 5 项检查" in first and "第 1 / 2 页" in first and "下一页" in first
    assert all(name in first for name in names) and "阳城县宏达物流有限公司" not in first
    second = c.get("/office/inspections?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second and "上一页" in second and "阳城县宏达物流有限公司" in second
    assert not any(name in second for name in names)
    assert "第 2 / 2 页" in c.get("/office/inspections?page=9").get_data(as_text=True)  # past the end: the last page


def test_an_admin_revokes_a_device_and_it_must_log_in_again(client, session, login, synced):
    assert login(staff(session)).get("/office/devices").status_code == 403
    c = login(staff(session, "admin"), c=client.application.test_client())
    page = c.get("/office/devices").get_data(as_text=True)
    assert "王建国的手机" in page and "已同步至第 9 条" in page
    token = session.query(ApiToken).filter_by(device_name="王建国的手机").one()
    resp = c.post(f"/office/devices/{token.id}/revoke", data={"reason": ""}, follow_redirects=True)
    assert "请填写注销原因" in resp.get_data(as_text=True)
    resp = c.post(f"/office/devices/{token.id}/revoke", data={"reason": "手机遗失"}, follow_redirects=True)
    assert "已注销" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is not None


def test_the_dashboard_counts_what_needs_attention(client, session, login, synced):
    page = login(staff(session)).get("/office/").get_data(as_text=True)
    assert "现场检查与同步" in page and "7 天内被拒绝的同步操作" in page
    from server.services.fieldwork.records import dashboard_panel
    rows = {label: value for label, value, _ in dashboard_panel(session)["rows"]}
    assert rows["7 天内被拒绝的同步操作"] == 1 and rows["7 天内提交后到达的补充证据"] == 1
    assert rows["有效的移动设备登录"] == 2


def test_rejected_data_reads_as_typed_on_the_office_page_and_a_replay_is_shown_as_such(client, session, login):
    one_inspection(session)
    wang = {"Authorization": f"Bearer {api_login(client, 'wangjg', '王建国的手机')}"}
    d = Device("wang")
    kept = answer(d, 1, 77, "noncompliant", note="灭火器过期<b>3</b>个")
    recorded = answer(d, 1, 1, "compliant")
    client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": d.client_id,
                                                         "mutations": [kept, recorded]})
    reinstalled = Device("wang")
    client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": reinstalled.client_id,
                                                         "mutations": [dict(recorded, id=1)]})
    reused = dict(answer(Device("wang", d.client_id), 1, 2, "na", note="编号重复的记录"), id=2)
    client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": d.client_id,
                                                         "mutations": [reused]})
    page = login(staff(session)).get("/office/inspections/1").get_data(as_text=True)
    assert "灭火器过期&lt;b&gt;3&lt;/b&gt;个" in page and "\\u" not in page  # readable, still escaped
    assert "<b>3</b>" not in page
    assert "被拒绝的同步操作（2 条）" in page and "编号重复的记录" in page  # the reused id is kept for review
    assert "已有，未重复保存" in page  # the replayed record

"""Findings 3 and 4: sessions live on the server and really end; a password reset or a deactivation ends
every session and revokes every phone token. Before, a cookie saved before logout still opened /office/,
and an old bearer token still pulled after the admin reset the password."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from server.models.accounts import ApiToken, UserSession
from server.models.audit import AuditEntry
from server.models.types import utcnow
from tests.factories import create_user


def _login(app, username, password="password123"):
    client = app.test_client()
    resp = client.post("/office/login", data={"username": username, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def _opens_office(client) -> bool:
    resp = client.get("/office/")
    return resp.status_code == 200


@pytest.fixture
def clerk(session):
    user = create_user(session, role="office", username="clerk")
    session.commit()
    return user


def test_a_cookie_saved_before_logout_no_longer_opens_the_office(app, clerk):
    browser = _login(app, "clerk")
    saved = _cookie(browser)
    assert _opens_office(_with_cookie(app, saved))
    browser.post("/office/logout")
    replay = _with_cookie(app, saved)
    resp = replay.get("/office/")
    assert resp.status_code == 302 and "/office/login" in resp.headers["Location"]


def test_logout_ends_every_session_of_the_user(app, session, clerk):
    home, work = _login(app, "clerk"), _login(app, "clerk")
    home.post("/office/logout")
    assert not _opens_office(work)
    rows = session.scalars(select(UserSession)).all()
    assert len(rows) == 2 and {r.end_reason for r in rows} == {"logout"}
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "session.logout")).detail["sessions"] == 2


def test_the_cookie_holds_no_user_id_and_a_forged_session_opens_nothing(app, clerk):
    browser = _login(app, "clerk")
    with browser.session_transaction() as s:
        assert set(s.keys()) <= {"sid", "_permanent", "csrf_token", "_flashes"}
        s["sid"] = "forged-" + s["sid"][7:]
        s["uid"] = clerk.id
    assert not _opens_office(browser)


def test_changing_ones_password_ends_every_other_session(app, session, clerk):
    phone_browser, desk = _login(app, "clerk"), _login(app, "clerk")
    resp = desk.post("/office/password", data={"current": "password123", "password": "new-secret-9",
                                              "confirm": "new-secret-9"})
    assert resp.status_code == 302
    assert "密码已修改：其他设备上的登录均已退出" in desk.get("/office/").get_data(as_text=True)
    assert not _opens_office(phone_browser)
    assert app.test_client().post("/office/login", data={"username": "clerk", "password": "password123"}
                                  ).status_code == 401
    _login(app, "clerk", "new-secret-9")


def test_changing_the_password_needs_the_current_one(app, session, clerk):
    desk = _login(app, "clerk")
    resp = desk.post("/office/password", data={"current": "wrong-one", "password": "new-secret-9",
                                              "confirm": "new-secret-9"})
    assert resp.status_code == 422 and "当前密码不正确" in resp.get_data(as_text=True)
    resp = desk.post("/office/password", data={"current": "password123", "password": "new-secret-9",
                                              "confirm": "other"})
    assert resp.status_code == 422 and "两次输入的新密码不一致" in resp.get_data(as_text=True)
    assert _opens_office(desk)
    _login(app, "clerk")  # unchanged
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "login.failure")).detail["reason"] == \
        "change_password"


def _phone_token(client, username) -> str:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": "password123",
                                                  "device_name": "手机"})
    assert resp.status_code == 201
    return resp.get_json()["token"]


@pytest.mark.parametrize("action,data", [("password", {"password": "brand-new-pass"}),
                                         ("deactivate", {"reason": "调离执法岗位"})])
def test_a_reset_or_deactivation_ends_sessions_and_revokes_every_phone_token(app, session, action, data):
    create_user(session, role="admin", username="root")
    inspector = create_user(session, role="inspector", username="wangjg")
    session.commit()
    token = _phone_token(app.test_client(), "wangjg")
    office = _login(app, "wangjg")
    auth = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/sync/pull", headers=auth).status_code == 200
    admin = _login(app, "root")
    assert admin.post(f"/office/users/{inspector.id}/{action}", data=data).status_code == 302
    resp = app.test_client().get("/api/v1/sync/pull", headers=auth)
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_revoked"
    assert not _opens_office(office)
    assert session.scalar(select(ApiToken.revoked_at)) is not None


def test_an_admin_ends_a_users_sessions(app, session, clerk):
    create_user(session, role="admin", username="root")
    session.commit()
    browser = _login(app, "clerk")
    admin = _login(app, "root")
    page = admin.get("/office/users?q=clerk").get_data(as_text=True)
    assert "1 个在线" in page and "结束登录会话" in page
    admin.post(f"/office/users/{clerk.id}/sessions/end")
    assert "已结束 clerk 的全部登录会话" in admin.get("/office/users").get_data(as_text=True)
    assert not _opens_office(browser)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "session.end"))
    assert entry.actor_name == "root" and entry.detail["sessions"] == 1


def test_a_session_ends_after_a_working_day_without_a_request(app, session, clerk):
    browser = _login(app, "clerk")
    assert app.config["SESSION_IDLE_MINUTES"] == 480
    assert app.permanent_session_lifetime == dt.timedelta(hours=8)
    session.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=479)))
    session.commit()
    assert _opens_office(browser)  # used again within the working day: it slides
    session.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=481)))
    session.commit()
    assert not _opens_office(browser)
    assert session.scalar(select(UserSession.end_reason)) == "idle"


def test_the_idle_limit_is_configurable(db_url, tmp_path):
    from server import create_app
    from server.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": db_url,
                      "MEDIA_DIR": str(tmp_path / "m"), "WTF_CSRF_ENABLED": False, "SESSION_IDLE_MINUTES": 30})
    with app.app_context():
        create_user(db.session, role="office", username="short")
        db.session.commit()
        browser = _login(app, "short")
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
        db.session.commit()
        assert not _opens_office(browser)
        db.session.remove()
        db.engine.dispose()

import re

import pytest

from server.errors import Conflict, ValidationError
from server.services.accounts import credentials
from tests.factories import create_user


def test_office_login_and_dashboard(client, session, login):
    user = create_user(session, role="office")
    session.commit()
    login(user)
    page = client.get("/office/").get_data(as_text=True)
    assert "工作台" in page and user.display_name in page


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/office/")
    assert resp.status_code == 302 and "/office/login" in resp.headers["Location"]


def test_wrong_password_message(client, session):
    user = create_user(session)
    session.commit()
    resp = client.post("/office/login", data={"username": user.username, "password": "nope-nope"})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_five_failures_make_the_next_login_wait_not_lock(client, session):
    from server.models.accounts import LoginThrottle
    from server.models.types import utcnow
    user = create_user(session)
    session.commit()
    for _ in range(5):
        client.post("/office/login", data={"username": user.username, "password": "wrong-password"})
    resp = client.post("/office/login", data={"username": user.username, "password": "password123"})
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= 30
    assert re.search(r"登录尝试次数过多，请于 \d\d:\d\d:\d\d 后再试（约 \d+ 秒后）", resp.get_data(as_text=True))
    session.query(LoginThrottle).update({"blocked_until": utcnow()})  # the 30 seconds have passed
    session.commit()
    assert client.post("/office/login", data={"username": user.username, "password": "password123"}).status_code == 302


def test_login_form_requires_csrf_token(csrf_app, db_url):
    from server.extensions import db
    user = create_user(db.session)
    db.session.commit()
    c = csrf_app.test_client()
    resp = c.post("/office/login", data={"username": user.username, "password": "password123"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/office/login").get_data(as_text=True)).group(1)
    resp = c.post("/office/login", data={"username": user.username, "password": "password123", "csrf_token": token})
    assert resp.status_code == 302


def test_inspector_user_must_be_linked(session):
    with pytest.raises(ValidationError) as err:
        credentials.create_user(session, None, username="zhang", password="password123", role="inspector")
    assert "必须关联" in err.value.message


def test_duplicate_username_refused(session):
    create_user(session, username="li")
    with pytest.raises(Conflict):
        create_user(session, username="LI")


def test_user_creation_is_audited(session):
    from server.models.audit import AuditEntry
    create_user(session, username="wang")
    assert session.query(AuditEntry).filter_by(action="user.create").count() == 1

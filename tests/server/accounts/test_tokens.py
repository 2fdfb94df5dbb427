"""Device tokens: issued to inspectors only, stored hashed, sliding 30-day expiry, revocable, rate-limited."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from server.errors import PermissionDenied, Unauthorized
from server.models.accounts import ApiToken
from server.models.types import utcnow
from server.services.accounts import tokens
from tests import factories


@pytest.fixture
def inspector(session):
    user = factories.create_user(session, role="inspector", username="wangjg")
    session.commit()
    return user


def issue(client, username="wangjg", password="password123", device="王建国的手机"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password,
                                                  "device_name": device})


def test_a_token_is_issued_for_a_device_and_stored_only_as_its_hash(client, session, inspector):
    resp = issue(client)
    body = resp.get_json()
    assert resp.status_code == 201 and body["user"]["username"] == "wangjg" and body["token_type"] == "Bearer"
    stored = session.query(ApiToken).one()
    assert stored.device_name == "王建国的手机" and stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in repr(stored.__dict__)
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=29, hours=23) < expires - utcnow() <= dt.timedelta(days=30)


def test_expiry_slides_with_use_and_ends_after_30_idle_days(session, inspector):
    raw, token = tokens.issue_token(session, username="wangjg", password="password123", device_name="手机")
    later = token.last_used_at + dt.timedelta(days=29)
    user, _ = tokens.check_token(session, raw, now=later)
    assert user.id == inspector.id and token.expires_at == later + dt.timedelta(days=30)
    tokens.check_token(session, raw, now=later + dt.timedelta(days=29))  # still alive: it slid
    with pytest.raises(Unauthorized) as err:
        tokens.check_token(session, raw, now=later + dt.timedelta(days=29 + 31))
    assert err.value.code == "token_expired" and "30 天未使用" in err.value.message


@pytest.mark.parametrize("header,code", [
    (None, "token_missing"), ("Bearer ", "token_missing"), ("Bearer not-a-real-token", "token_invalid"),
    ("Basic d2FuZ2pnOnBhc3N3b3Jk", "token_missing")])
def test_requests_without_a_valid_token_are_refused(client, inspector, header, code):
    resp = client.get("/api/v1/sync/pull", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401 and resp.get_json()["code"] == code


def test_logout_revokes_the_token_at_once(client, session, inspector):
    raw = issue(client).get_json()["token"]
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.delete("/api/v1/auth/token", headers=auth).status_code == 204
    resp = client.get("/api/v1/sync/pull", headers=auth)
    assert resp.status_code == 401 and resp.get_json() == {
        "status": 401, "code": "token_revoked", "errors": {},
        "message": "此设备的登录已被注销，请重新登录（未同步的记录会保留）"}


def test_only_inspectors_get_tokens(client, session):
    factories.create_user(session, role="office", username="keyuan")
    session.commit()
    resp = issue(client, "keyuan")
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    assert "只有执法检查人员" in resp.get_json()["message"] and session.query(ApiToken).count() == 0


def test_wrong_passwords_make_the_phone_login_wait_but_not_the_office_login(client, session, inspector):
    for _ in range(5):
        resp = issue(client, password="wrong")
        assert resp.status_code == 401 and resp.get_json()["code"] == "bad_credentials"
    resp = issue(client)
    body = resp.get_json()
    assert resp.status_code == 429 and body["code"] == "login_throttled" and "后再试" in body["message"]
    assert int(resp.headers["Retry-After"]) == body["errors"]["retry_after"] <= 30
    office = client.post("/office/login", data={"username": "wangjg", "password": "password123"})
    assert office.status_code == 302  # the phone's counter does not hold up the office login


def test_a_device_name_is_required(client, inspector):
    resp = issue(client, device=" ")
    assert resp.status_code == 422 and resp.get_json()["message"] == "请填写设备名称（1–100 个字）"


def test_only_an_admin_revokes_someone_elses_token(session, inspector):
    _, token = tokens.issue_token(session, username="wangjg", password="password123", device_name="手机")
    other = factories.create_user(session, role="office")
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(session, other, token.id)
    tokens.revoke_token(session, factories.create_user(session, role="admin"), token.id, reason="手机遗失")
    assert token.revoked_at is not None


def test_a_deactivated_inspector_is_refused_even_with_a_live_token(session, inspector):
    raw, _ = tokens.issue_token(session, username="wangjg", password="password123", device_name="手机")
    inspector.is_active = False
    with pytest.raises(PermissionDenied):
        tokens.check_token(session, raw)

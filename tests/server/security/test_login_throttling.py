"""Finding 1: nobody can lock out anyone; guessing is slowed per account, per address across names and per
device; unknown names are answered like known ones; every failure and throttle is audited; the admin sees
and clears the counters. Each of these failed before (a shared 5-failure lock, 429 against 401)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from server.models.accounts import LoginThrottle
from server.models.audit import AuditEntry
from server.models.types import utcnow
from server.services.accounts import credentials, throttle
from tests.factories import create_user

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}


def office_login(client, username, password, env=None):
    return client.post("/office/login", data={"username": username, "password": password},
                       environ_base=env or {"REMOTE_ADDR": "198.51.100.7"})


def api_login(client, username, password, env=None):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password,
                                                  "device_name": "手机"}, environ_base=env or ATTACKER)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _pass_time(session):
    """Every delay has run out (as if the clock moved on)."""
    session.query(LoginThrottle).update({"blocked_until": utcnow() - dt.timedelta(seconds=1)})
    session.commit()


def test_anonymous_failures_never_lock_the_only_admin_out(app, session):
    """Before: five anonymous POST /api/v1/auth/token locked `admin` for 15 minutes, office login included."""
    create_user(session, role="admin", username="admin")
    session.commit()
    admins_browser = app.test_client()
    assert office_login(admins_browser, "admin", "password123").status_code == 302  # the admin's own browser
    attacker = app.test_client()
    for n in range(12):  # from many addresses, waiting out every delay, for ever if need be
        _pass_time(session)
        api_login(attacker, "admin", f"guess-{n}", {"REMOTE_ADDR": f"203.0.113.{n}"})
        office_login(attacker, "admin", f"guess-{n}", {"REMOTE_ADDR": f"203.0.113.{n}"})
    assert office_login(attacker, "admin", "password123", ATTACKER).status_code == 429
    # From a browser the admin never used: a delay of at most the maximum, never a lock.
    stranger, elsewhere = app.test_client(), {"REMOTE_ADDR": "192.0.2.10"}
    resp = office_login(stranger, "admin", "password123", elsewhere)
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= app.config["LOGIN_DELAY_MAX_SECONDS"]
    # From the admin's own browser: at once.
    resp = office_login(admins_browser, "admin", "password123")
    assert resp.status_code == 302, _text(resp)


def test_delays_grow_and_stop_at_the_maximum(session):
    create_user(session, username="zhao")
    session.commit()
    policy, now, waits = throttle.Policy(), utcnow(), []
    for n in range(12):
        attempt = credentials.Attempt("office", "zhao", "wrong-password", "192.0.2.1")
        with pytest.raises(Exception):
            credentials.authenticate(session, attempt, policy=policy, now=now)
        row = session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "office")
                             .execution_options(populate_existing=True))
        waits.append(int((row.blocked_until - now).total_seconds()) if row.blocked_until else 0)
        now = (row.blocked_until or now) + dt.timedelta(seconds=1)
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


def test_a_throttled_login_says_when_to_try_again_and_the_password_is_not_even_checked(client, session):
    create_user(session, username="qian")
    session.commit()
    for _ in range(5):
        resp = office_login(client, "qian", "wrong-password")
    assert resp.status_code == 401 and "用户名或密码错误；尝试次数过多，请于" in _text(resp)
    resp = office_login(client, "qian", "password123")  # right password, too soon
    assert resp.status_code == 429 and re.search(r"请于 \d\d:\d\d:\d\d 后再试（约 \d+ 秒后）", _text(resp))
    assert 25 <= int(resp.headers["Retry-After"]) <= 30
    _pass_time(session)
    assert office_login(client, "qian", "password123").status_code == 302


def _answers(app, username, address):
    client, out = app.test_client(), []
    for n in range(7):
        resp = office_login(client, username, f"wrong-{n}", {"REMOTE_ADDR": address})
        out.append((resp.status_code, re.sub(r"\d\d:\d\d:\d\d|约 \d+", "…", _text(resp).split("<form")[0]
                                                .split('role="alert">')[-1][:80]), resp.headers.get("Retry-After")))
    return out


def test_unknown_and_known_names_get_the_same_answers(app, session):
    """Before: a locked account answered 429 and an unknown name 401, so names could be enumerated."""
    create_user(session, username="sun")
    session.commit()
    known, unknown = _answers(app, "sun", "192.0.2.21"), _answers(app, "nosuchuser", "192.0.2.22")
    assert known == unknown
    assert [s for s, _, _ in known] == [401, 401, 401, 401, 401, 429, 429]
    inactive = create_user(session, username="gone")
    inactive.is_active = False
    session.commit()
    client = app.test_client()
    resp = office_login(client, "gone", "password123", {"REMOTE_ADDR": "192.0.2.23"})
    assert resp.status_code == 401 and "用户名或密码错误" in _text(resp)


def test_one_address_spraying_many_names_is_capped(app, session):
    """Before: 40 failures from one address over 8 names were never limited."""
    for n in range(8):
        create_user(session, username=f"staff{n}")
    session.commit()
    sprayer, answers = app.test_client(), []
    for n in range(40):
        answers.append(office_login(sprayer, f"staff{n % 8}", "Password1", ATTACKER).status_code)
    assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
    assert office_login(sprayer, "never-tried", "x", ATTACKER).status_code == 429  # across names
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "address"))
    assert row.key == "203.0.113.66" and row.failures == 10 and row.refused == 31
    assert office_login(app.test_client(), "staff0", "password123").status_code == 302  # others are not held up


def test_ipv6_clients_are_counted_by_their_64_prefix():
    assert throttle.address_key("2001:db8:1:2:aaaa::1") == throttle.address_key("2001:db8:1:2:bbbb::9") == \
        "2001:db8:1:2::/64"
    assert throttle.address_key("::ffff:198.51.100.7") == "198.51.100.7"


def test_the_phone_that_logged_in_before_is_not_held_up_by_an_attack(app, session):
    create_user(session, role="inspector", username="wangjg")
    session.commit()
    phone = app.test_client()
    assert api_login(phone, "wangjg", "password123", {"REMOTE_ADDR": "198.51.100.8"}).status_code == 201
    attacker = app.test_client()
    for n in range(8):
        api_login(attacker, "wangjg", f"guess{n}")
    assert api_login(attacker, "wangjg", "password123").status_code == 429
    assert api_login(phone, "wangjg", "password123", {"REMOTE_ADDR": "198.51.100.8"}).status_code == 201


def test_the_office_and_phone_doors_count_apart(app, session):
    """Before: the API and the office shared one counter, so one door locked the other."""
    create_user(session, role="inspector", username="lim")
    session.commit()
    attacker = app.test_client()
    for n in range(6):
        api_login(attacker, "lim", f"guess{n}", {"REMOTE_ADDR": "192.0.2.40"})
    assert api_login(attacker, "lim", "password123", {"REMOTE_ADDR": "192.0.2.40"}).status_code == 429
    resp = office_login(app.test_client(), "lim", "password123", {"REMOTE_ADDR": "192.0.2.41"})
    assert resp.status_code == 302


def test_every_failure_and_every_throttle_is_in_the_audit_log(client, session):
    create_user(session, username="li4")
    session.commit()
    for n in range(5):
        office_login(client, "li4", f"wrong{n}")
    office_login(client, "nobody", "x")
    for _ in range(3):
        office_login(client, "li4", "password123")  # refused three times: one throttle
    failures = session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failure")
                               .order_by(AuditEntry.seq)).all()
    assert len(failures) == 6
    assert failures[0].detail == {"username": "li4", "door": "office", "address": "198.51.100.7",
                                  "reason": "wrong_password", "failures": 1}
    assert failures[-1].detail["reason"] == "unknown_user" and failures[-1].object_type == ""
    [throttled] = session.scalars(select(AuditEntry).where(AuditEntry.action == "login.throttle")).all()
    assert throttled.detail["scope"] == "office" and throttled.detail["username"] == "li4"


def test_the_admin_sees_the_counters_and_clears_them(app, session, login):
    admin = create_user(session, role="admin", username="root")
    create_user(session, username="zhou")
    session.commit()
    attacker = app.test_client()
    for n in range(6):
        office_login(attacker, "zhou", f"wrong{n}", ATTACKER)
    as_admin = login(admin)
    users_page = _text(as_admin.get("/office/users?q=zhou"))
    assert "登录受限至" in users_page and "近期登录失败 5 次" in users_page
    page = _text(as_admin.get("/office/login-throttles"))
    assert "办公页面账号" in page and "zhou" in page and "203.0.113.66" in page and "须等待至" in page
    zhou = session.scalar(select(LoginThrottle).where(LoginThrottle.key == "zhou"))
    as_admin.post(f"/office/login-throttles/{zhou.id}/clear")
    assert "已清除对“zhou”的登录限制" in _text(as_admin.get("/office/login-throttles"))
    assert office_login(app.test_client(), "zhou", "password123").status_code == 302
    cleared = session.scalar(select(AuditEntry).where(AuditEntry.action == "login.clear"))
    assert cleared.actor_name == "root" and cleared.detail["key"] == "zhou"

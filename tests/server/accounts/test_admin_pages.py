"""The users page (admin) and the audit-log page with its hash-chain check (admin, leader)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, func, select, update

from server.models.accounts import ApiToken, User
from server.models.audit import AuditEntry
from server.models.types import utcnow
from server.services.kernel import audit
from tests.factories import create_department, create_inspector, create_user

CSRF_MESSAGE = "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试"


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def admin(session):
    user = create_user(session, role="admin", username="root")
    session.commit()
    return user


@pytest.fixture
def as_admin(admin, login):
    return login(admin)


def _user(session, username) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


# --- who may see the pages ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["office", "leader", "inspector"])
def test_users_page_is_for_admins_only(session, client, login, role):
    login(create_user(session, role=role))
    session.commit()
    resp = client.get("/office/users")
    assert resp.status_code == 403 and "您的角色无权访问此页面" in _text(resp)
    resp = client.post("/office/users", data={"username": "sneaky", "password": "password123", "role": "admin"})
    assert resp.status_code == 403 and _user(session, "sneaky") is None


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/office/users")
    assert resp.status_code == 302 and "/office/login" in resp.headers["Location"]


@pytest.mark.parametrize("role,status", [("admin", 200), ("leader", 200), ("office", 403), ("inspector", 403)])
def test_audit_log_is_for_admins_and_leaders(session, client, login, role, status):
    login(create_user(session, role=role))
    session.commit()
    assert client.get("/office/audit-log").status_code == status
    assert client.post("/office/audit-log/verify").status_code == status


def test_nav_shows_admin_pages_by_role(session, client, login, as_admin):
    page = _text(as_admin.get("/office/"))
    assert 'href="/office/users"' in page and 'href="/office/audit-log"' in page


# --- users -------------------------------------------------------------------------------------------

def test_admin_lists_and_searches_users(session, as_admin):
    create_user(session, role="office", username="fazhi01", display_name="王丽萍")
    inspector = create_inspector(session, name="李志强", cert_no="140522010001")
    create_user(session, role="inspector", username="lizhiqiang", inspector_id=inspector.id)
    session.commit()
    page = _text(as_admin.get("/office/users"))
    assert "共 3 个账号" in page and "李志强（执法证号 140522010001）" in page
    found = _text(as_admin.get("/office/users?q=王丽"))
    assert "fazhi01" in found and "lizhiqiang" not in found
    assert "lizhiqiang" in _text(as_admin.get("/office/users?role=inspector"))


def test_user_search_takes_percent_and_underscore_literally(session, as_admin):
    create_user(session, role="office", username="ke_yuan", display_name="科员")
    create_user(session, role="office", username="kexyuan", display_name="100%满意")
    session.commit()
    underscore = _text(as_admin.get("/office/users?q=_"))
    assert "ke_yuan" in underscore and "kexyuan" not in underscore and "共 1 个账号" in underscore
    percent = _text(as_admin.get("/office/users?q=%25"))
    assert "kexyuan" in percent and "共 1 个账号" in percent
    assert "kexyuan" in _text(as_admin.get("/office/users?q=KEX"))


def test_admin_creates_an_inspector_account(session, as_admin, admin):
    inspector = create_inspector(session, name="郭晓东")
    session.commit()
    option = f">郭晓东（{inspector.cert_no}）</option>"
    assert option in _text(as_admin.get("/office/users"))
    resp = as_admin.post("/office/users", data={"username": "guoxiaodong", "password": "inspect123",
                                                "role": "inspector", "inspector_id": str(inspector.id)})
    assert resp.status_code == 302
    page = _text(as_admin.get("/office/users"))
    assert "已创建用户 guoxiaodong" in page and option not in page  # an inspector has one account at most
    user = _user(session, "guoxiaodong")
    assert user.inspector_id == inspector.id and user.display_name == "郭晓东"
    assert user.department_id == inspector.department_id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create").order_by(AuditEntry.seq.desc()))
    assert entry.actor_id == admin.id and entry.detail["username"] == "guoxiaodong"
    log = _text(as_admin.get("/office/audit-log?action=user.create"))
    assert "用户·新建" in log and "用户名：guoxiaodong" in log and "角色：inspector" in log  # JSONB reorders keys


@pytest.mark.parametrize("data,status,message", [
    ({"username": "zhang", "password": "inspect123", "role": "inspector"}, 422,
     "执法检查人员账号必须关联名录库中的人员"),
    ({"username": "zhang", "password": "short", "role": "office"}, 422, "密码至少 8 位"),
    ({"username": "", "password": "password123", "role": "office"}, 422, "请填写用户名"),
    ({"username": "zhang", "password": "password123", "role": "boss"}, 422,
     "角色应为 admin、office、leader、inspector 或 dept_staff"),
    ({"username": "zhang", "password": "password123", "role": "dept_staff"}, 422,
     "部门工作人员账号必须选择所属部门"),
    ({"username": "ROOT", "password": "password123", "role": "office"}, 409, "用户名“ROOT”已存在"),
])
def test_bad_new_user_is_refused_with_a_message(session, as_admin, data, status, message):
    before = session.scalar(select(func.count(User.id)))
    resp = as_admin.post("/office/users", data=data)
    assert resp.status_code == status
    page = _text(resp)
    assert message in page
    assert f'value="{data["username"]}"' in page  # what was typed is kept
    assert session.scalar(select(func.count(User.id))) == before


def test_new_user_form_offers_only_departments_in_use(session, as_admin):
    used = create_department(session, name="法制股")
    create_department(session, name="已撤销中队", is_active=False)
    session.commit()
    page = _text(as_admin.get("/office/users"))
    assert f'<option value="{used.id}" >法制股</option>' in page and "已撤销中队" not in page


def test_an_inspector_cannot_have_two_accounts(session, as_admin):
    inspector = create_inspector(session, name="卫海燕")
    create_user(session, role="inspector", username="weihaiyan", inspector_id=inspector.id)
    session.commit()
    resp = as_admin.post("/office/users", data={"username": "weihaiyan2", "password": "inspect123",
                                                "role": "inspector", "inspector_id": str(inspector.id)})
    assert resp.status_code == 409
    assert "执法检查人员“卫海燕”已有账号（用户名 weihaiyan），不能重复关联" in _text(resp)
    assert _user(session, "weihaiyan2") is None


def test_only_inspector_accounts_link_an_inspector(session, as_admin):
    inspector = create_inspector(session)
    session.commit()
    resp = as_admin.post("/office/users", data={"username": "x1", "password": "password123", "role": "office",
                                                "inspector_id": str(inspector.id)})
    assert resp.status_code == 422 and "只有“执法检查人员”角色的账号可以关联执法检查人员" in _text(resp)


def test_user_text_is_escaped(session, as_admin):
    create_user(session, role="office", username="x2", display_name="<script>alert(1)</script>")
    session.commit()
    page = _text(as_admin.get("/office/users"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_deactivate_needs_a_reason_then_locks_the_user_out(session, client, as_admin, admin):
    user = create_user(session, role="inspector", username="leaving", password="password123")
    session.add(ApiToken(user_id=user.id, token_hash="a" * 64, device_name="手机",
                         expires_at=utcnow() + dt.timedelta(days=30)))
    session.commit()
    as_admin.post(f"/office/users/{user.id}/deactivate", data={"reason": " "})
    assert "请填写停用原因" in _text(as_admin.get("/office/users"))
    assert _user(session, "leaving").is_active
    resp = as_admin.post(f"/office/users/{user.id}/deactivate", data={"reason": "调离执法岗位"})
    assert resp.status_code == 302
    assert "已停用账号 leaving，其手机上的登录令牌已吊销" in _text(as_admin.get("/office/users"))
    assert not _user(session, "leaving").is_active
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == user.id)) is not None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
    assert entry.reason == "调离执法岗位" and entry.actor_id == admin.id
    other = client.application.test_client()
    resp = other.post("/office/login", data={"username": "leaving", "password": "password123"})
    assert resp.status_code == 401 and "用户名或密码错误" in _text(resp)
    as_admin.post(f"/office/users/{user.id}/activate")
    assert _user(session, "leaving").is_active
    assert other.post("/office/login", data={"username": "leaving", "password": "password123"}).status_code == 302


def test_admin_cannot_deactivate_themselves(session, as_admin, admin):
    as_admin.post(f"/office/users/{admin.id}/deactivate", data={"reason": "测试"})
    assert "不能停用自己的账号；请由另一位系统管理员操作" in _text(as_admin.get("/office/users"))
    assert _user(session, "root").is_active


def test_reset_password_unlocks_and_replaces_the_old_one(session, client, as_admin):
    from server.models.accounts import LoginThrottle
    create_user(session, role="office", username="forgot", password="old-password")
    user = _user(session, "forgot")
    now = utcnow()
    session.add(LoginThrottle(scope="office", key="forgot", failures=9, first_failure_at=now, last_failure_at=now,
                              blocked_until=now + dt.timedelta(minutes=10)))
    session.commit()
    page = _text(as_admin.get("/office/users?q=forgot"))
    assert "登录受限至" in page and "近期登录失败 9 次" in page
    as_admin.post(f"/office/users/{user.id}/password", data={"password": "short"})
    assert "新密码至少 8 位" in _text(as_admin.get("/office/users"))
    as_admin.post(f"/office/users/{user.id}/password", data={"password": "new-password"})
    assert "已重置 forgot 的密码" in _text(as_admin.get("/office/users"))
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.set_password")) is not None
    other = client.application.test_client()
    assert other.post("/office/login", data={"username": "forgot", "password": "old-password"}).status_code == 401
    assert other.post("/office/login", data={"username": "forgot", "password": "new-password"}).status_code == 302


def test_unknown_user_action_says_so(session, as_admin):
    as_admin.post("/office/users/9999/activate")
    assert "找不到该用户，可能已被删除" in _text(as_admin.get("/office/users"))


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_users_forms_need_the_csrf_token(csrf_app):
    from server.extensions import db
    create_user(db.session, role="admin", username="root")
    db.session.commit()
    c = csrf_app.test_client()

    def request(method, path, **kw):
        # Each request in its own app context, as on a real server (the fixture's context would share `g`,
        # and with it a CSRF token cached from before the login).
        with csrf_app.app_context():
            return getattr(c, method)(path, **kw)

    token = _csrf_token(_text(request("get", "/office/login")))
    assert request("post", "/office/login", data={"username": "root", "password": "password123",
                                                  "csrf_token": token}).status_code == 302
    data = {"username": "newbie", "password": "password123", "role": "office"}
    resp = request("post", "/office/users", data=data)
    assert resp.status_code == 400 and CSRF_MESSAGE in _text(resp)
    assert db.session.scalar(select(User).where(User.username == "newbie")) is None
    assert request("post", "/office/audit-log/verify").status_code == 400
    token = _csrf_token(_text(request("get", "/office/users")))
    assert request("post", "/office/users", data={**data, "csrf_token": token}).status_code == 302
    assert request("post", "/office/audit-log/verify", data={"csrf_token": token}).status_code == 200


# --- audit log ---------------------------------------------------------------------------------------

def _log(session, actor, n, action="target.update"):
    for i in range(n):
        audit.record(session, actor, action, object_type="targets", object_id=i + 1, detail={"名称": f"改名{i}"},
                     reason=f"原因{i}")
    session.commit()


def test_audit_log_is_newest_first_with_paging(session, as_admin, admin):
    _log(session, admin, 60)
    page1 = _text(as_admin.get("/office/audit-log"))
    assert "共 61 条，最新的在前" in page1 and "第 1 / 2 页" in page1
    assert page1.index("原因59") < page1.index("原因58")
    assert "名称：改名59" in page1 and "检查对象·修改" in page1 and "原因9<" not in page1
    page2 = _text(as_admin.get("/office/audit-log?page=2"))
    assert "原因9<" in page2 and "原因59" not in page2


def test_audit_log_filters(session, as_admin, admin):
    other = create_user(session, role="office", username="clerk")
    _log(session, admin, 3)
    _log(session, other, 2, action="inspector.update")
    by_action = _text(as_admin.get("/office/audit-log?action=inspector.update"))
    assert "共 2 条" in by_action
    assert "共 3 条" in _text(as_admin.get("/office/audit-log?action=target."))
    assert "共 2 条" in _text(as_admin.get("/office/audit-log?actor=CLERK"))
    by_object = _text(as_admin.get("/office/audit-log?object_type=targets&object_id=2"))
    assert "共 2 条" in by_object and "原因1" in by_object
    assert "共 1 条" in _text(as_admin.get("/office/audit-log?seq=3"))


def test_verify_on_an_intact_log(session, client, login):
    leader = create_user(session, role="leader")
    _log(session, leader, 4)
    login(leader)
    page = _text(client.post("/office/audit-log/verify"))
    assert "哈希链完整：共 5 条日志，校验通过。" in page  # the leader's user.create and four updates


def test_verify_names_an_edited_entry_and_marks_its_row(session, as_admin, admin):
    _log(session, admin, 5)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(reason="被人改过"))
    session.commit()
    page = _text(as_admin.post("/office/audit-log/verify"))
    assert "哈希链校验失败：发现 1 处问题，日志已被改动或删除。" in page
    assert "第 4 条日志（target.update）的内容已被改动" in page
    row = re.search(r"<tr class=\"tampered\">.*?</tr>", page, re.S).group(0)
    assert "<td>4 <span class=\"badge bad\">校验未通过</span>" in row and "被人改过" in row
    assert page.count('class="tampered"') == 1


def test_verify_names_a_deleted_entry(session, as_admin, admin):
    _log(session, admin, 5)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    session.commit()
    page = _text(as_admin.post("/office/audit-log/verify"))
    assert "第 3 条日志已被删除" in page and 'href="/office/audit-log?seq=3"' in page

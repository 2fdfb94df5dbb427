"""User administration (admin only): list, create, deactivate, reactivate, reset passwords, and see and
clear login throttles."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from server.errors import Conflict, ValidationError
from server.models.accounts import LoginThrottle, User
from server.models.registry import Department, Inspector
from server.models.types import utcnow
from server.services.accounts import credentials, sessions, throttle, tokens
from server.services.kernel import audit
from server.services.kernel.permissions import require_role
from server.services.kernel.paging import PER_PAGE, Page, get_or_raise, paginate
from server.services.registry.search import departments, text_contains
from server.vocab import Role

def list_users(session: Session, actor, *, q: str = "", role: str = "", status: str = "", page: int = 1,
               per_page: int = PER_PAGE) -> Page:
    """Users matching a search on username or name, a role and a status (active / inactive)."""
    require_role(actor, "admin")
    stmt = select(User).options(selectinload(User.inspector), selectinload(User.department)).order_by(User.username)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(text_contains(User.username, q), text_contains(User.display_name, q)))
    if role:
        stmt = stmt.where(User.role == role)
    if status in ("active", "inactive"):
        stmt = stmt.where(User.is_active.is_(status == "active"))
    return paginate(session, stmt, page, per_page)


def form_choices(session: Session, actor) -> dict:
    """Departments, and the active inspectors who have no account yet, for the create form."""
    require_role(actor, "admin")
    linked = select(User.inspector_id).where(User.inspector_id.is_not(None))
    inspectors = session.scalars(select(Inspector).where(Inspector.status == "active", Inspector.id.not_in(linked))
                                 .order_by(Inspector.name)).all()
    return {"inspectors": inspectors, "departments": departments(session, active_only=True)}


def create_user(session: Session, actor, *, username: str, password: str, role: str, display_name: str = "",
                inspector_id: int | None = None, department_id: int | None = None) -> User:
    """Create an account; an inspector's account links to one Inspector that has no account yet."""
    require_role(actor, "admin")
    if role and role != Role.INSPECTOR.value and inspector_id:
        raise ValidationError("只有“执法检查人员”角色的账号可以关联执法检查人员",
                              errors={"inspector_id": "该角色不能关联执法检查人员"})
    if inspector_id:
        owner = session.scalar(select(User).where(User.inspector_id == inspector_id))
        if owner is not None:
            name = owner.inspector.name if owner.inspector else ""
            raise Conflict(f"执法检查人员“{name}”已有账号（用户名 {owner.username}），不能重复关联",
                           errors={"inspector_id": "已有账号"})
    dept = session.get(Department, department_id) if department_id else None
    if department_id and dept is None:
        raise ValidationError("所选部门不存在，请刷新页面后重新选择", errors={"department_id": "不存在"})
    if dept is not None and not dept.is_active and role == Role.DEPT_STAFF.value:
        raise ValidationError(f"部门“{dept.name}”已停用，不能为其新建工作人员账号", errors={"department_id": "已停用"})
    return credentials.create_user(session, actor, username=username, password=password, role=role,
                                display_name=(display_name or "").strip(), inspector_id=inspector_id,
                                department_id=department_id)


def _get(session: Session, user_id: int) -> User:
    return get_or_raise(session, User, user_id, "找不到该用户，可能已被删除")


def deactivate_user(session: Session, actor, user_id: int, reason: str) -> User:
    """Disable an account: it can no longer log in, and its phones' tokens are revoked."""
    require_role(actor, "admin")
    user = _get(session, user_id)
    if user.id == actor.id:
        raise Conflict("不能停用自己的账号；请由另一位系统管理员操作")
    if not user.is_active:
        raise Conflict(f"账号 {user.username} 已经是停用状态")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写停用原因", errors={"reason": "必填"})
    user.is_active = False
    revoked = tokens.revoke_all(session, user)
    ended = sessions.end_all(session, user, "deactivate")
    audit.record(session, actor, "user.deactivate", user, detail={"username": user.username, "revoked_tokens": revoked,
                                                                  "sessions": ended}, reason=reason)
    return user


def activate_user(session: Session, actor, user_id: int) -> User:
    """Re-enable a disabled account and clear its login throttles."""
    require_role(actor, "admin")
    user = _get(session, user_id)
    if user.is_active:
        raise Conflict(f"账号 {user.username} 已经是启用状态")
    user.is_active = True
    throttle.clear_keys(session, account_keys(user))
    audit.record(session, actor, "user.activate", user, detail={"username": user.username})
    return user


def reset_password(session: Session, actor, user_id: int, password: str) -> User:
    """Set a new password chosen by the admin: every session of the user ends, every phone token is
    revoked (whoever held the old password is out everywhere), and the login throttles are cleared."""
    require_role(actor, "admin")
    user = _get(session, user_id)
    if len(password or "") < credentials.MIN_PASSWORD:
        raise ValidationError(f"新密码至少 {credentials.MIN_PASSWORD} 位", errors={"password": "太短"})
    credentials.set_password(session, actor, user, password)
    revoked = tokens.revoke_all(session, user)
    ended = sessions.end_all(session, user, "reset")
    throttle.clear_keys(session, account_keys(user))
    audit.record(session, actor, "session.end", user, detail={"username": user.username, "sessions": ended,
                                                              "revoked_tokens": revoked}, reason="重置密码")
    return user


def account_keys(user: User) -> list[tuple[str, str]]:
    """The throttle keys of a user's account, at both doors."""
    return [(door, user.username.lower()) for door in throttle.DOORS]


def throttle_states(session: Session, actor, users: list[User], now: dt.datetime | None = None) -> dict[int, dict]:
    """Per user on a page: failures counted against the account and until when a login waits."""
    require_role(actor, "admin")
    now = now or utcnow()
    by_name = {u.username.lower(): u.id for u in users}
    if not by_name:
        return {}
    out: dict[int, dict] = {}
    for row in session.scalars(select(LoginThrottle).where(LoginThrottle.scope.in_(throttle.DOORS),
                                                           LoginThrottle.key.in_(list(by_name)))):
        state = out.setdefault(by_name[row.key], {"failures": 0, "until": None})
        state["failures"] += row.failures
        if row.blocked_until and row.blocked_until > now and (state["until"] is None or row.blocked_until > state["until"]):
            state["until"] = row.blocked_until
    return out


def list_throttles(session: Session, actor, *, now: dt.datetime | None = None, limit: int = 200) -> list[LoginThrottle]:
    """Every counter with failures in the quiet period, the most recent first (admins only)."""
    require_role(actor, "admin")
    now = now or utcnow()
    since = now - dt.timedelta(hours=24 * 7)
    return list(session.scalars(select(LoginThrottle).where(LoginThrottle.last_failure_at >= since)
                                .order_by(LoginThrottle.last_failure_at.desc()).limit(limit)))


def clear_throttle(session: Session, actor, throttle_id: int) -> LoginThrottle:
    """An admin forgets one counter: the next attempt under it is not delayed."""
    require_role(actor, "admin")
    row = get_or_raise(session, LoginThrottle, throttle_id, "该登录限制已不存在（可能已自动解除）")
    audit.record(session, actor, "login.clear", row, detail={"scope": row.scope, "key": row.key,
                                                             "failures": row.failures})
    session.delete(row)
    return row


def clear_user_throttles(session: Session, actor, user_id: int) -> User:
    """An admin clears the throttles of one account (both doors)."""
    require_role(actor, "admin")
    user = _get(session, user_id)
    throttle.clear_keys(session, account_keys(user))
    audit.record(session, actor, "login.clear", user, detail={"username": user.username})
    return user

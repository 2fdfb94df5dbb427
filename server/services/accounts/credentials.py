"""Users: creation, password checks with limited attempts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, TooManyRequests, Unauthorized, ValidationError
from server.models.accounts import User
from server.models.registry import Inspector
from server.models.types import utcnow
from server.services.accounts.passwords import check_password, hash_password
from server.services.kernel import audit
from server.vocab import Role

MIN_PASSWORD = 8


def create_user(session: Session, actor, *, username: str, password: str, role: str, display_name: str = "",
                inspector_id: int | None = None, department_id: int | None = None) -> User:
    """Create a user; an inspector's user must be linked to their Inspector record."""
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["username"] = "请填写用户名"
    if Role.by_label(role) is None:
        codes = [r.value for r in Role]
        errors["role"] = f"角色应为 {'、'.join(codes[:-1])} 或 {codes[-1]}"
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = f"密码至少 {MIN_PASSWORD} 位"
    if role == "inspector" and not inspector_id:
        errors["inspector_id"] = "执法检查人员账号必须关联名录库中的人员"
    if role == Role.DEPT_STAFF.value and not department_id:
        errors["department_id"] = "部门工作人员账号必须选择所属部门（只能看到该部门参与的任务和结果）"
    if errors:
        raise ValidationError("用户信息有误：" + "；".join(errors.values()), errors=errors)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"用户名“{username}”已存在")
    if inspector_id is not None:
        inspector = session.get(Inspector, inspector_id)
        if inspector is None:
            raise ValidationError("关联的执法检查人员不存在", errors={"inspector_id": "不存在"})
        department_id = department_id or inspector.department_id
        display_name = display_name or inspector.name
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password), role=Role.by_label(role).value,
                inspector_id=inspector_id, department_id=department_id)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", user, detail={"username": username, "role": user.role})
    return user


def set_password(session: Session, actor, user: User, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位")
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user.set_password", user)


def authenticate(session: Session, username: str, password: str, *, max_failures: int = 5,
                 lock_minutes: int = 15, now: dt.datetime | None = None) -> User:
    """The user for these credentials; counts failures and locks the account after too many."""
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if user is not None and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise TooManyRequests(f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员")
    if user is None or not user.is_active or not check_password(user.password_hash, password or ""):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + dt.timedelta(minutes=lock_minutes)
                user.failed_logins = 0
                audit.record(session, None, "user.locked", user, detail={"minutes": lock_minutes})
        raise Unauthorized("用户名或密码错误")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user

"""Users: creation, passwords, and logins throttled by growing delays (accounts/throttle.py)."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, TooManyRequests, Unauthorized, ValidationError
from server.models.accounts import User
from server.models.registry import Inspector
from server.models.types import utcnow
from server.services.accounts import sessions, throttle
from server.services.accounts.passwords import check_password, hash_password
from server.services.kernel import audit
from server.vocab import Role

MIN_PASSWORD = 8
BAD_CREDENTIALS = "用户名或密码错误"


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


@dataclass(frozen=True)
class Attempt:
    """One login attempt: at which door, with what, from where; `device` is the nonce of this client's
    device cookie when it is valid for this username (it has logged in as them before)."""

    door: str
    username: str
    password: str
    address: str = ""
    device: str | None = None

    @property
    def name(self) -> str:
        return (self.username or "").strip().lower()


@functools.cache
def _dummy_hash() -> str:
    """Checked for unknown names, so they take as long as known ones."""
    return hash_password("spotcheck-no-such-user")


def authenticate(session: Session, attempt: Attempt | str, password: str = "", *,
                 policy: throttle.Policy = throttle.Policy(), now: dt.datetime | None = None) -> User:
    """The user for these credentials (an Attempt, or a username and password at the office door).
    Throttled attempts are refused before the password is looked at (429 saying when to try again);
    failures are counted and audited. The answers never tell a known name from an unknown one."""
    if not isinstance(attempt, Attempt):
        attempt = Attempt("office", attempt, password)
    now = now or utcnow()
    keys = throttle.keys_for(attempt.door, attempt.name, attempt.address, attempt.device)
    _refuse_if_throttled(session, attempt, keys, now)
    user = session.scalar(select(User).where(func.lower(User.username) == attempt.name)) if attempt.name else None
    good = check_password(user.password_hash if user is not None else _dummy_hash(), attempt.password or "")
    if user is None or not user.is_active or not good:
        reason = "unknown_user" if user is None else "inactive" if not user.is_active else "wrong_password"
        _fail(session, policy, attempt, keys, user, reason, now)
    throttle.clear_keys(session, [(door, attempt.name) for door in throttle.DOORS]
                        + ([("device", attempt.device)] if attempt.device else []))
    user.last_login_at = now
    return user


def _detail(attempt: Attempt, **more) -> dict:
    return {"username": (attempt.username or "")[:64], "door": attempt.door,
            "address": throttle.address_key(attempt.address), **more}


def _refuse_if_throttled(session: Session, attempt: Attempt, keys, now: dt.datetime) -> None:
    blocked = throttle.blocking(session, keys, now)
    if not blocked:
        return
    until = max(r.blocked_until for r in blocked)
    for row in throttle.refuse(blocked):  # one audit entry per throttle, not per refused attempt
        audit.record(session, None, "login.throttle", object_type="login_throttles", object_id=row.id,
                     detail=_detail(attempt, scope=row.scope, failures=row.failures, until=until.isoformat()))
    raise TooManyRequests(f"登录尝试次数过多，{throttle.wait_text(until, now)}；如急需登录，请联系系统管理员",
                          code="login_throttled", errors=_retry(until, now))


def _retry(until: dt.datetime, now: dt.datetime) -> dict:
    return {"retry_at": until.isoformat(), "retry_after": max(1, int((until - now).total_seconds() + 0.999))}


def _fail(session: Session, policy, attempt: Attempt, keys, user: User | None, reason: str, now) -> None:
    failures, until = throttle.record_failure(session, policy, keys, username=attempt.username or "",
                                              address=attempt.address, now=now)
    audit.record(session, None, "login.failure", user, object_type="users" if user else "",
                 detail=_detail(attempt, reason=reason, failures=failures))
    if until is None:
        raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
    raise Unauthorized(f"{BAD_CREDENTIALS}；尝试次数过多，{throttle.wait_text(until, now)}", code="bad_credentials",
                       errors=_retry(until, now))


def change_password(session: Session, user: User, current: str, new: str, *,
                    policy: throttle.Policy = throttle.Policy(), address: str = "") -> None:
    """A user changes their own password; the current one is checked (and throttled) like a login, and
    every session of the user ends (the caller opens a fresh one for this browser)."""
    attempt = Attempt("office", user.username, current, address)
    keys = [("office", attempt.name)]
    now = utcnow()
    _refuse_if_throttled(session, attempt, keys, now)
    if not check_password(user.password_hash, current or ""):
        try:
            _fail(session, policy, attempt, keys, user, "change_password", now)
        except Unauthorized as err:
            raise ValidationError(err.message.replace(BAD_CREDENTIALS, "当前密码不正确"),
                                  errors={"current": "不正确"}) from None
    if len(new or "") < MIN_PASSWORD:
        raise ValidationError(f"新密码至少 {MIN_PASSWORD} 位", errors={"password": "太短"})
    if new == current:
        raise ValidationError("新密码不能与当前密码相同", errors={"password": "与当前密码相同"})
    set_password(session, user, user, new)
    sessions.end_all(session, user, "password")

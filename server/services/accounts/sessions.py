"""Office sessions kept server-side: the cookie carries a random id, the row says whether it still counts.

A session ends at logout, when its user's password changes or is reset, when the user is deactivated,
when an admin ends it, and after `idle` without a request (a working day by default). Logout and the
password events end every session of the user, not just the one in this browser.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.models.accounts import User, UserSession
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role

TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at at a minute's precision: not a write per request
END_REASONS = {"logout": "退出登录", "password": "修改密码", "reset": "管理员重置密码", "deactivate": "账号停用",
               "admin": "管理员结束会话", "idle": "长时间未操作"}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def start(session: Session, user: User, *, address: str = "", user_agent: str = "") -> str:
    """Open a session for a user who just logged in; returns the raw id for the cookie."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(token_hash=_hash(raw), user_id=user.id, created_at=now, last_seen_at=now,
                            address=(address or "")[:64], user_agent=(user_agent or "")[:200]))
    session.flush()
    return raw


def resolve(session: Session, raw: str | None, *, idle: dt.timedelta, now: dt.datetime | None = None) -> User | None:
    """The active user of a live session, or None (no such session, ended, idle too long, user inactive);
    an idle session found here is ended on the spot."""
    if not raw:
        return None
    now = now or utcnow()
    row = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                          .where(UserSession.token_hash == _hash(raw))).first()
    if row is None:
        return None
    live, user = row
    if live.ended_at is not None or not user.is_active:
        return None
    if now - live.last_seen_at > idle:
        live.ended_at, live.end_reason = now, "idle"
        return None
    if now - live.last_seen_at >= TOUCH_EVERY:
        live.last_seen_at = now
    return user


def end_all(session: Session, user: User, reason: str) -> int:
    """End every live session of `user`; returns how many."""
    return session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), end_reason=reason)).rowcount


def logout(session: Session, user: User) -> int:
    """Logging out ends every session of the user (a cookie copied earlier stops working too)."""
    ended = end_all(session, user, "logout")
    audit.record(session, user, "session.logout", user, detail={"username": user.username, "sessions": ended})
    return ended


def live_counts(session: Session, user_ids: list[int], idle: dt.timedelta) -> dict[int, int]:
    """How many live (not ended, not idle) sessions each of these users has."""
    if not user_ids:
        return {}
    since = utcnow() - idle
    rows = session.execute(select(UserSession.user_id, func.count(UserSession.id))
                           .where(UserSession.user_id.in_(user_ids), UserSession.ended_at.is_(None),
                                  UserSession.last_seen_at >= since).group_by(UserSession.user_id))
    return dict(rows.all())


def end_user_sessions(session: Session, actor, user_id: int) -> tuple[User, int]:
    """An admin ends every session of a user (they must log in again)."""
    require_role(actor, "admin")
    user = get_or_raise(session, User, user_id, "找不到该用户，可能已被删除")
    ended = end_all(session, user, "admin")
    audit.record(session, actor, "session.end", user, detail={"username": user.username, "sessions": ended})
    return user, ended

"""Device tokens for the API: issue on login, check with sliding expiry, revoke per device."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import PermissionDenied, Unauthorized, ValidationError
from server.models.accounts import ApiToken, User
from server.models.sync import MutationLog, SyncClient
from server.models.types import utcnow
from server.services.accounts import credentials, throttle
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role

# Writing last_used_at on every request would make every pull a write; a minute's precision is enough.
TOUCH_EVERY = dt.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    """The stored form of a token: SHA-256 hex."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, username: str, password: str, device_name: str, ttl_days: int = 30,
                policy: throttle.Policy = throttle.Policy(), address: str = "",
                device: str | None = None) -> tuple[str, ApiToken]:
    """Check the credentials (throttled at the API door, apart from the office's) and issue a token for one
    device; `device` is the nonce of the phone's device cookie when it is valid for this username."""
    device_name = (device_name or "").strip()
    if not device_name or len(device_name) > 100:
        raise ValidationError("请填写设备名称（1–100 个字）", errors={"device_name": "1–100 个字"})
    user = credentials.authenticate(session, credentials.Attempt("api", username, password, address, device),
                                    policy=policy)
    if user.role != "inspector":
        raise PermissionDenied("只有执法检查人员可以登录移动端；科室人员请使用办公页面")
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, token_hash=hash_token(raw), device_name=device_name, created_at=now,
                     last_used_at=now, expires_at=now + dt.timedelta(days=ttl_days))
    session.add(token)
    session.flush()
    audit.record(session, user, "token.issue", token, detail={"device_name": device_name})
    return raw, token


def check_token(session: Session, raw: str | None, *, ttl_days: int = 30,
                now: dt.datetime | None = None) -> tuple[User, ApiToken]:
    """The user and token behind a bearer token; extends its expiry (sliding) when used."""
    if not raw:
        raise Unauthorized("请先登录", code="token_missing")
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None:
        raise Unauthorized("登录信息无效，请重新登录（未同步的记录会保留）", code="token_invalid")
    if token.revoked_at is not None:
        raise Unauthorized("此设备的登录已被注销，请重新登录（未同步的记录会保留）", code="token_revoked")
    if token.expires_at <= now:
        raise Unauthorized("登录已过期（30 天未使用），请重新登录（未同步的记录会保留）", code="token_expired")
    user = token.user
    if not user.is_active or user.role != "inspector":
        raise PermissionDenied("此账号已停用或不是执法检查人员账号，请联系管理员")
    if now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        token.expires_at = now + dt.timedelta(days=ttl_days)
    return user, token


def revoke_token(session: Session, actor, token_id: int, *, reason: str = "") -> ApiToken:
    """Revoke one device's token: an admin for anyone, a user for their own."""
    token = get_or_raise(session, ApiToken, token_id, "找不到该设备令牌")
    if actor is None or (actor.id != token.user_id):
        require_role(actor, "admin")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", token, detail={"device_name": token.device_name,
                                                                    "user": token.user.username}, reason=reason)
    return token


def revoke_all(session: Session, user: User) -> int:
    """Revoke every live token of `user` (password reset, deactivation); returns how many."""
    return session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow())).rowcount


def list_tokens(session: Session, actor) -> list[ApiToken]:
    """Every device token, newest use first (admins only)."""
    require_role(actor, "admin")
    return list(session.scalars(select(ApiToken).order_by(ApiToken.last_used_at.desc(), ApiToken.id.desc())))


def clients_by_token(session: Session, actor, token_ids: list[int]) -> dict[int, list[SyncClient]]:
    """The app installs (sync clients) that each of these tokens has pushed from (admins only)."""
    require_role(actor, "admin")
    out: dict[int, list[SyncClient]] = {}
    for c in session.scalars(select(SyncClient).where(SyncClient.token_id.in_(token_ids))):
        out.setdefault(c.token_id, []).append(c)
    return out


def unfiled_rejections(session: Session, actor, client_ids: list[str], limit: int = 50) -> dict[str, list[MutationLog]]:
    """Per app install: rejected mutations kept on the device's own record because they belong to no
    inspection of the sender (another group's inspection, or none at all), newest first (admins only)."""
    require_role(actor, "admin")
    if not client_ids:
        return {}
    out: dict[str, list[MutationLog]] = {}
    rows = session.scalars(select(MutationLog).where(MutationLog.client_id.in_(client_ids),
                                                     MutationLog.inspection_id.is_(None),
                                                     MutationLog.status == "rejected")
                           .order_by(MutationLog.received_at.desc(), MutationLog.id.desc()).limit(limit * 4))
    for r in rows:
        if len(out.setdefault(r.client_id, [])) < limit:
            out[r.client_id].append(r)
    return out

"""Role and object-level permission checks, called from services."""
from __future__ import annotations

from server.errors import PermissionDenied, Unauthorized

STAFF = ("admin", "office", "leader")


def require_role(actor, *roles: str) -> None:
    """Raise unless `actor` is an active user holding one of `roles`."""
    if actor is None:
        raise Unauthorized("请先登录")
    if not actor.is_active or actor.role not in roles:
        raise PermissionDenied("您没有执行此操作的权限")


def require_staff(actor) -> None:
    require_role(actor, *STAFF)

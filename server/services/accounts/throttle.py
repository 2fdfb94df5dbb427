"""Login throttling after OWASP's guidance: growing delays, never a lock an anonymous caller can set.

Failures are counted under keys: the account at one door (`office` or `api`, so the phone's login and the
office's never slow each other down), the client address across every name (a cap on password spraying),
and, for a browser or phone that has logged in as this user before, its device cookie instead of both
(so an attack from elsewhere never delays the user on their own devices). After `free` failures under a
key each further one makes the next attempt under it wait base × 2^(n − free) seconds, up to the maximum;
a key is forgotten after a quiet period, and a successful login clears the account's and device's keys
(not the address's, or one good account would reset a sprayer's count). Unknown names are counted like
known ones, so the answers are the same.
"""
from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from dataclasses import dataclass

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models.accounts import LoginThrottle
from server.services.kernel.workdays import local_text

DOORS = ("office", "api")
SCOPE_LABELS = {"office": "办公页面账号", "api": "移动端账号", "address": "来源地址", "device": "已登录过的设备"}


@dataclass(frozen=True)
class Policy:
    free_failures: int = 5
    address_free_failures: int = 10
    delay_base_seconds: int = 30
    delay_max_seconds: int = 900
    forget_hours: int = 24

    @classmethod
    def from_config(cls, cfg) -> "Policy":
        return cls(int(cfg["LOGIN_FREE_FAILURES"]), int(cfg["LOGIN_ADDRESS_FREE_FAILURES"]),
                   int(cfg["LOGIN_DELAY_BASE_SECONDS"]), int(cfg["LOGIN_DELAY_MAX_SECONDS"]),
                   int(cfg["LOGIN_FORGET_HOURS"]))

    def delay(self, scope: str, failures: int) -> dt.timedelta:
        """How long the next attempt under a key with this many failures waits."""
        free = self.address_free_failures if scope == "address" else self.free_failures
        if failures < free:
            return dt.timedelta(0)
        return dt.timedelta(seconds=min(self.delay_base_seconds * 2 ** min(failures - free, 30),
                                        self.delay_max_seconds))


def address_key(address: str | None) -> str:
    """The client address as counted: IPv4 as it is, IPv6 by its /64 (one subscriber's whole prefix)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keys_for(door: str, name: str, address: str, device: str | None) -> list[tuple[str, str]]:
    """The (scope, key) pairs one attempt is counted under."""
    if device:
        return [("device", device)]
    return [(door, name[:128]), ("address", address_key(address))]


def blocking(session: Session, keys: list[tuple[str, str]], now: dt.datetime) -> list[LoginThrottle]:
    """The counters among `keys` that make an attempt now wait."""
    rows = _rows(session, keys)
    return [r for r in rows if r.blocked_until is not None and r.blocked_until > now]


def _rows(session: Session, keys: list[tuple[str, str]]) -> list[LoginThrottle]:
    rows = []
    for scope, key in keys:
        row = session.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)
                             .execution_options(populate_existing=True))  # counters change by Core updates
        if row is not None:
            rows.append(row)
    return rows


def refuse(rows: list[LoginThrottle]) -> list[LoginThrottle]:
    """Count an attempt turned away; returns the counters whose block this is the first refusal of."""
    first = [r for r in rows if not r.refused]
    for r in rows:
        r.refused += 1
    return first


@functools.cache
def _upsert(dialect_name: str):
    """One statement per key: add a failure (starting again after the quiet period), return the count."""
    table = LoginThrottle.__table__
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(table).values(
        scope=bindparam("scope"), key=bindparam("key"), failures=1, refused=0, first_failure_at=bindparam("now"),
        last_failure_at=bindparam("now"), last_username=bindparam("username"), last_address=bindparam("address"))
    stale = table.c.last_failure_at < bindparam("forget_before")
    return stmt.on_conflict_do_update(index_elements=[table.c.scope, table.c.key], set_={
        "failures": case((stale, 1), else_=table.c.failures + 1),
        "first_failure_at": case((stale, stmt.excluded.first_failure_at), else_=table.c.first_failure_at),
        "last_failure_at": stmt.excluded.last_failure_at, "last_username": stmt.excluded.last_username,
        "last_address": stmt.excluded.last_address, "refused": 0,
    }).returning(table.c.id, table.c.failures)


_SET_BLOCK = (update(LoginThrottle.__table__).where(LoginThrottle.__table__.c.id == bindparam("row_id"))
              .values(blocked_until=bindparam("until")))


def record_failure(session: Session, policy: Policy, keys: list[tuple[str, str]], *, username: str, address: str,
                   now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Count a failure under every key; returns the largest count and when the next attempt may come
    (None when it may come at once)."""
    stmt = _upsert(session.get_bind().dialect.name)
    forget_before = now - dt.timedelta(hours=policy.forget_hours)
    worst, until = 0, None
    for scope, key in keys:
        row_id, failures = session.execute(stmt, {"scope": scope, "key": key, "now": now, "username": username[:64],
                                                  "address": (address or "")[:64],
                                                  "forget_before": forget_before}).one()
        wait = policy.delay(scope, failures)
        blocked = now + wait if wait else None
        session.execute(_SET_BLOCK, {"row_id": row_id, "until": blocked})
        worst = max(worst, failures)
        if blocked is not None and (until is None or blocked > until):
            until = blocked
    return worst, until


def clear_keys(session: Session, keys: list[tuple[str, str]]) -> None:
    """Forget these counters (a successful login: the account's and the device's)."""
    for scope, key in keys:
        session.execute(delete(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key))


def wait_text(until: dt.datetime, now: dt.datetime) -> str:
    """请于 14:05:30 后再试（约 2 分钟后）"""
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    about = f"{seconds} 秒" if seconds < 90 else f"{(seconds + 59) // 60} 分钟"
    return f"请于 {local_text(until, '%H:%M:%S')} 后再试（约 {about}后）"

"""The pull rule (PROTOCOL.md §2): cursor pages of changed bundles, tombstones and the assigned list."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from sync import PROTOCOL_VERSION
from sync.errors import BAD_CURSOR, SyncError
from sync.store import SyncStore

# Changes committed up to this long after a concurrent pull read past them are still delivered:
# every pull re-reads this window before its cursor (bundles are whole states, so a resend is harmless).
OVERLAP = dt.timedelta(seconds=5)
MAX_LIMIT = 100


def encode_cursor(since: dt.datetime | None, after: tuple | None) -> str:
    """An opaque cursor: the `since` of this pull and, mid-pull, the last (changed_at, id) sent."""
    body = {"v": 1, "s": since.isoformat() if since else None,
            "a": [after[0].isoformat(), after[1]] if after else None}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[dt.datetime | None, tuple | None]:
    """(since, after) from a cursor; raises SyncError(bad_cursor) for anything unreadable."""
    if not cursor:
        return None, None
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        since = dt.datetime.fromisoformat(body["s"]) if body["s"] else None
        after = (dt.datetime.fromisoformat(body["a"][0]), int(body["a"][1])) if body["a"] else None
        if body["v"] != 1 or (since and since.tzinfo is None) or (after and after[0].tzinfo is None):
            raise ValueError
        return since, after
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error, UnicodeDecodeError):
        raise SyncError(*BAD_CURSOR, "同步游标无效，请不带游标重新下载") from None


def parse_limit(raw, default: int = 50) -> int:
    """The page size asked for, clamped to 1..MAX_LIMIT."""
    try:
        return max(1, min(MAX_LIMIT, int(raw)))
    except (TypeError, ValueError):
        return default


def pull_page(store: SyncStore, user, cursor: str | None, limit: int = 50) -> dict:
    """One page of the pull response."""
    since, after = decode_cursor(cursor)
    read_since = since - OVERLAP if since else None
    now = store.now()
    rows = store.changed_inspections(user, read_since, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    page = {"protocol": PROTOCOL_VERSION, "server_time": now.isoformat(),
            "inspections": store.bundles(user, [i for _, i in rows]),
            "tombstones": store.tombstones(user, read_since) if after is None else [],
            "reference": store.reference()}
    if more:
        page["cursor"], page["more"] = encode_cursor(since, rows[-1]), True
    else:
        seen = [c for c, _ in rows] + ([since] if since else [])
        page["cursor"], page["more"] = encode_cursor(max(seen) if seen else now - OVERLAP, None), False
        page["assigned"] = store.assigned_ids(user)
    return page

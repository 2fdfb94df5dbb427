"""Paging and lookups shared by every area: one `Page`, one `paginate`, one `get_or_raise`."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence, TypeVar

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from server.errors import NotFound

PER_PAGE = 50
M = TypeVar("M")


@dataclass
class Page:
    """One page of a list, with what the pager needs."""

    items: Sequence[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def page_number(raw: Any) -> int:
    """A 1-based page number from user input; anything unreadable is page 1."""
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def clamp(raw: Any, total: int, per_page: int) -> int:
    """The page number to show: the one asked for, kept within 1 … the last page."""
    return min(page_number(raw), max(1, math.ceil(total / per_page)))


def paginate(session: Session, stmt, page: Any, per_page: int = PER_PAGE, *, rows: bool = False,
             total: int | None = None) -> Page:
    """Run `stmt` for one page (1-based; out-of-range pages are clamped to the last one).

    `rows=True` keeps whole result rows (for statements that select several columns); otherwise the
    first column of each row is an item. `total` skips the count query when the caller knows it.
    LIMIT and OFFSET are literals (ints computed here): with bound ones SQLite's planner walks the
    ORDER BY index through every row instead of using the filter's index (0.5 s against 30 ms at
    100,000 targets).
    """
    if total is None:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = clamp(page, total, per_page)
    stmt = stmt.limit(literal_column(str(int(per_page)))).offset(literal_column(str(int((page - 1) * per_page))))
    result = session.execute(stmt)
    items = result.all() if rows else result.scalars().all()
    return Page(items, total, page, per_page)


def page_of(items: Sequence[Any], page: Any, per_page: int = PER_PAGE) -> Page:
    """One page of a list already in memory."""
    page = clamp(page, len(items), per_page)
    return Page(items[(page - 1) * per_page: page * per_page], len(items), page, per_page)


def get_or_raise(session: Session, model: type[M], ident: Any, message: str, **options: Any) -> M:
    """The row of `model` with primary key `ident`, or NotFound with `message` (in Chinese, for the user).

    `options` go to `Session.get` (`with_for_update=True`, `options=[selectinload(…)]`, …)."""
    obj = session.get(model, ident, **options) if ident is not None else None
    if obj is None:
        raise NotFound(message)
    return obj

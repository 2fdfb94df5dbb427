"""Form plumbing shared by the office pages: run one service call, commit once, flash; read form fields."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import flash, redirect, request

from server.errors import AppError, PermissionDenied
from server.extensions import db

T = TypeVar("T")


def run(action: Callable[[], T], success: str | Callable[[T], str], back: str | Callable[[T], str], *,
        on_error: Callable[[AppError], object] | None = None, refuse: bool = False):
    """Call one service for a POST: commit, flash `success` and redirect to `back`; on an AppError roll back,
    flash why and redirect to `back` too, or return `on_error(err)` (a form shown again with what was wrong).

    `success` and `back` may be functions of the service's result (say, the new record's page); a `back`
    that is one needs `on_error`, as there is no result to build it from. `refuse`: a route open to more roles
    than may act on a given object answers the service's PermissionDenied with the 403 page, not a flash.
    """
    try:
        result = action()
    except AppError as err:
        db.session.rollback()
        if refuse and isinstance(err, PermissionDenied):
            raise
        flash(err.message, "error")
        if on_error is not None:
            return on_error(err)
        return redirect(back)
    db.session.commit()
    flash(success(result) if callable(success) else success)
    return redirect(back(result) if callable(back) else back)


def field_errors(err: AppError) -> dict:
    """The per-field messages of an error, for a form shown again."""
    return err.errors if isinstance(err.errors, dict) else {}


def form(name: str, default: str = "") -> str:
    """A stripped form value."""
    return (request.form.get(name) or default).strip()


def page_arg() -> int:
    """The ?page= argument, at least 1."""
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def ids(name: str) -> list[int]:
    """A list of integer ids from repeated form fields (invalid ones are dropped)."""
    out = []
    for raw in request.form.getlist(name):
        try:
            out.append(int(raw))
        except ValueError:
            continue
    return out

"""Form plumbing shared by the follow-up office pages: run one service call, commit once, flash."""
from __future__ import annotations

from typing import Callable

from flask import flash, redirect, request

from server.errors import AppError
from server.extensions import db

STAFF_ROLES = ("admin", "office", "leader")


def run(action: Callable[[], object], success: str | Callable[[object], str], back: str):
    """Call a service; on success commit and flash `success`; on an AppError roll back and flash it."""
    try:
        result = action()
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(back)
    db.session.commit()
    flash(success(result) if callable(success) else success)
    return redirect(back)


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

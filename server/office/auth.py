"""Office login and logout."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import login_user, logout_user
from server.office import bp
from server.services.accounts import credentials


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/office") and not target.startswith("//"):
        return target
    return url_for("office.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = credentials.authenticate(
                db.session, request.form.get("username", ""), request.form.get("password", ""),
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        except AppError as err:
            db.session.commit()  # keep the failure count
            error, status = err.message, err.status
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("office/login.html", error=error), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("您已退出登录")
    return redirect(url_for("office.login"))

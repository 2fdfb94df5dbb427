"""Office login (throttled, server-side sessions), logout, and changing one's own password."""
from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import (client_address, device_nonce, login_required, login_user, logout_user, remember_device,
                         safe_next)
from server.office import bp
from server.services.accounts import credentials, sessions, throttle
from server.vocab import Role


def _policy() -> throttle.Policy:
    return throttle.Policy.from_config(current_app.config)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, retry = None, 200, None
    if request.method == "POST":
        username = request.form.get("username", "")
        attempt = credentials.Attempt("office", username, request.form.get("password", ""), client_address(),
                                      device_nonce("office", username))
        try:
            user = credentials.authenticate(db.session, attempt, policy=_policy())
        except AppError as err:
            db.session.commit()  # keep the failure count and its audit entry
            error, status = err.message, err.status
            retry = err.errors.get("retry_after") if isinstance(err.errors, dict) else None
        else:
            login_user(user)
            db.session.commit()
            resp = redirect(safe_next(request.args.get("next"), url_for("office.dashboard")))
            return remember_device(resp, "office", user.username)
    resp = make_response(render_template("office/login.html", error=error), status)
    if retry:
        resp.headers["Retry-After"] = str(retry)
    return resp


@bp.post("/logout")
def logout():
    """Ends every session of this user, so a cookie saved elsewhere stops working too."""
    if g.get("user") is not None:
        sessions.logout(db.session, g.user)
        db.session.commit()
    logout_user()
    flash("您已退出登录")
    return redirect(url_for("office.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required(*(role.value for role in Role))
def change_password():
    """Change one's own password: every session ends, and this browser gets a fresh one."""
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        if form.get("password", "") != form.get("confirm", ""):
            error, status = "两次输入的新密码不一致", 422
        else:
            try:
                credentials.change_password(db.session, g.user, form.get("current", ""), form.get("password", ""),
                                            policy=_policy(), address=client_address())
            except AppError as err:
                db.session.commit()  # nothing is written before the checks pass, except a counted failure
                error, status = err.message, err.status
            else:
                login_user(g.user)
                db.session.commit()
                flash("密码已修改：其他设备上的登录均已退出")
                return redirect(url_for("office.dashboard"))
    return render_template("office/password.html", error=error), status

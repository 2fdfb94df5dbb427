"""Administration pages: users with their sessions and login throttles (admin), and the audit log with
the check of its keyed chain and published heads, and publishing a head (admin, leader)."""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import login_required
from server.models.types import utcnow
from server.office import bp
from server.services.accounts import audit_log as audit_log_service, sessions, throttle, users as users_service
from server.services.kernel import audit_heads

USER_FILTERS = ("q", "role", "status")
AUDIT_FILTERS = ("action", "actor", "object_type", "object_id", "seq")


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = (request.values.get(name) or "").strip()
    return int(raw) if raw.isdigit() else default


def _filters(names) -> dict[str, str]:
    """The non-empty list filters of this request (kept in paging and action links)."""
    return {k: v for k in names if (v := request.args.get(k, "").strip())}


def _users_page(form=None, errors=None, status=200):
    filters = _filters(USER_FILTERS)
    page = users_service.list_users(db.session, g.user, q=filters.get("q", ""), role=filters.get("role", ""),
                                    status=filters.get("status", ""), page=_int_arg("page", 1))
    choices = users_service.form_choices(db.session, g.user)
    idle = dt.timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))
    return render_template("office/users.html", page=page, filters=filters, form=form or {}, errors=errors or {},
                           now_utc=utcnow(), live=sessions.live_counts(db.session, [u.id for u in page.items], idle),
                           throttled=users_service.throttle_states(db.session, g.user, page.items),
                           **choices), status


@bp.get("/users")
@login_required("admin")
def users():
    return _users_page()


@bp.post("/users")
@login_required("admin")
def user_create():
    form = request.form
    try:
        user = users_service.create_user(
            db.session, g.user, username=form.get("username", ""), password=form.get("password", ""),
            role=form.get("role", ""), display_name=form.get("display_name", ""),
            inspector_id=_int_arg("inspector_id"), department_id=_int_arg("department_id"))
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _users_page(form=form, errors=err.errors if isinstance(err.errors, dict) else {}, status=err.status)
    db.session.commit()
    flash(f"已创建用户 {user.username}")
    return redirect(url_for("office.users"))


def _user_action(action, *args, done: str):
    try:
        user = action(db.session, g.user, *args)
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(done.format(user=user))
    return redirect(url_for("office.users", **_filters(USER_FILTERS + ("page",))))


@bp.post("/users/<int:user_id>/deactivate")
@login_required("admin")
def user_deactivate(user_id: int):
    return _user_action(users_service.deactivate_user, user_id, request.form.get("reason", ""),
                        done="已停用账号 {user.username}，其手机上的登录令牌已吊销")


@bp.post("/users/<int:user_id>/activate")
@login_required("admin")
def user_activate(user_id: int):
    return _user_action(users_service.activate_user, user_id, done="已启用账号 {user.username}")


@bp.post("/users/<int:user_id>/password")
@login_required("admin")
def user_reset_password(user_id: int):
    return _user_action(users_service.reset_password, user_id, request.form.get("password", ""),
                        done="已重置 {user.username} 的密码，请当面或电话告知本人")


@bp.post("/users/<int:user_id>/sessions/end")
@login_required("admin")
def user_end_sessions(user_id: int):
    return _user_action(lambda session, actor, uid: sessions.end_user_sessions(session, actor, uid)[0], user_id,
                        done="已结束 {user.username} 的全部登录会话：其浏览器须重新登录")


@bp.post("/users/<int:user_id>/throttles/clear")
@login_required("admin")
def user_clear_throttles(user_id: int):
    return _user_action(users_service.clear_user_throttles, user_id, done="已清除 {user.username} 的登录限制")


@bp.get("/login-throttles")
@login_required("admin")
def login_throttles():
    """Recent failed logins by account, address and device, with who is waiting until when."""
    return render_template("office/login_throttles.html", rows=users_service.list_throttles(db.session, g.user),
                           now_utc=utcnow(), scope_labels=throttle.SCOPE_LABELS)


@bp.post("/login-throttles/<int:throttle_id>/clear")
@login_required("admin")
def login_throttle_clear(throttle_id: int):
    try:
        row = users_service.clear_throttle(db.session, g.user, throttle_id)
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(f"已清除对“{row.key}”的登录限制")
    return redirect(url_for("office.login_throttles"))


def _audit_page(check=None):
    filters = _filters(AUDIT_FILTERS)
    page = audit_log_service.list_entries(
        db.session, g.user, action=filters.get("action", ""), actor_name=filters.get("actor", ""),
        object_type=filters.get("object_type", ""), object_id=filters.get("object_id", ""), seq=_int_arg("seq"),
        page=_int_arg("page", 1))
    latest = audit_heads.latest(db.session)
    overdue = latest is None or utcnow() - latest.signed_at > dt.timedelta(hours=24)
    return render_template("office/audit_log.html", page=page, filters=filters, check=check,
                           latest_head=latest, head_overdue=overdue and page.total > 0,
                           action_label=audit_log_service.action_label, detail_text=audit_log_service.detail_text,
                           object_labels=audit_log_service.OBJECT_LABELS,
                           **audit_log_service.filter_choices(db.session, g.user))


@bp.get("/audit-log")
@login_required("admin", "leader")
def audit_log():
    return _audit_page()


@bp.post("/audit-log/verify")
@login_required("admin", "leader")
def audit_log_verify():
    cfg = current_app.config
    check = audit_log_service.check_chain(db.session, g.user, cfg["AUDIT_CHAIN_KEY"], cfg["AUDIT_HEAD_KEY"].public_key())
    return _audit_page(check=check)


@bp.post("/audit-log/publish-head")
@login_required("admin", "leader")
def audit_log_publish_head():
    """Publish a signed head now (the daily `spotcheck audit-publish-head` does it too)."""
    head = audit_log_service.publish_head(db.session, g.user, current_app.config["AUDIT_HEAD_KEY"])
    db.session.commit()
    flash(f"已发布第 {head.number} 号链头（覆盖前 {head.seq} 条日志），公开门户可见")
    return redirect(url_for("office.audit_log"))

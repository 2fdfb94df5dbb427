"""Administration pages: users (admin) and the audit log with its hash-chain check (admin, leader)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import login_required
from server.models.types import utcnow
from server.office import bp
from server.services.accounts import audit_log as audit_log_service, users as users_service

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
    return render_template("office/users.html", page=page, filters=filters, form=form or {}, errors=errors or {},
                           now_utc=utcnow(), **choices), status


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


def _audit_page(check=None):
    filters = _filters(AUDIT_FILTERS)
    page = audit_log_service.list_entries(
        db.session, g.user, action=filters.get("action", ""), actor_name=filters.get("actor", ""),
        object_type=filters.get("object_type", ""), object_id=filters.get("object_id", ""), seq=_int_arg("seq"),
        page=_int_arg("page", 1))
    return render_template("office/audit_log.html", page=page, filters=filters, check=check,
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
    return _audit_page(check=audit_log_service.check_chain(db.session, g.user))

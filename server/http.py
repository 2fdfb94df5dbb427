"""HTTP plumbing: error rendering (JSON under /api/, HTML elsewhere), the current user, auth decorators."""
from __future__ import annotations

import datetime as dt
import functools
import json

from flask import Flask, g, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError as MarshmallowValidationError
from werkzeug.exceptions import HTTPException

from server.errors import AppError
from server.extensions import db
from server.services.kernel.workdays import local_text

HTTP_MESSAGES = {
    400: "请求有误", 401: "请先登录", 403: "您没有权限访问此页面", 404: "找不到该页面或记录",
    405: "不支持此请求方法", 413: "上传内容过大", 422: "提交的数据有误", 429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后再试；如持续出现请联系管理员",
}


def wants_json() -> bool:
    """Under /api/ every error is the JSON envelope (PROTOCOL.md §0), never an HTML page."""
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, errors=None):
    """One error envelope: JSON {status, code, message, errors} under /api/, an HTML page elsewhere."""
    if wants_json():
        resp = jsonify({"status": status, "code": code, "message": message, "errors": errors or {}})
        resp.status_code = status
        return resp
    return render_template("errors/error.html", status=status, code=code, message=message,
                           errors=errors or {}), status


def init_app(app: Flask) -> None:
    @app.before_request
    def load_user():
        g.user = None
        uid = session.get("uid")
        if uid is not None:
            from server.models.accounts import User
            user = db.session.get(User, uid)
            if user is not None and user.is_active and session.get("pwv") == user.password_hash[-12:]:
                g.user = user

    @app.errorhandler(AppError)
    def handle_app_error(err: AppError):
        db.session.rollback()
        return error_response(err.status, err.code, err.message, err.errors)

    @app.errorhandler(MarshmallowValidationError)
    def handle_schema_error(err):
        db.session.rollback()
        return error_response(422, "validation_error", "提交的数据有误，请按提示修改", err.messages)

    @app.errorhandler(CSRFError)
    def handle_csrf(err):
        return error_response(400, "csrf_failed", "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试")

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        status = err.code or 500
        errors = None
        data = getattr(err, "data", None)  # webargs / flask-smorest validation errors
        if isinstance(data, dict) and "messages" in data:
            errors = data["messages"]
        message = HTTP_MESSAGES.get(status, err.name)
        if status == 422:
            message = "提交的数据有误，请按提示修改"
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 422: "validation_error",
                401: "unauthorized", 403: "forbidden"}.get(status, "http_error")
        return error_response(status, code, message, errors)

    @app.errorhandler(Exception)
    def handle_unexpected(err):
        app.logger.exception("unhandled error")
        try:
            db.session.rollback()
        except Exception:  # a dead database must not turn the answer into the framework's HTML page
            app.logger.exception("rollback after an unhandled error failed")
        return error_response(500, "internal_error", HTTP_MESSAGES[500])

    @app.context_processor
    def inject_user():
        return {"current_user": g.get("user")}

    from server import vocab

    app.jinja_env.globals["vocab"] = vocab

    @app.template_filter("local_dt")
    def local_dt(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time (or ISO string) shown in 北京时间: {{ x.at|local_dt('%Y-%m-%d %H:%M:%S') }}."""
        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return local_text(value, fmt)

    @app.template_filter("json_text")
    def json_text(value, indent: int | None = 1) -> str:
        """Kept data as JSON a reader can read: Chinese as itself, not \\uXXXX (tojson's escaping is for
        scripts). Plain text, so autoescaping makes it safe in HTML."""
        return json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=True, default=str)

    def url_if(endpoint, **values):
        """url_for, or None when that page does not exist (yet)."""
        return url_for(endpoint, **values) if endpoint and endpoint in app.view_functions else None

    app.jinja_env.globals["url_if"] = url_if

    @app.template_filter("label")
    def label(code, enum_name: str):
        """The 中文 label of a vocabulary code: {{ t.category|label('TargetCategory') }}."""
        member = getattr(vocab, enum_name).by_label(code) if code else None
        return member.label if member else (code or "")


def login_user(user) -> None:
    session.clear()
    session["uid"] = user.id
    session["pwv"] = user.password_hash[-12:]  # a password change ends other sessions
    session.permanent = True


def logout_user() -> None:
    session.clear()


def login_required(*roles: str):
    """Office views: redirect to login when anonymous; 403 when the role does not fit."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return redirect(url_for("office.login", next=request.full_path))
            if roles and user.role not in roles:
                return error_response(403, "forbidden", "您的角色无权访问此页面")
            return view(*args, **kwargs)
        return wrapped
    return decorator

"""HTTP plumbing: error rendering (JSON under /api/, HTML elsewhere), security headers, the current user
from the server-side session, device cookies for login throttling, auth decorators."""
from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError as MarshmallowValidationError
from werkzeug.exceptions import HTTPException

from server.errors import AppError
from server.extensions import db
from server.services.accounts import sessions as session_store
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
    else:
        shown = {k: v for k, v in (errors or {}).items() if k not in ("retry_at", "retry_after")} \
            if isinstance(errors, dict) else errors
        resp = current_app.make_response((render_template(
            "errors/error.html", status=status, code=code, message=message, errors=shown or {},
            back=_same_site_referrer()), status))
    if isinstance(errors, dict) and errors.get("retry_after"):
        resp.headers["Retry-After"] = str(errors["retry_after"])
    return resp


def _same_site_referrer() -> str | None:
    """Where 返回上一页 goes: the referring page when it is one of ours (no script on error pages)."""
    ref = urlsplit(request.referrer or "")
    if ref.netloc == request.host and ref.path.startswith("/"):
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return None


# Office and portal pages use no script at all, and style only from our own sheet (plus style attributes).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURED_PREFIXES = ("/office", "/public", "/api/")


def security_headers(resp):
    """CSP, framing, sniffing and referrer rules on the office, the portal and the API (the PWA sets its own)."""
    path = request.path
    if not (path == "/" or path.startswith(SECURED_PREFIXES)):
        return resp
    headers = resp.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin" if path.startswith("/office") else "strict-origin-when-cross-origin")
    if resp.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
    elif resp.mimetype == "application/json" or path.startswith("/api/"):
        headers.setdefault("Content-Security-Policy", API_CSP)
    return resp


def init_app(app: Flask) -> None:
    @app.before_request
    def load_user():
        g.user = None
        raw = session.get("sid")
        if raw:
            idle = dt.timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))
            g.user = session_store.resolve(db.session, raw, idle=idle)
            if g.user is None:
                session.pop("sid", None)
            if db.session.dirty:
                db.session.commit()  # last_seen_at (at most once a minute), or an idle session ended

    app.after_request(security_headers)
    _error_handlers(app)
    _template_helpers(app)


def _error_handlers(app: Flask) -> None:
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


def _template_helpers(app: Flask) -> None:
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


def client_address() -> str:
    """The client's address (behind TRUSTED_PROXY_COUNT proxies, ProxyFix has put it in remote_addr)."""
    return (request.remote_addr or "")[:64]


def login_user(user) -> None:
    """Start a server-side session for `user` in a fresh cookie (no session id survives a login)."""
    raw = session_store.start(db.session, user, address=client_address(),
                              user_agent=request.headers.get("User-Agent", ""))
    session.clear()
    session["sid"] = raw
    session.permanent = True  # the cookie lives as long as an idle session (SESSION_IDLE_MINUTES)


def logout_user() -> None:
    session.clear()


# A device cookie says "this browser (or phone) has logged in as these users before" (OWASP's device
# cookies): an attempt carrying one is throttled on its own counter, so attacks from elsewhere do not
# delay the user on their own devices. One per door, scoped to that door's login path.
DEVICE_COOKIES = {"office": ("spotcheck_device", "/office/login"), "api": ("spotcheck_device", "/api/v1/auth")}
_DEVICE_SALT = "spotcheck-login-device"
_DEVICE_MAX = 5  # names remembered per device (a shared office computer)


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def _device_entries(door: str) -> list[list[str]]:
    raw = request.cookies.get(DEVICE_COOKIES[door][0])
    if not raw:
        return []
    try:
        data = _device_serializer().loads(raw)
    except BadSignature:
        return []
    entries = data.get("d") if isinstance(data, dict) and data.get("door") == door else None
    return [e for e in entries or [] if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)]


def device_nonce(door: str, username: str) -> str | None:
    """The nonce this client's device cookie holds for `username`, if it has one."""
    name = (username or "").strip().lower()
    return next((nonce for who, nonce in _device_entries(door) if who == name), None)


def remember_device(resp, door: str, username: str):
    """Set (or refresh) the device cookie after a successful login as `username`."""
    name = username.strip().lower()
    entries = [e for e in _device_entries(door) if e[0] != name]
    nonce = device_nonce(door, name) or secrets.token_urlsafe(16)
    entries = ([[name, nonce]] + entries)[:_DEVICE_MAX]
    cookie, path = DEVICE_COOKIES[door]
    cfg = current_app.config
    resp.set_cookie(cookie, _device_serializer().dumps({"door": door, "d": entries}),
                    max_age=int(cfg["LOGIN_DEVICE_COOKIE_DAYS"]) * 86400, path=path, httponly=True,
                    secure=bool(cfg.get("SESSION_COOKIE_SECURE")), samesite="Strict")
    return resp


def safe_next(target: str | None, default: str) -> str:
    """A `next=` that stays on the office: a path under /office, no scheme or host, no control characters."""
    if not target or any(ord(c) < 32 or ord(c) == 127 for c in target) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/office") or target.startswith("//"):
        return default
    return target


# Roles that have office pages. A role not listed here (a new one, such as dept_staff before its pages
# exist) gets no page at all from login_required() until a route names it: fail closed.
PAGE_ROLES = ("admin", "office", "leader", "inspector", "dept_staff")  # every role with office pages; the services scope dept_staff


def login_required(*roles):
    """Office views: redirect to login when anonymous; 403 when the role does not fit. No roles: any role
    with office pages (PAGE_ROLES); one callable: the roles it returns at request time."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return redirect(url_for("office.login", next=request.full_path))
            allowed = roles[0]() if len(roles) == 1 and callable(roles[0]) else roles or PAGE_ROLES
            if user.role not in allowed:
                return error_response(403, "forbidden", "您的角色无权访问此页面")
            return view(*args, **kwargs)
        wrapped.page_roles = roles[0] if len(roles) == 1 and callable(roles[0]) else (roles or PAGE_ROLES)
        return wrapped
    return decorator


def may_open(view, role: str) -> bool:
    """Whether `role` passes the login_required() of `view` (the navigation shows only such pages)."""
    roles = getattr(view, "page_roles", None)
    if roles is None:
        return False  # not an office page guarded by login_required: never offered in the navigation
    return role in (roles() if callable(roles) else roles)

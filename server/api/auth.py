"""Device login for the API (bearer tokens) and the `token_required` decorator other API views use."""
from __future__ import annotations

import functools
import gzip
import json

from flask import Response, current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema

from server.errors import AppError
from server.extensions import db
from server.models.types import utcnow
from server.schemas.auth import TokenRequestSchema, TokenSchema
from server.http import client_address, device_nonce, remember_device
from server.services.accounts import throttle, tokens

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="设备登录")


def json_response(body, status: int = 200, *, compress: bool = False) -> Response:
    """Compact UTF-8 JSON (Chinese unescaped); gzip when asked and the client accepts it."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    resp = Response(data, status=status, mimetype="application/json")
    if compress and "gzip" in request.accept_encodings and len(data) > 1024:
        resp.set_data(gzip.compress(data, compresslevel=6))
        resp.headers["Content-Encoding"] = "gzip"
        resp.vary.add("Accept-Encoding")
    return resp


def schema_response(schema: Schema, obj, status: int = 200) -> Response:
    """`obj` dumped by the schema its view declares with @bp.response, sent as json_response.

    flask-smorest would send the dump with Flask's jsonify (sorted keys, ASCII escapes, a newline);
    the phones' golden examples and receipts are compact UTF-8 in the schema's field order."""
    return json_response(schema.dump(obj), status)


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def token_required(view):
    """API views: authenticate the bearer token (an active inspector) into g.api_user and g.api_token."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user, token = tokens.check_token(db.session, bearer_token(), ttl_days=current_app.config["TOKEN_TTL_DAYS"])
        g.api_user, g.api_token = user, token
        return view(*args, **kwargs)
    return wrapped


@bp.post("/token")
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
def issue(data):
    """Exchange a username and password for a device token (inspectors only); throttled by growing delays
    (429 `login_throttled` with Retry-After), counted apart from the office's login."""
    cfg = current_app.config
    try:
        raw, token = tokens.issue_token(db.session, username=data["username"], password=data["password"],
                                        device_name=data["device_name"], ttl_days=cfg["TOKEN_TTL_DAYS"],
                                        policy=throttle.Policy.from_config(cfg), address=client_address(),
                                        device=device_nonce("api", data["username"]))
    except AppError:
        db.session.commit()  # keep the failure count and its audit entry, as the office login does
        raise
    db.session.commit()
    resp = schema_response(TokenSchema(), {"token": raw, "token_type": "Bearer", "expires_at": token.expires_at,
                                           "server_time": utcnow(), "user": token.user}, 201)
    return remember_device(resp, "api", token.user.username)


@bp.delete("/token")
@bp.response(204)
@token_required
def revoke():
    """Log this device out: its token stops working at once."""
    tokens.revoke_token(db.session, g.api_user, g.api_token.id, reason="设备退出登录")
    db.session.commit()
    return Response(status=204)

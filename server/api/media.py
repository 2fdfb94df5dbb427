"""Media by SHA-256: PUT (checked, content-addressed, idempotent), HEAD, and GET of a file or its thumbnail
for the group of an inspection that uses it."""
from __future__ import annotations

from flask import Response, current_app, g, request
from flask_smorest import Blueprint

from server import media_http
from server.api.auth import json_response, token_required
from server.errors import NotFound
from server.extensions import db
from server.models.fieldwork import MediaFile
from server.services.fieldwork import media_store
from server.services.fieldwork.media_rules import MediaLimits

bp = Blueprint("media", __name__, url_prefix="/api/v1/media", description="照片与签名文件")


def _read_body(max_bytes: int) -> bytes:
    length = request.content_length
    if length is not None and length > max_bytes:
        raise media_store.too_large(length, max_bytes)
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise media_store.too_large(len(data), max_bytes)
    return data


@bp.route("/<sha256>", methods=["PUT"])
@token_required
def put(sha256):
    """Store an image named by its SHA-256 (201 new, 200 already held); `?kind=photo|signature` adds that
    kind's minimum (a photo's size, a signature's ink)."""
    cfg = current_app.config
    media_store.check_hash_format(sha256)
    data = _read_body(cfg["MEDIA_MAX_BYTES"])
    row, created = media_store.ingest(db.session, g.api_user, media_store.store_for(cfg), sha256, data,
                                      max_bytes=cfg["MEDIA_MAX_BYTES"], max_pixels=cfg["MEDIA_MAX_PIXELS"],
                                      kind=request.args.get("kind") or None, limits=MediaLimits.from_config(cfg))
    body = {"sha256": row.sha256, "bytes": row.byte_size, "width": row.width, "height": row.height,
            "format": row.format, "created": created}
    db.session.commit()
    return json_response(body, 201 if created else 200)


NOT_HELD = "服务器上还没有这个文件（可能尚未上传），请稍后同步后再看"


@bp.route("/<sha256>", methods=["HEAD"])
@token_required
def head(sha256):
    """200 when the server holds the file, 404 (the API's JSON error, without its body) when not."""
    media_store.check_hash_format(sha256)
    row = db.session.get(MediaFile, sha256)
    db.session.commit()  # the token's sliding expiry
    if row is None or not media_store.store_for(current_app.config).has(sha256):
        raise NotFound(NOT_HELD)
    resp = Response(status=200)
    resp.headers["Content-Length"] = str(row.byte_size)
    resp.headers["Content-Type"] = media_http.MIME[row.format]
    return resp


@bp.route("/<sha256>", methods=["GET"])
@token_required
def download(sha256):
    """The file, for a member of the group of an inspection that uses it (immutable: cache it for good)."""
    return _send(sha256, thumb=False)


@bp.route("/<sha256>/thumb", methods=["GET"])
@token_required
def download_thumb(sha256):
    """The file's JPEG thumbnail (320 px on its long side), on the same terms as the file."""
    return _send(sha256, thumb=True)


def _send(sha256: str, *, thumb: bool):
    # Held before readable: whether the server holds a hash is no secret (HEAD tells any inspector).
    media_store.check_hash_format(sha256)
    row = media_http.held(db.session, current_app.config, sha256, thumb=thumb)
    if row is None:
        raise NotFound(NOT_HELD)
    media_store.require_readable(db.session, g.api_user, sha256)
    db.session.commit()  # the token's sliding expiry
    return media_http.send(current_app.config, row, thumb=thumb)

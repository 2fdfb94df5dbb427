"""Serving stored media over HTTP, shared by the API and the office: which files are held, and the
immutable, no-sniff response that sends one (or its thumbnail)."""
from __future__ import annotations

from flask import Response, send_file
from sqlalchemy.orm import Session

from server.models.fieldwork import MediaFile
from server.services.fieldwork import media_store

MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "PDF": "application/pdf"}
THUMB_MIME = "image/jpeg"  # thumbnails are always made as JPEG
CACHE_CONTROL = "private, max-age=31536000, immutable"  # content-addressed: a name never changes its bytes


def held(session: Session, config, sha256: str, *, thumb: bool = False) -> MediaFile | None:
    """The media row when the server holds the file (or its thumbnail), else None."""
    row = session.get(MediaFile, sha256)
    if row is None or not media_store.store_for(config).has(sha256, thumb=thumb):
        return None
    return row


def send(config, row: MediaFile, *, thumb: bool = False) -> Response:
    """The stored file (or its thumbnail) with its MIME type, cached for a year and never sniffed."""
    store = media_store.store_for(config)
    mime = THUMB_MIME if thumb else MIME[row.format]
    resp = send_file(store.path(row.sha256, thumb=thumb), mimetype=mime, max_age=86400 * 365)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp

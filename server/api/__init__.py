"""The JSON API for the PWA and other clients, under /api/v1 (OpenAPI at /api/v1/openapi.json)."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from server.extensions import csrf


def register(app: Flask, api: Api) -> None:
    """Register every API blueprint; the API authenticates with bearer tokens, so no CSRF."""
    from server.api import auth, documents, inspections, media, meta, sync

    for module in (meta, auth, sync, media, inspections, documents):
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)

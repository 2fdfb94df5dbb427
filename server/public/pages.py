"""Public pages: the item list and the portal's front page."""
from __future__ import annotations

from flask import render_template

from server.extensions import db
from server.public import bp
from server.services.registry import search


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/items")
def items():
    return render_template("public/items.html", items=search.published_items(db.session))

"""Public pages: the item list and the portal's front page."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.models.registry import InspectionItem
from server.public import bp


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/items")
def items():
    rows = db.session.execute(
        select(InspectionItem).where(InspectionItem.status == "published")
        .options(selectinload(InspectionItem.checkpoints)).order_by(InspectionItem.code)).scalars().all()
    return render_template("public/items.html", items=rows)

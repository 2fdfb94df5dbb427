"""工作台: the first page after login."""
from __future__ import annotations

from flask import g, render_template

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.services import dashboard as dashboard_service


@bp.get("/")
@login_required()
def dashboard():
    return render_template("office/dashboard.html", panels=dashboard_service.panels(db.session, g.user))

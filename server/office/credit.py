"""信用记录: create from an approved inspection, 信用修复, the list of records and risk-level changes,
and the partial the target detail page includes (`office/_target_credit.html`)."""
from __future__ import annotations

import datetime as dt

from flask import flash, g, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import login_required, safe_next
from server.office import bp
from server.office.forms import form, page_arg
from server.services.followup import credit
from server.services.kernel.permissions import STAFF
from server.services.kernel.workdays import today


def _apply(action, back: str):
    """Run a credit change; flash the risk-level warning it may raise."""
    try:
        record, warning = action()
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(back)
    db.session.commit()
    flash("信用记录已保存")
    if warning:
        flash(warning, "warning")
    return redirect(back)


@bp.post("/review/<int:inspection_id>/credit")
@login_required(*STAFF)
def credit_create(inspection_id: int):
    return _apply(lambda: credit.create_record(
        db.session, g.user, inspection_id, kind=form("kind"), severity=form("severity"),
        description=form("description"), legal_basis=form("legal_basis"), effective_from=form("effective_from"),
        effective_to=form("effective_to"), publish=bool(form("publish"))),
        url_for("office.review_detail", inspection_id=inspection_id))


@bp.post("/credit/<int:record_id>/repair")
@login_required(*STAFF)
def credit_repair(record_id: int):
    back = safe_next(request.form.get("back"), url_for("office.credit_records"))
    return _apply(lambda: credit.repair(db.session, g.user, record_id, form("reason")), back)


@bp.get("/credit")
@login_required(*STAFF)
def credit_records():
    return render_template("office/credit_records.html", page=credit.records(db.session, g.user, page=page_arg()),
                           changes=credit.recent_changes(db.session, days=90, limit=50), kinds=credit.KINDS,
                           severities=credit.SEVERITIES, level_label=credit.level_label, today=today())


@bp.app_template_global("target_credit")
def target_credit(target) -> dict:
    """Credit records and risk-level history of a target, for office/_target_credit.html."""
    data = credit.target_credit(db.session, target.id)
    return {**data, "kinds": credit.KINDS, "severities": credit.SEVERITIES, "level_label": credit.level_label,
            "can_repair": g.get("user") is not None and g.user.role in STAFF}


@bp.app_template_global("today_iso")
def today_iso(years: int = 0) -> str:
    """Today (Beijing time) as YYYY-MM-DD, optionally `years` later (for default effective periods)."""
    day = today()
    if years:
        try:
            day = day.replace(year=day.year + years)
        except ValueError:  # 29 February
            day = day.replace(year=day.year + years, day=28)
    return day.isoformat() if isinstance(day, dt.date) else str(day)

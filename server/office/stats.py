"""统计分析: the statistics page, the records behind each figure, the workbook and the two reports."""
from __future__ import annotations

import io

from flask import current_app, g, render_template, request, send_file, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.stats_cells import Cells
from server.services.followup import credit, publication, referrals
from server.services.kernel.paging import page_number
from server.services.stats import drill, filters, reports, workbook
from server.services.stats import report as stats_report

STAFF = ("admin", "office", "leader")
WORKERS = 2  # the report's statements run on two connections at once (services/stats/report.py)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> filters.Filters:
    return filters.parse(db.session, request.args)


def _report_filters() -> filters.Filters:
    """The request's filters, once the rollup holds every committed write: refreshed and committed here,
    so that the report's other connections read it (the records lists read the inspections, not the rollup)."""
    if stats_report.refresh(db.session, g.user):
        db.session.commit()
    return _filters()


@bp.get("/stats")
@login_required(*STAFF)
def stats():
    f = _report_filters()
    return render_template("office/stats.html", report=stats_report.build(db.session, g.user, f, workers=WORKERS), f=f,
                           options=filters.options(db.session, f), cells=Cells(url_for("office.stats_records"), f))


@bp.get("/stats/records")
@login_required(*STAFF)
def stats_records():
    f = _filters()
    found = drill.records(db.session, g.user, f, request.args, page_number(request.args.get("page")))
    return render_template("office/stats_records.html", drill=found, f=f, args=request.args.to_dict(),
                           kinds=referrals.KINDS, referral_status=referrals.status_label, severities=credit.SEVERITIES,
                           publication_status=publication.STATUS_LABELS)


@bp.get("/stats/export.xlsx")
@login_required(*STAFF)
def stats_export():
    f = _report_filters()
    data, name = workbook.export(db.session, g.user, f, current_app.config.get("BUREAU_NAME"), workers=WORKERS)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/stats/annual.pdf")
@login_required(*STAFF)
def stats_annual():
    doc = reports.annual(db.session, g.user, _report_filters(), reports.settings_from(current_app.config),
                         workers=WORKERS)
    return send_file(io.BytesIO(doc.data), mimetype="application/pdf", download_name=doc.filename)


@bp.get("/stats/monthly.pdf")
@login_required(*STAFF)
def stats_monthly():
    doc = reports.monthly(db.session, g.user, _report_filters(), reports.settings_from(current_app.config),
                          workers=WORKERS)
    return send_file(io.BytesIO(doc.data), mimetype="application/pdf", download_name=doc.filename)

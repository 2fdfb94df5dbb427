"""Office: inspections with their field records, conflicts, late evidence and sync history; media by hash."""
from __future__ import annotations

from flask import abort, current_app, g, render_template, request

from server import media_http
from server.extensions import db
from server.http import login_required
from server.office import bp
from server.services.fieldwork import media_store, mutations, quality_flags, records
from server.services.fieldwork.inspection_list import FILTER_LABELS, list_inspections
from server.services.kernel.permissions import READERS
from server.services.kernel.workdays import today
from sync.messages import MUTATION_LABELS, STATUS_LABELS


@bp.app_context_processor
def inject_fieldwork():
    def fieldwork_view(inspection):
        """The field-work view of an inspection, for office/_inspection_record.html and _sync_history.html."""
        return records.detail(db.session, inspection)
    return {"fieldwork_view": fieldwork_view, "inspection_statuses": STATUS_LABELS, "mutation_labels": MUTATION_LABELS}


@bp.get("/inspections")
@login_required(*READERS)
def inspections():
    args = request.args
    page, late = list_inspections(db.session, g.user, status=args.get("status"),
                                  conflicts=bool(args.get("conflicts")), text=args.get("q", ""),
                                  page=args.get("page"), per_page=current_app.config["PAGE_SIZE"])
    return render_template("office/inspections.html", rows=page.items, late=late, total=page.total,
                           page_no=page.page, pages=page.pages, args=args, statuses=STATUS_LABELS,
                           filters=FILTER_LABELS, today=today())


@bp.get("/inspections/<int:inspection_id>")
@login_required()
def inspection_detail(inspection_id):
    insp = mutations.get_visible(db.session, g.user, inspection_id)
    return render_template("office/inspection_detail.html", inspection=insp, statuses=STATUS_LABELS,
                           quality_flags=quality_flags.for_inspection(db.session, insp),
                           flag_labels=quality_flags.KINDS)


@bp.get("/media/<sha256>")
@login_required()
def media_file(sha256):
    return _send(sha256, thumb=False)


@bp.get("/media/<sha256>/thumb")
@login_required()
def media_thumb(sha256):
    return _send(sha256, thumb=True)


def _send(sha256: str, *, thumb: bool):
    media_store.check_hash_format(sha256)
    media_store.require_readable(db.session, g.user, sha256)
    row = media_http.held(db.session, current_app.config, sha256, thumb=thumb)
    if row is None:
        abort(404)
    return media_http.send(current_app.config, row, thumb=thumb)

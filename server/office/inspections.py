"""Office: inspections with their field records, conflicts, late evidence and sync history; media by hash."""
from __future__ import annotations

from flask import abort, current_app, g, render_template, request
from sqlalchemy import func, or_, select

from server import media_http
from server.extensions import db
from server.http import login_required
from server.models.fieldwork import LateEvidence
from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Target
from server.office import bp
from server.services.fieldwork import media_store, mutations, records
from sync.messages import MUTATION_LABELS, STATUS_LABELS

STAFF = ("admin", "office", "leader")


@bp.app_context_processor
def inject_fieldwork():
    def fieldwork_view(inspection):
        """The field-work view of an inspection, for office/_inspection_record.html and _sync_history.html."""
        return records.detail(db.session, inspection)
    return {"fieldwork_view": fieldwork_view, "inspection_statuses": STATUS_LABELS, "mutation_labels": MUTATION_LABELS}


@bp.get("/inspections")
@login_required(*STAFF)
def inspections():
    args = request.args
    q = select(Inspection).join(Target, Inspection.target_id == Target.id).join(Task, Inspection.task_id == Task.id)
    if args.get("status") in STATUS_LABELS:
        q = q.where(Inspection.status == args["status"])
    if args.get("conflicts"):
        q = q.where(Inspection.has_conflicts.is_(True))
    if text := args.get("q", "").strip():
        like = f"%{text}%"
        q = q.where(or_(Target.name.like(like), Target.uscc.like(like), Task.code.like(like)))
    size = current_app.config["PAGE_SIZE"]
    page_no = max(1, args.get("page", 1, type=int))
    total = db.session.scalar(select(func.count()).select_from(q.subquery()))
    rows = db.session.scalars(q.order_by(Inspection.changed_at.desc(), Inspection.id.desc())
                              .offset((page_no - 1) * size).limit(size)).all()
    late = dict(db.session.execute(select(LateEvidence.inspection_id, func.count()).where(
        LateEvidence.inspection_id.in_([r.id for r in rows])).group_by(LateEvidence.inspection_id)).all())
    return render_template("office/inspections.html", rows=rows, late=late, total=total, page_no=page_no,
                           pages=max(1, -(-total // size)), args=args, statuses=STATUS_LABELS)


@bp.get("/inspections/<int:inspection_id>")
@login_required()
def inspection_detail(inspection_id):
    insp = mutations.get_visible(db.session, g.user, inspection_id)
    return render_template("office/inspection_detail.html", inspection=insp, statuses=STATUS_LABELS)


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

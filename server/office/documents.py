"""Document downloads for the office: 笔录, 告知书, task zips, the plan for 备案, referrals, result lists."""
from __future__ import annotations

import io

from flask import current_app, g, render_template, request, send_file

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.services.documents import lists, render
from sync.messages import STATUS_LABELS


def settings() -> render.Settings:
    return render.settings_from(current_app.config)


def send(doc: render.Document, *, attachment: bool = False):
    """Send a document; PDFs open in the browser (to print), zips download; ETag is the content key."""
    mimetype = "application/zip" if doc.filename.endswith(".zip") else "application/pdf"
    resp = send_file(io.BytesIO(doc.data), mimetype=mimetype, download_name=doc.filename,
                     as_attachment=attachment or mimetype == "application/zip", etag=doc.key, max_age=0,
                     conditional=True)
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/inspections/<int:inspection_id>/record.pdf")
@login_required()
def document_record(inspection_id: int):
    return send(render.inspection_record(db.session, g.user, inspection_id, settings()))


@bp.get("/inspections/<int:inspection_id>/notice.pdf")
@login_required()
def document_notice(inspection_id: int):
    return send(render.inspection_notice(db.session, g.user, inspection_id, settings()))


@bp.get("/tasks/<int:task_id>/records.zip")
@login_required()
def document_task_records(task_id: int):
    return send(render.task_zip(db.session, g.user, task_id, "record", settings()))


@bp.get("/tasks/<int:task_id>/notices.zip")
@login_required()
def document_task_notices(task_id: int):
    return send(render.task_zip(db.session, g.user, task_id, "notice", settings()))


@bp.get("/plans/<int:plan_id>/plan.pdf")
@login_required()
def document_plan(plan_id: int):
    version = request.args.get("version", type=int)
    return send(render.plan_document(db.session, g.user, plan_id, settings(), version))


@bp.get("/referrals/<int:referral_id>/letter.pdf")
@login_required()
def document_referral(referral_id: int):
    return send(render.referral_document(db.session, g.user, referral_id, settings()))


@bp.get("/tasks/<int:task_id>/publications.pdf")
@login_required()
def document_publications(task_id: int):
    return send(render.publication_list(db.session, g.user, task_id, settings()))


@bp.get("/documents")
@login_required()
def documents_index():
    page = lists.tasks_with_documents(db.session, g.user, page=request.args.get("page"),
                                      per_page=current_app.config.get("PAGE_SIZE", 50))
    return render_template("office/documents.html", page=page)


@bp.get("/tasks/<int:task_id>/documents")
@login_required()
def task_documents(task_id: int):
    task, inspections = lists.task_inspections(db.session, g.user, task_id)
    return render_template("office/task_documents.html", task=task, inspections=inspections,
                           staff=g.user.role != "inspector", statuses=STATUS_LABELS)

"""Office pages for drawing: the draw page with the witness's entropy, supplementary draws, record downloads."""
from __future__ import annotations

import json

from flask import Response, flash, g, redirect, render_template, request, url_for

from server.errors import AppError, NotFound
from server.extensions import db
from server.http import login_required
from server.models.inspections import Inspection
from server.models.planning import Draw, DrawRequest
from server.office import bp
from server.services.draw import records
from server.services.kernel.workdays import today
from server.services.planning import draws, supplementary, tasks


def _draw_page(template: str, status: int = 200, **context):
    return render_template(template, strata=tasks.STRATUM_LABELS, percent=tasks.percent,
                           kind_labels=draws.KIND_LABELS, task_statuses=tasks.TASK_STATUSES,
                           request_statuses=supplementary.REQUEST_STATUSES, **context), status


@bp.route("/tasks/<int:task_id>/draw", methods=["GET", "POST"])
@login_required("admin", "office")
def draw_page(task_id: int):
    """抽取: shows the public commitment; the witness types any text, staff confirm, the draw runs once."""
    task = tasks.get_task(db.session, task_id)
    if request.method == "GET":
        return _draw_page("office/draw.html", task=task, preview=tasks.preview(db.session, task), form={})
    try:
        made = draws.run_draw(db.session, g.user, task.id, witness_entropy=request.form.get("witness_entropy", ""),
                             confirmed=request.form.get("confirmed") == "1")
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        task = tasks.get_task(db.session, task_id)
        preview = tasks.preview(db.session, task) if task.status == "published" else None
        return _draw_page("office/draw.html", err.status, task=task, preview=preview, form=request.form)
    db.session.commit()
    record = made.record
    flash(f"抽取完成：抽中 {len(record['selections'])} 个检查对象，生成检查 {len(record['assignments'])} 项"
          + (f"，{len(record['unstaffed'])} 个对象无法派员（见下方原因）" if record["unstaffed"] else "")
          + f"；记录摘要 {made.record_sha256[:16]}… 已锁定")
    return redirect(url_for("office.task_detail", task_id=task.id))


@bp.get("/draws/<int:draw_id>/record.json")
@login_required("admin", "office", "leader")
def draw_record(draw_id: int):
    """The record file: complete for admin and leader (固化存档), otherwise as the public sees it."""
    made = db.session.get(Draw, draw_id)
    if made is None:
        raise NotFound("抽取记录不存在")
    revealed = tasks.seed_revealed(made.task, today()) or g.user.role in ("admin", "leader")
    body = json.dumps(records.public_view(made.record, revealed), ensure_ascii=False, indent=1)
    name = f"draw-{made.task.code}-{made.id}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.post("/inspections/<int:inspection_id>/supplementary")
@login_required("admin", "office")
def supplementary_request(inspection_id: int):
    """Ask for 补抽 or 递补; the leader decides in the approvals inbox (or on the task page)."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound("检查不存在")
    member = request.form.get("member_id", "")
    try:
        supplementary.request_supplementary(db.session, g.user, inspection.id, kind=request.form.get("kind", ""),
                                            reason=request.form.get("reason", ""),
                                            member_id=int(member) if member.isdigit() else None)
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash("已提交补充抽取申请，其承诺值已公开；领导批准后可组织抽取")
    return redirect(url_for("office.task_detail", task_id=inspection.task_id) + f"#inspection-{inspection.id}")


@bp.route("/draw-requests/<int:request_id>/draw", methods=["GET", "POST"])
@login_required("admin", "office")
def supplementary_draw(request_id: int):
    """The approved supplementary draw, with its own commitment and the witness's entropy."""
    req = db.session.get(DrawRequest, request_id)
    if req is None:
        raise NotFound("补充抽取申请不存在")
    inspection = db.session.get(Inspection, req.inspection_id)
    if request.method == "GET":
        return _draw_page("office/draw_supplementary.html", req=req, inspection=inspection, form={})
    try:
        supplementary.run_supplementary(db.session, g.user, req.id,
                                        witness_entropy=request.form.get("witness_entropy", ""),
                                        confirmed=request.form.get("confirmed") == "1")
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        req = db.session.get(DrawRequest, request_id)
        return _draw_page("office/draw_supplementary.html", err.status, req=req,
                          inspection=db.session.get(Inspection, req.inspection_id), form=request.form)
    db.session.commit()
    flash(f"{draws.KIND_LABELS[req.kind]}已完成，记录已锁定")
    return redirect(url_for("office.task_detail", task_id=req.task_id))

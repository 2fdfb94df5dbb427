"""Office pages for drawing: the draw page with the witness's entropy, supplementary draws, record downloads."""
from __future__ import annotations

from flask import Response, g, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import run
from server.services.kernel.permissions import STAFF
from server.services.planning import draws, pages, supplementary, tasks


def _draw_page(template: str, status: int = 200, **context):
    return render_template(template, strata=tasks.STRATUM_LABELS, percent=tasks.percent,
                           kind_labels=draws.KIND_LABELS, task_statuses=tasks.TASK_STATUSES,
                           request_statuses=supplementary.REQUEST_STATUSES, **context), status


def _drawn_message(made) -> str:
    record = made.record
    unstaffed = f"，{len(record['unstaffed'])} 个对象无法派员（见下方原因）" if record["unstaffed"] else ""
    return (f"抽取完成：抽中 {len(record['selections'])} 个检查对象，生成检查 {len(record['assignments'])} 项"
            f"{unstaffed}；记录摘要 {made.record_sha256[:16]}… 已锁定")


@bp.route("/tasks/<int:task_id>/draw", methods=["GET", "POST"])
@login_required("admin", "office")
def draw_page(task_id: int):
    """抽取: shows the public commitment; the witness types any text, staff confirm, the draw runs once."""
    task = tasks.get_task(db.session, task_id)
    if request.method == "GET":
        return _draw_page("office/draw.html", task=task, preview=tasks.preview(db.session, task), form={})

    def again(err):
        fresh = tasks.get_task(db.session, task_id)
        preview = tasks.preview(db.session, fresh) if fresh.status == "published" else None
        return _draw_page("office/draw.html", err.status, task=fresh, preview=preview, form=request.form)
    return run(lambda: draws.run_draw(db.session, g.user, task.id,
                                      witness_entropy=request.form.get("witness_entropy", ""),
                                      confirmed=request.form.get("confirmed") == "1"),
               _drawn_message, url_for("office.task_detail", task_id=task.id), on_error=again)


@bp.get("/draws/<int:draw_id>/record.json")
@login_required(*STAFF)
def draw_record(draw_id: int):
    """The record file: complete for admin and leader (固化存档), otherwise as the public sees it."""
    name, body = draws.staff_record_file(db.session, g.user, draw_id)
    return Response(body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.post("/inspections/<int:inspection_id>/supplementary")
@login_required("admin", "office")
def supplementary_request(inspection_id: int):
    """Ask for 补抽 or 递补; the leader decides in the approvals inbox (or on the task page)."""
    inspection = supplementary.get_inspection(db.session, inspection_id)
    member = request.form.get("member_id", "")
    return run(lambda: supplementary.request_supplementary(
                   db.session, g.user, inspection.id, kind=request.form.get("kind", ""),
                   reason=request.form.get("reason", ""), member_id=int(member) if member.isdigit() else None),
               "已提交补充抽取申请，其承诺值已公开；领导批准后可组织抽取",
               url_for("office.task_detail", task_id=inspection.task_id) + f"#inspection-{inspection.id}")


@bp.route("/draw-requests/<int:request_id>/draw", methods=["GET", "POST"])
@login_required("admin", "office")
def supplementary_draw(request_id: int):
    """The approved supplementary draw, with its own commitment and the witness's entropy."""
    page = pages.supplementary_page(db.session, request_id)
    req = page["req"]
    if request.method == "GET":
        return _draw_page("office/draw_supplementary.html", **page, form={})

    def again(err):
        fresh = pages.supplementary_page(db.session, request_id)
        return _draw_page("office/draw_supplementary.html", err.status, **fresh, form=request.form)
    return run(lambda: supplementary.run_supplementary(db.session, g.user, req.id,
                                                       witness_entropy=request.form.get("witness_entropy", ""),
                                                       confirmed=request.form.get("confirmed") == "1"),
               f"{draws.KIND_LABELS[req.kind]}已完成，记录已锁定",
               url_for("office.task_detail", task_id=req.task_id), on_error=again)

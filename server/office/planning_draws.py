"""Office pages for drawing: 封存 then 抽取 with the witness's text, supplementary draws (补抽, 递补, 补派),
record downloads."""
from __future__ import annotations

from flask import Response, g, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import run
from server.services.kernel.permissions import STAFF
from server.services.planning import draw_requests, draws, pages, staffing, supplementary, tasks


def _draw_page(template: str, status: int = 200, **context):
    return render_template(template, strata=tasks.STRATUM_LABELS, percent=tasks.percent,
                           kind_labels=draws.KIND_LABELS, task_statuses=tasks.TASK_STATUSES,
                           request_statuses=draw_requests.REQUEST_STATUSES, **context), status


def _drawn_message(made) -> str:
    record = made.record
    unstaffed = f"，{len(record['unstaffed'])} 个对象无法派员（见下方原因，原因消除后可申请补派）" if record["unstaffed"] else ""
    return (f"抽取完成：抽中 {len(record['selections'])} 个检查对象，生成检查 {len(record['assignments'])} 项"
            f"{unstaffed}；记录摘要 {made.record_sha256[:16]}… 已锁定")


def _sealed_message(sealed) -> str:
    block = sealed.block
    return (f"已封存：检查对象 {block['population_size']} 个、执法人员 {block['inspectors_count']} 人、回避关系 "
            f"{block['recusals_count']} 条，封存摘要 {block['seal_sha256'][:16]}… 已在门户公开；请监督人核对后输入随机字符串")


def _seal_id() -> int | None:
    value = request.form.get("seal_id", "")
    return int(value) if value.isdigit() else -1  # a form without the seal it showed is refused as stale


@bp.route("/tasks/<int:task_id>/draw", methods=["GET", "POST"])
@login_required("admin", "office")
def draw_page(task_id: int):
    """抽取: shows the commitment and the seal; the witness types any text, staff confirm, the draw runs once."""
    task = tasks.get_task(db.session, task_id)
    if request.method == "GET":
        return _draw_page("office/draw.html", **pages.draw_page(db.session, task), form={})

    def again(err):
        return _draw_page("office/draw.html", err.status, **pages.draw_page(db.session, tasks.get_task(db.session, task_id)),
                          form=request.form)
    return run(lambda: draws.run_draw(db.session, g.user, task.id,
                                      witness_entropy=request.form.get("witness_entropy", ""),
                                      confirmed=request.form.get("confirmed") == "1", seal_id=_seal_id()),
               _drawn_message, url_for("office.task_detail", task_id=task.id), on_error=again)


@bp.post("/tasks/<int:task_id>/seal")
@login_required("admin", "office")
def draw_seal(task_id: int):
    """封存: freeze the population, the pool and the recusals; their hashes are public at once."""
    return run(lambda: draws.seal_draw(db.session, g.user, task_id), _sealed_message,
               url_for("office.draw_page", task_id=task_id))


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
               _requested, url_for("office.task_detail", task_id=inspection.task_id) + f"#inspection-{inspection.id}")


def _requested(req) -> str:
    if req.kind == "department_replace":  # a cooperating department's member: drawn in that department's part
        return "已申请配合部门递补（本部门人员），其承诺值已公开；无需领导审批，请在“联合抽查：各部门抽取本部门人员”中封存并抽取"
    return "已提交补充抽取申请，其承诺值已公开；领导批准后可组织抽取"


@bp.post("/tasks/<int:task_id>/staffing")
@login_required("admin", "office")
def staffing_request(task_id: int):
    """Ask for 补派 of a target the draw left unstaffed; the leader decides as for 补抽 and 递补."""
    return run(lambda: staffing.request_staffing(db.session, g.user, task_id, uscc=request.form.get("uscc", ""),
                                                 reason=request.form.get("reason", "")),
               "已提交补派申请，其承诺值已公开；领导批准后可封存、组织抽取",
               url_for("office.task_detail", task_id=task_id) + "#unstaffed")


@bp.route("/draw-requests/<int:request_id>/draw", methods=["GET", "POST"])
@login_required("admin", "office")
def supplementary_draw(request_id: int):
    """The approved supplementary draw: its own commitment, its seal, and the witness's entropy."""
    page = pages.supplementary_page(db.session, request_id)
    req = page["req"]
    if request.method == "GET":
        return _draw_page("office/draw_supplementary.html", **page, form={})

    def again(err):
        return _draw_page("office/draw_supplementary.html", err.status, **pages.supplementary_page(db.session, request_id),
                          form=request.form)
    return run(lambda: supplementary.run_supplementary(db.session, g.user, req.id,
                                                       witness_entropy=request.form.get("witness_entropy", ""),
                                                       confirmed=request.form.get("confirmed") == "1",
                                                       seal_id=_seal_id()),
               f"{draws.KIND_LABELS[req.kind]}已完成，记录已锁定",
               url_for("office.task_detail", task_id=req.task_id), on_error=again)


@bp.post("/draw-requests/<int:request_id>/seal")
@login_required("admin", "office")
def supplementary_seal(request_id: int):
    """封存 an approved supplementary draw's inputs before its witness types."""
    return run(lambda: supplementary.seal_supplementary(db.session, g.user, request_id), _sealed_message,
               url_for("office.supplementary_draw", request_id=request_id))

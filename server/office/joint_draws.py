"""Office pages for a cooperating department's own draws of a joint task (联合抽查): its draw, then its own 补派
and 递补 — each 封存 then 抽取, as the main draw, by the office or the department's own staff."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import run
from server.office.planning_draws import _seal_id, _sealed_message
from server.services.planning import department_draws, department_parts, draws, pages, tasks

RUNNERS = department_draws.RUNNERS


def _page(task_id: int, dept_id: int, status: int = 200, form=None):
    task = tasks.get_visible_task(db.session, g.user, task_id)
    part = next((p for p in department_draws.parts(db.session, task) if p.department.id == dept_id), None)
    return render_template("office/draw_department.html", task=task, part=part, seal=part.seal if part else None,
                           strata=tasks.STRATUM_LABELS, form=form or {}), status


def _drawn_message(made) -> str:
    record = made.record
    unstaffed = f"，{len(record['unstaffed'])} 个对象无法派员（见任务页）" if record["unstaffed"] else ""
    return (f"{record['task']['department']['name']}已完成本部门人员抽取：为 {len(record['assignments'])} 个检查对象各抽取 1 人"
            f"{unstaffed}；记录摘要 {made.record_sha256[:16]}… 已锁定")


@bp.route("/tasks/<int:task_id>/departments/<int:dept_id>/draw", methods=["GET", "POST"])
@login_required(*RUNNERS)
def department_draw(task_id: int, dept_id: int):
    """A cooperating department's draw: its commitment and seal, then the witness's text."""
    if request.method == "GET":
        return _page(task_id, dept_id)
    return run(lambda: department_draws.run_department_draw(
                   db.session, g.user, task_id, dept_id, witness_entropy=request.form.get("witness_entropy", ""),
                   confirmed=request.form.get("confirmed") == "1", seal_id=_seal_id()),
               _drawn_message, url_for("office.task_detail", task_id=task_id) + "#joint-parts",
               on_error=lambda err: _page(task_id, dept_id, err.status, request.form))


@bp.post("/tasks/<int:task_id>/departments/<int:dept_id>/seal")
@login_required(*RUNNERS)
def department_seal(task_id: int, dept_id: int):
    """封存 a cooperating department's draw: the staffed targets, its inspectors and their recusals."""
    return run(lambda: department_draws.seal_department_draw(db.session, g.user, task_id, dept_id), _sealed_message,
               url_for("office.department_draw", task_id=task_id, dept_id=dept_id))


# --- a department's own 补派 and 递补 in its part ---------------------------------------------------------

def _request_page(request_id: int, status: int = 200, form=None):
    return render_template("office/draw_department_request.html",
                           **pages.department_request_page(db.session, g.user, request_id), strata=tasks.STRATUM_LABELS,
                           kind_labels=draws.KIND_LABELS, form=form or {}), status


def _requested_message(req) -> str:
    return (f"已申请{draws.KIND_LABELS[req.kind]}，其承诺值 {req.commitment[:16]}… 已在门户公开；"
            f"请封存并由监督人输入随机字符串后抽取")


@bp.post("/tasks/<int:task_id>/departments/<int:dept_id>/staffing")
@login_required(*RUNNERS)
def department_staffing_request(task_id: int, dept_id: int):
    """本部门补派: the department's member for every open inspection of the task still without one."""
    return run(lambda: department_parts.request_staffing(db.session, g.user, task_id, dept_id,
                                                         reason=request.form.get("reason", "")),
               _requested_message, lambda req: url_for("office.department_request_draw", request_id=req.id),
               on_error=lambda err: redirect(url_for("office.task_detail", task_id=task_id) + "#joint-parts"))


@bp.post("/tasks/<int:task_id>/inspections/<int:inspection_id>/department-replacement")
@login_required(*RUNNERS)
def department_replacement_request(task_id: int, inspection_id: int):
    """本部门递补: a department's member of the group who cannot go, replaced from that department's inspectors."""
    member = request.form.get("member_id", "")
    return run(lambda: department_parts.request_replacement(
                   db.session, g.user, inspection_id, int(member) if member.isdigit() else 0,
                   reason=request.form.get("reason", "")),
               _requested_message, lambda req: url_for("office.department_request_draw", request_id=req.id),
               on_error=lambda err: redirect(url_for("office.task_detail", task_id=task_id) + "#joint-parts"))


@bp.route("/department-requests/<int:request_id>/draw", methods=["GET", "POST"])
@login_required(*RUNNERS)
def department_request_draw(request_id: int):
    """A department's 补派 or 递补: its commitment and seal, then the witness's text."""
    if request.method == "GET":
        return _request_page(request_id)
    return run(lambda: department_parts.run_request(
                   db.session, g.user, request_id, witness_entropy=request.form.get("witness_entropy", ""),
                   confirmed=request.form.get("confirmed") == "1", seal_id=_seal_id()),
               _part_drawn_message, lambda made: url_for("office.task_detail", task_id=made.task_id) + "#joint-parts",
               on_error=lambda err: _request_page(request_id, err.status, request.form))


@bp.post("/department-requests/<int:request_id>/seal")
@login_required(*RUNNERS)
def department_request_seal(request_id: int):
    """封存 a department's 补派 or 递补: its targets, its inspectors and their recusals."""
    return run(lambda: department_parts.seal_request(db.session, g.user, request_id), _sealed_message,
               url_for("office.department_request_draw", request_id=request_id))


def _part_drawn_message(made) -> str:
    record = made.record
    left = f"，{len(record['unstaffed'])} 个对象仍无法派员（见任务页）" if record["unstaffed"] else ""
    return (f"{record['task']['department']['name']}已完成{draws.KIND_LABELS[made.kind]}：为 {len(record['assignments'])} "
            f"个检查对象各抽取 1 人{left}；记录摘要 {made.record_sha256[:16]}… 已锁定")

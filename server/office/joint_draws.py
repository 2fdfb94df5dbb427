"""Office pages for a cooperating department's own draw of a joint task (联合抽查): 封存 then 抽取, as the main
draw, by the office or the department's own staff."""
from __future__ import annotations

from flask import g, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import run
from server.office.planning_draws import _seal_id, _sealed_message
from server.services.planning import department_draws, tasks

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

"""督查: the board of plan execution, overdue and late work for the 法制股 and leaders, and its .xlsx; starting a
定向 task from a warning or a filtered list, and a 靶向 one from a referral or a complaint."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, flash, g, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import login_required
from server.office import bp, planning
from server.services.kernel.workdays import today
from server.services.oversight import board, task_start
from server.services.oversight.grouping import GROUPS, check_group

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/oversight", endpoint="oversight")
@login_required(*board.VIEWERS)
def oversight_board():
    group = check_group(request.args.get("group"))
    return render_template("office/oversight.html", sections=board.build(db.session, g.user, group=group),
                           group=group, groups=GROUPS, on=today())


@bp.get("/oversight/export.xlsx")
@login_required(*board.VIEWERS)
def oversight_export():
    group = check_group(request.args.get("group"))
    data = board.workbook(db.session, g.user, group=group)
    name = f"督查-{today().isoformat()}{('-' + GROUPS[group]) if group else ''}.xlsx"
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


# --- 发起定向抽查 / 发起靶向检查: the task form, filled from where the user started ----------------------------

def _start(make_prefill, back: str):
    """The new task's form for the default (or ?plan_id=) plan, filled by `make_prefill`; posts to task_new."""
    try:
        plan = task_start.plan_for(db.session, g.user, request.args.get("plan_id", type=int))
        prefill = make_prefill()
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(back)
    return planning._task_form(plan, prefill=prefill, action=url_for("office.task_new", plan_id=plan.id))


@bp.get("/tasks/start/risk")
@login_required(*task_start.STARTERS)
def task_start_risk():
    return _start(lambda: task_start.from_risk_warning(db.session, g.user), url_for("office.dashboard"))


@bp.get("/tasks/start/targets")
@login_required(*task_start.STARTERS)
def task_start_targets():
    a = request.args
    return _start(lambda: task_start.from_target_filter(
        db.session, g.user, q=a.get("q", ""), category=a.get("category", ""), status=a.get("status", ""),
        risk_level=a.get("risk", ""), region=a.get("region", "")), url_for("office.targets", **a))


@bp.get("/tasks/start/referral/<int:referral_id>")
@login_required(*task_start.STARTERS)
def task_start_referral(referral_id: int):
    return _start(lambda: task_start.from_referral(db.session, g.user, referral_id),
                  url_for("office.referral_detail", referral_id=referral_id))


@bp.get("/tasks/start/target/<int:target_id>")
@login_required(*task_start.STARTERS)
def task_start_target(target_id: int):
    return _start(lambda: task_start.from_target(db.session, g.user, target_id),
                  url_for("office.target_detail", target_id=target_id))

"""督查: the board of plan execution, overdue and late work for the 法制股 and leaders, and its .xlsx."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, g, render_template, request

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.services.kernel.workdays import today
from server.services.oversight import board
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

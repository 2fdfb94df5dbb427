"""Office (admin): every device token, with its user and last sync, the rejected pushes kept on the
device's own record, and revocation per device."""
from __future__ import annotations

import json

from flask import flash, g, redirect, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.models.types import utcnow
from server.office import bp
from server.services.accounts import tokens


@bp.get("/devices")
@login_required("admin")
def devices():
    rows = tokens.list_tokens(db.session, g.user)
    clients = tokens.clients_by_token(db.session, g.user, [t.id for t in rows])
    unfiled = tokens.unfiled_rejections(db.session, g.user, [c.client_id for cs in clients.values() for c in cs])
    return render_template("office/devices.html", rows=rows, clients=clients, now=utcnow(), unfiled=unfiled,
                           pretty=lambda args: json.dumps(args, ensure_ascii=False, indent=1))


@bp.post("/devices/<int:token_id>/revoke")
@login_required("admin")
def revoke_device(token_id):
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash("请填写注销原因（如：手机遗失、人员调离）", "error")
        return redirect(url_for("office.devices"))
    token = tokens.revoke_token(db.session, g.user, token_id, reason=reason)
    db.session.commit()
    flash(f"已注销 {token.user.display_name} 的设备“{token.device_name}”：该设备须重新登录，未同步的记录仍保留在设备上")
    return redirect(url_for("office.devices"))

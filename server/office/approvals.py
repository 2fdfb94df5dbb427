"""领导审批: pending approvals of every kind, approved or refused one by one or in a batch."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from server.errors import AppError, ValidationError
from server.extensions import db
from server.http import login_required
from server.models.approvals import Approval
from server.office import bp
from server.office.forms import form, ids
from server.services.kernel import approvals


@bp.get("/approvals", endpoint="approvals")
@login_required("leader", "admin", "office")
def approvals_inbox():
    pending = approvals.pending(db.session, g.user)
    decided = approvals.decided(db.session, g.user, limit=30)
    return render_template("office/approvals.html", pending=pending, decided=decided,
                           kinds=approvals.KIND_LABELS, can_decide=approvals.may_decide(g.user))


@bp.post("/approvals/decide")
@login_required(approvals.deciders)
def approvals_decide():
    """Approve or refuse the chosen approvals together: all of them take effect, or none."""
    chosen, verdict, note = ids("approval_id"), form("decision"), form("note")
    try:
        if not chosen:
            raise ValidationError("请至少选择一项待审批事项")
        if verdict not in ("approve", "reject"):
            raise ValidationError("请选择批准或不批准")
        for approval_id in chosen:
            approvals.decide(db.session, g.user, approval_id, approve=verdict == "approve", note=note)
    except AppError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("office.approvals"))
    db.session.commit()
    flash(f"已{'批准' if verdict == 'approve' else '不批准'} {len(chosen)} 项")
    return redirect(url_for("office.approvals"))


OBJECT_PAGES = {"publications": ("office.publication_detail", "pub_id"),
                "referrals": ("office.referral_detail", "referral_id"),
                "plans": ("office.plan_detail", "plan_id")}


bp.add_app_template_global(approvals.may_decide, "may_decide_approvals")


@bp.app_template_global("approval_link")
def approval_link(approval: Approval) -> str | None:
    """The page of the object an approval is about, where this area has one."""
    if approval.object_type == "draw_requests" and approval.payload.get("inspection_id"):
        return url_for("office.inspection_detail", inspection_id=int(approval.payload["inspection_id"]))
    if approval.object_type == "draw_requests" and approval.payload.get("task_id"):  # 补派: the unstaffed target
        return url_for("office.task_detail", task_id=int(approval.payload["task_id"])) + "#unstaffed"
    endpoint, arg = OBJECT_PAGES.get(approval.object_type, (None, None))
    return url_for(endpoint, **{arg: int(approval.object_id)}) if endpoint else None

"""移送: the list (with overdue steps and open violations), the 案件移送函 form, the referral page with the
form of its next step, and the no-referral decision and closing of a violation."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from server.errors import AppError
from server.extensions import db
from server.http import login_required
from server.models.types import utcnow
from server.office import bp
from server.office.forms import form, page_arg, run
from server.services.followup import referrals, referrals_criminal as crim
from server.services.kernel.permissions import STAFF


@bp.get("/referrals", endpoint="referrals")
@login_required(*STAFF)
def referrals_list():
    status = request.args.get("status", "open")
    page = referrals.listing(db.session, g.user, status="" if status == "all" else status, page=page_arg())
    return render_template("office/referrals.html", page=page, status=status,
                           violations=referrals.open_violations(db.session), kinds=referrals.KINDS,
                           status_label=referrals.status_label, due_labels=referrals.DUE_LABELS)


@bp.route("/referrals/new", methods=["GET", "POST"])
@login_required(*STAFF)
def referral_new():
    kind = request.values.get("kind", "administrative")
    inspection, values = referrals.proposal(db.session, g.user, request.values.get("inspection_id", type=int), kind)
    values["finding_ref"] = request.values.get("finding_ref", "")
    error = None
    if request.method == "POST":
        values.update({k: form(k) for k in ("doc_no", "party", "cause", "reason", "legal_basis", "receiving_dept",
                                            "materials", "report", "finding_ref")})
        values["team"] = request.form.getlist("team")
        try:
            referral = referrals.create(db.session, g.user, kind=kind, inspection_id=inspection.id,
                                        **{k: values[k] for k in ("finding_ref", "doc_no", "party", "cause", "reason",
                                                                  "legal_basis", "receiving_dept", "materials",
                                                                  "report", "team")})
        except AppError as err:
            db.session.rollback()
            error = err
        else:
            db.session.commit()
            flash("已登记移送")
            return redirect(url_for("office.referral_detail", referral_id=referral.id))
    return render_template("office/referral_new.html", inspection=inspection, values=values, error=error,
                           kinds=referrals.KINDS, inspectors=crim.team_candidates(db.session)), (422 if error else 200)


@bp.get("/referrals/<int:referral_id>")
@login_required(*STAFF)
def referral_detail(referral_id: int):
    referral = referrals.get(db.session, g.user, referral_id)
    return render_template("office/referral_detail.html", r=referral, team=crim.team_members(db.session, referral),
                           kinds=referrals.KINDS, status_label=referrals.status_label, steps=referrals.STEP_LABELS,
                           due_labels=referrals.DUE_LABELS, materials=crim.MATERIALS,
                           data_labels=referrals.DATA_LABELS)


def _actions() -> dict:
    """Each step's service call, reading its form fields, and its success message."""
    s, u = db.session, g.user
    moment = lambda: form("happened_at") or None  # noqa: E731
    return {
        "send": (lambda rid: referrals.send(s, u, rid, referral_date=form("referral_date") or None,
                                            feedback_due=form("feedback_due") or None), "案件移送函已发出，反馈期限开始计时"),
        "acknowledge": (lambda rid: referrals.acknowledge(s, u, rid, receiver=form("receiver"), happened_at=moment(),
                                                          note=form("note")), "已登记接收部门签收"),
        "feedback": (lambda rid: referrals.feedback(s, u, rid, content=form("content"), happened_at=moment()),
                     "已登记反馈"),
        "close": (lambda rid: referrals.close(s, u, rid, note=form("note")), "移送已办结"),
        "cancel": (lambda rid: referrals.cancel(s, u, rid, reason=form("reason")), "移送已撤销"),
        "report": (lambda rid: crim.report(s, u, rid, report_text=form("report"), happened_at=moment()),
                   "书面报告已提交负责人审批，审批期限 3 日"),
        "transfer": (lambda rid: crim.transfer(s, u, rid, materials={k: form(k) for k, _ in crim.MATERIALS},
                                               happened_at=moment(), police=form("police")), "已移送公安机关"),
        "receipt": (lambda rid: crim.receipt(s, u, rid, receiver=form("receiver"), happened_at=moment()),
                    "已登记公安机关回执，公安机关审查期限 3 日"),
        "police_decision": (lambda rid: crim.police_decision(s, u, rid, filed=form("decision") == "filed",
                                                             happened_at=moment(), reason=form("reason")),
                            "已登记公安机关的决定"),
        "reconsider": (lambda rid: crim.reconsider(s, u, rid, reason=form("reason"), happened_at=moment()),
                       "已提请复议"),
        "reconsideration_result": (lambda rid: crim.reconsideration_result(
            s, u, rid, filed=form("decision") == "filed", happened_at=moment(), note=form("note")), "已登记复议决定"),
        "handover": (lambda rid: crim.handover(s, u, rid, items=form("items"), happened_at=moment()),
                     "已登记涉案物品移交，移送办结"),
    }


@bp.post("/referrals/<int:referral_id>/<action>")
@login_required(*STAFF)
def referral_action(referral_id: int, action: str):
    actions = _actions()
    if action not in actions:
        abort(404)
    call, message = actions[action]
    return run(lambda: call(referral_id), message, url_for("office.referral_detail", referral_id=referral_id))


def _violation_back(violation_id: int) -> str:
    violation = referrals.get_violation(db.session, g.user, violation_id)
    return url_for("office.review_detail", inspection_id=violation.inspection_id)


@bp.post("/violations/<int:violation_id>/no-referral")
@login_required(*STAFF)
def violation_no_referral(violation_id: int):
    back = _violation_back(violation_id)
    return run(lambda: referrals.decide_no_referral(db.session, g.user, violation_id, form("reason")),
               "已记录无需移送的决定及理由", back)


@bp.post("/violations/<int:violation_id>/close")
@login_required(*STAFF)
def violation_close(violation_id: int):
    back = _violation_back(violation_id)
    return run(lambda: referrals.close_violation(db.session, g.user, violation_id, form("note")), "违法行为已办结", back)


@bp.app_template_global("now_utc")
def now_utc():
    """The current UTC time, to compare deadlines in templates."""
    return utcnow()

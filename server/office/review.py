"""结果审核: the queue of submitted inspections and the review detail page (approve / return)."""
from __future__ import annotations

from flask import current_app, g, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import form, page_arg, run
from server.services.fieldwork import late_words
from server.services.followup import credit, publication, referrals, review
from server.services.kernel.permissions import READERS, STAFF
from server.services.kernel.workdays import deadline_text


@bp.get("/review")
@login_required(*READERS)
def review_queue():
    page = review.queue(db.session, g.user, page=page_arg(), per_page=current_app.config.get("PAGE_SIZE", 50))
    return render_template("office/review_queue.html", page=page, modes=review.MODE_LABELS,
                           waiting=review.waiting_on_departments(db.session, g.user))


@bp.get("/review/<int:inspection_id>")
@login_required(*READERS)
def review_detail(inspection_id: int):
    max_m = float(current_app.config.get("REVIEW_PHOTO_MAX_DISTANCE_M", review.MAX_PHOTO_DISTANCE_M))
    data = review.detail(db.session, g.user, inspection_id, max_distance_m=max_m)
    return render_template("office/review_detail.html", **data, statuses=review.STATUS_LABELS,
                           modes=review.MODE_LABELS, pub_statuses=publication.STATUS_LABELS,
                           referral_status=referrals.status_label, referral_kinds=referrals.KINDS,
                           credit_kinds=credit.KINDS, severities=credit.SEVERITIES,
                           default_years=credit.DEFAULT_YEARS)


def _part():
    """The part of a joint inspection a decision is about: the form's `part` (a department id, "" for the
    bureau's), or, without one, the actor's own part."""
    if "part" not in request.form:
        return review.OWN_PART
    value = request.form["part"].strip()
    return int(value) if value.isdigit() else None


def _approved_message(insp) -> str:
    if insp.status == "approved":
        return "审核通过：已生成公示记录，请在“公示”中提交领导审批" if g.user.role in STAFF else \
            "审核通过：各部门均已审核通过，本部门的公示记录已生成，请在“公示”中公开"
    return "已审核通过本部门检查的事项，已生成本部门的公示记录；待其他部门审核后检查才算审核通过"


@bp.post("/review/<int:inspection_id>/approve")
@login_required(*READERS)  # a department's staff approves its own part of a joint inspection (the service checks)
def review_approve(inspection_id: int):
    authority = current_app.config.get("BUREAU_NAME", publication.DEFAULT_AUTHORITY)
    return run(lambda: review.approve(db.session, g.user, inspection_id, version=form("version") or None,
                                      note=form("note"), authority=authority, part=_part()),
               _approved_message, url_for("office.review_detail", inspection_id=inspection_id), refuse=True)


@bp.post("/review/<int:inspection_id>/return")
@login_required(*READERS)
def review_return(inspection_id: int):
    return run(lambda: review.return_for_fix(db.session, g.user, inspection_id, version=form("version") or None,
                                             note=form("note"), part=_part()),
               "已退回：退回意见将在检查人员下次同步时送达手机",
               url_for("office.review_detail", inspection_id=inspection_id), refuse=True)


@bp.post("/review/<int:inspection_id>/flags/<int:flag_id>/acknowledge")
@login_required(*STAFF)
def review_acknowledge_flag(inspection_id: int, flag_id: int):
    return run(lambda: review.acknowledge_flag(db.session, g.user, inspection_id, flag_id, note=form("note")),
               "已记录对该质量提示的确认意见",
               url_for("office.review_detail", inspection_id=inspection_id) + "#rv-flags")


@bp.post("/review/<int:inspection_id>/late")
@login_required(*STAFF)
def review_handle_late(inspection_id: int):
    return run(lambda: review.handle_late(db.session, g.user, inspection_id, version=form("version") or None,
                                          note=form("note")),
               lambda n: f"已记录对 {n} 条提交后送达的判定的处理意见",
               url_for("office.review_detail", inspection_id=inspection_id))


@bp.app_template_filter("late_words")
def late_words_filter(entry, inspection) -> list:
    """A late-evidence row's content as (label, text) lines (检查要点、判定、依据 …), never raw arguments."""
    return late_words.describe(entry.name, entry.args, inspection.checklist_snapshot or [])


@bp.app_template_global("review_link")
def review_link(inspection_id: int) -> str | None:
    """The review page of an inspection, for other areas' pages (staff only)."""
    user = g.get("user")
    if user is None or user.role not in READERS:
        return None
    return url_for("office.review_detail", inspection_id=inspection_id)



CLOCK_BADGES = {"running": "ok", "warning": "warn", "overdue": "bad", "done": "ok", "done_late": "warn"}


@bp.app_template_filter("clock_badge")
def clock_badge(clock) -> str:
    """The badge class of a working-day clock's state."""
    return CLOCK_BADGES.get(getattr(clock, "state", ""), "")


@bp.app_template_filter("deadline")
def deadline(value) -> str:
    """A deadline in Beijing time ("… 当日内" for the end of a day)."""
    return deadline_text(value) if value else ""

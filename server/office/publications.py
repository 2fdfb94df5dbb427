"""公示: publication records with their clocks and the 100% goal, batch submission for a leader's approval,
non-publication with a reason, corrections and withdrawals, and the export for upload to gsxt."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, g, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import form, ids, page_arg, run
from server.services.followup import publication, publication_export
from server.services.kernel.permissions import READERS, STAFF
from server.services.kernel.workdays import today
from server.vocab import ResultCategory

FILTERS = [("", "全部"), ("draft", "待提交审批"), ("pending", "待领导审批"), ("overdue", "超期未公示"),
           ("published", "已公示"), ("pending_fix", "待更正/撤回"), ("withdrawn", "已撤回"),
           ("not_published", "不予公示")]


@bp.get("/publications")
@login_required(*READERS)
def publications():
    status, q = request.args.get("status", ""), request.args.get("q", "")
    page = publication.listing(db.session, status=status, q=q, page=page_arg(), actor=g.user)
    missing = publication.count_missing(db.session)
    return render_template("office/publications.html", page=page, status=status, q=q,
                           filters=FILTERS, labels=publication.STATUS_LABELS, share=publication.share(db.session),
                           clock=publication.clock, missing=missing)


@bp.post("/publications/request")
@login_required(*STAFF)
def publications_request():
    chosen = ids("pub_id")
    return run(lambda: publication.request_approval(db.session, g.user, chosen, form("reason")),
               lambda made: f"已提交领导审批 {len(made)} 条公示记录", url_for("office.publications", status="pending"))


@bp.post("/publications/fill")
@login_required(*STAFF)
def publications_fill():
    """Create drafts for approved inspections that have none (e.g. approved before this area existed)."""
    authority = current_app.config.get("BUREAU_NAME", publication.DEFAULT_AUTHORITY)
    return run(lambda: publication.draft_missing(db.session, g.user, authority),
               lambda n: f"已生成 {n} 条公示记录", url_for("office.publications", status="draft"))


@bp.get("/publications/<int:pub_id>")
@login_required(*READERS)
def publication_detail(pub_id: int):
    pub = publication.get(db.session, g.user, pub_id)
    return render_template("office/publication_detail.html", pub=pub, labels=publication.STATUS_LABELS,
                           actions=publication.ACTION_LABELS, clock=publication.clock(pub),
                           categories=ResultCategory.choices(), today=today())


def _back(pub_id: int) -> str:
    return url_for("office.publication_detail", pub_id=pub_id)


@bp.post("/publications/<int:pub_id>/publish-own")
@login_required("dept_staff")
def publication_publish_own(pub_id: int):
    """联合抽查: a cooperating department publishes the results of the items it checked (谁检查、谁公开)."""
    return run(lambda: publication.publish_own(db.session, g.user, pub_id, form("note")),
               "已公开本部门检查的事项结果", _back(pub_id))


@bp.post("/publications/<int:pub_id>/decline")
@login_required(*READERS)  # a cooperating department's staff its own records (service)
def publication_decline(pub_id: int):
    return run(lambda: publication.decline(db.session, g.user, pub_id, form("reason")), "已记录不予公示的理由",
               _back(pub_id), refuse=True)


@bp.post("/publications/<int:pub_id>/flag")
@login_required(*READERS)
def publication_flag(pub_id: int):
    return run(lambda: publication.flag(db.session, g.user, pub_id, form("action"), form("reason"), form("since")),
               "已登记，期限开始计时", _back(pub_id), refuse=True)


@bp.post("/publications/<int:pub_id>/correct")
@login_required(*READERS)
def publication_correct(pub_id: int):
    items = {int(key[5:]): request.form.getlist(key) for key in request.form
             if key.startswith("item-") and key[5:].isdigit()}
    return run(lambda: publication.correct(db.session, g.user, pub_id, items, form("reason"), form("since") or None),
               "公示内容已更正，原内容已留档", _back(pub_id), refuse=True)


@bp.post("/publications/<int:pub_id>/withdraw")
@login_required(*READERS)
def publication_withdraw(pub_id: int):
    return run(lambda: publication.withdraw(db.session, g.user, pub_id, form("reason"), form("since") or None),
               "公示已撤回，记录已留档", _back(pub_id), refuse=True)


@bp.get("/publications/export.<fmt>")
@login_required(*STAFF)
def publications_export(fmt: str):
    body, mimetype = publication_export.export(db.session, g.user, fmt)
    stamp = today().strftime("%Y%m%d")
    filename = f"shuangsuiji-results-{stamp}.{fmt}"
    chinese = quote(f"双随机抽查结果信息-{stamp}.{fmt}")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={filename}; filename*=UTF-8''{chinese}"})

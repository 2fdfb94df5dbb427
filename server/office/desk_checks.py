"""书面检查 / 网络监测: the assigned inspectors record non-site inspections here, then submit for review."""
from __future__ import annotations

from flask import current_app, g, render_template, request, url_for

from server.errors import ValidationError
from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import form, run
from server.services.fieldwork import desk_checks, media_store, record_view
from server.services.fieldwork.media_rules import MediaLimits
from server.services.followup import review
from server.vocab import CheckpointAnswer, FollowUp, Method, ResultCategory
from sync.messages import STATUS_LABELS


@bp.get("/desk", endpoint="desk_checks")
@login_required("inspector")
def desk_checks_list():
    return render_template("office/review_desk_list.html", rows=desk_checks.my_inspections(db.session, g.user),
                           statuses=STATUS_LABELS, modes=review.MODE_LABELS)


@bp.get("/desk/<int:inspection_id>")
@login_required("inspector")
def desk_check(inspection_id: int):
    inspection = desk_checks.get(db.session, g.user, inspection_id)
    record = record_view.load(db.session, inspection)
    return render_template("office/review_desk.html", inspection=inspection, record=record,
                           items=record_view.item_results(inspection, record),
                           findings=record_view.current_findings(record),
                           editable=inspection.status in desk_checks.EDITABLE, statuses=STATUS_LABELS,
                           submit_by=desk_checks.submit_by(inspection),
                           modes=review.MODE_LABELS, answers=CheckpointAnswer.choices(),
                           categories=ResultCategory.choices(), methods=Method.choices(),
                           follow_ups=FollowUp.choices())


def _back(inspection_id: int) -> str:
    return url_for("office.desk_check", inspection_id=inspection_id)


@bp.post("/desk/<int:inspection_id>/answers")
@login_required("inspector")
def desk_answers(inspection_id: int):
    answers = {}
    for key, value in request.form.items():
        if key.startswith("cp-"):
            cp = int(key[3:]) if key[3:].isdigit() else None
            if cp is not None:
                answers[cp] = (value, form(f"note-{cp}"))
    return run(lambda: desk_checks.save_answers(db.session, g.user, inspection_id, answers),
               lambda n: f"已保存 {n} 项答案" if n else "答案没有变化", _back(inspection_id))


@bp.post("/desk/<int:inspection_id>/finding")
@login_required("inspector")
def desk_finding(inspection_id: int):
    checkpoint = request.form.get("checkpoint_id", type=int)
    return run(lambda: desk_checks.add_finding(
        db.session, g.user, inspection_id, description=form("description"), legal_basis=form("legal_basis"),
        rectification=form("rectification"), rectify_by=form("rectify_by") or None, checkpoint_id=checkpoint),
        "已记录发现的问题", _back(inspection_id))


@bp.post("/desk/<int:inspection_id>/evidence")
@login_required("inspector")
def desk_evidence(inspection_id: int):
    files = [f for f in request.files.getlist("files") if f and f.filename]
    cfg = current_app.config

    def upload():
        if not files:
            raise ValidationError("请选择要上传的材料（PDF，或 JPEG、PNG、WebP 图片）")
        store = media_store.store_for(cfg)
        limits = MediaLimits.from_config(cfg)
        for f in files:
            desk_checks.upload_evidence(db.session, g.user, inspection_id, f.read(), form("caption") or f.filename,
                                        store, max_bytes=cfg["MEDIA_MAX_BYTES"], max_pixels=cfg["MEDIA_MAX_PIXELS"],
                                        limits=limits)
        return len(files)

    return run(upload, lambda n: f"已上传 {n} 份材料", _back(inspection_id))


@bp.post("/desk/<int:inspection_id>/submit")
@login_required("inspector")
def desk_submit(inspection_id: int):
    return run(lambda: desk_checks.submit(
        db.session, g.user, inspection_id, result_categories=request.form.getlist("result_categories"),
        methods=request.form.getlist("methods"), follow_ups=request.form.getlist("follow_ups"),
        summary=form("summary")), "已提交审核", _back(inspection_id))

"""抽查结果: published results, searchable by name or USCC (never anything unpublished)."""
from __future__ import annotations

from flask import render_template, request

from server.extensions import db
from server.public import bp
from server.services.followup import credit, publication


@bp.get("/results")
def results():
    q = (request.args.get("q") or "").strip()[:100]
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    rows, total = publication.public_search(db.session, q, page=page, per_page=20)
    records = credit.published_records(db.session, [p.target_id for p in rows])
    return render_template("public/results.html", rows=rows, total=total, q=q, page=page, per_page=20,
                           records=records, kinds=credit.KINDS, severities=credit.SEVERITIES)

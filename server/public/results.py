"""抽查结果: published results, searchable by name or USCC (never anything unpublished)."""
from __future__ import annotations

from flask import render_template, request

from server.extensions import db
from server.public import bp
from server.services.followup import credit, publication


@bp.get("/results")
def results():
    q = (request.args.get("q") or "").strip()[:100]
    page = publication.public_search(db.session, q, page=request.args.get("page"), per_page=20)
    records = credit.published_records(db.session, [p.target_id for p in page.items])
    return render_template("public/results.html", page=page, q=q, records=records, kinds=credit.KINDS,
                           severities=credit.SEVERITIES)

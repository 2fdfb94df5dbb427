"""操作日志链头: the numbered list of signed heads of the audit chain, with the public key to check them."""
from __future__ import annotations

import json

from flask import Response, current_app, render_template, request

from server.extensions import db
from server.public import bp
from server.services.kernel import audit_heads

PER_PAGE = 50


def _public_key():
    key = current_app.config["AUDIT_HEAD_KEY"].public_key()
    return audit_heads.public_pem(key), audit_heads.public_key_id(key)


@bp.get("/audit-heads", endpoint="audit_heads")
def audit_heads_page():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    rows, total = audit_heads.heads(db.session, page=page, per_page=PER_PAGE)
    pem, key_id = _public_key()
    return render_template("public/audit_heads.html", rows=rows, total=total, page=page, per_page=PER_PAGE,
                           pem=pem, key_id=key_id)


@bp.get("/audit-heads.json", endpoint="audit_heads_json")
def audit_heads_json():
    """Every head as published, oldest first, with the public key: save it, and check it later with
    `spotcheck audit-verify --heads FILE`."""
    rows, _ = audit_heads.heads(db.session, page=1, per_page=10**9)
    pem, key_id = _public_key()
    body = {"format": "spotcheck-audit-heads-v1", "public_key": pem, "public_key_id": key_id,
            "heads": [audit_heads.as_dict(h) for h in reversed(rows)]}
    resp = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")
    resp.headers["Content-Disposition"] = 'inline; filename="audit-heads.json"'
    return resp

"""The inspector's download of the 现场检查笔录 of a synced inspection (bearer token)."""
from __future__ import annotations

import io

from flask import current_app, g, send_file
from flask_smorest import Blueprint

from server.api.auth import token_required
from server.extensions import db
from server.services.documents import render

bp = Blueprint("documents", __name__, url_prefix="/api/v1", description="文书")


@bp.get("/inspections/<int:inspection_id>/record.pdf")
@bp.doc(responses={"200": {"description": "现场检查笔录（PDF）", "content": {"application/pdf": {}}},
                   "403": {"description": "不是该检查组的成员"}, "409": {"description": "尚未同步（not_synced）"}})
@token_required
def record_pdf(inspection_id: int):
    """The 现场检查笔录 of an inspection the server holds records for, for a member of its group."""
    doc = render.synced_inspection_record(db.session, g.api_user, inspection_id,
                                             render.settings_from(current_app.config))
    db.session.commit()  # the token's sliding expiry
    resp = send_file(io.BytesIO(doc.data), mimetype="application/pdf", download_name=doc.filename,
                     etag=doc.key, max_age=0, conditional=True)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp

"""One inspection for its group: its bundle and its signed receipt."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from server.api.auth import schema_response, token_required
from server.extensions import db
from server.schemas.bundles import InspectionBundleSchema
from server.schemas.receipts import ReceiptSchema
from server.services.fieldwork import joint_items, receipts
from server.services.fieldwork.mutations import get_visible, refuse_desk_download
from server.services.fieldwork.sync_store import SqlSyncStore

bp = Blueprint("inspections", __name__, url_prefix="/api/v1/inspections", description="检查")


@bp.get("/<int:inspection_id>")
@bp.response(200, InspectionBundleSchema)
@token_required
def detail(inspection_id):
    """The inspection's bundle (PROTOCOL.md §2.1), for a member of its group (not of a desk inspection)."""
    joint_items.check_group_complete(refuse_desk_download(get_visible(db.session, g.api_user, inspection_id)))
    body = SqlSyncStore(db.session, current_app.config).bundles(g.api_user, [inspection_id])[0]
    db.session.commit()
    return schema_response(InspectionBundleSchema(), body)


@bp.get("/<int:inspection_id>/receipt")
@bp.response(200, ReceiptSchema)
@token_required
def receipt(inspection_id):
    """The signed list of every piece of evidence the server holds for the inspection."""
    body = receipts.build(db.session, g.api_user, inspection_id, current_app.config["SECRET_KEY"])
    db.session.commit()
    return schema_response(ReceiptSchema(), body)

"""Health and server time: phones use the time to record their clock offset."""
from __future__ import annotations

from flask_smorest import Blueprint

from server.models.types import utcnow
from server.schemas.meta import HealthSchema

bp = Blueprint("meta", __name__, url_prefix="/api/v1", description="服务状态")


@bp.get("/health")
@bp.response(200, HealthSchema)
def health():
    """Liveness and the server's clock."""
    return {"status": "ok", "server_time": utcnow()}

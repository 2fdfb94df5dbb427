"""The public portal (公开): no login, nothing beyond what the law publishes."""
from flask import Blueprint, current_app

bp = Blueprint("public", __name__, url_prefix="/public")

# (endpoint, label) shown in the portal's navigation once the endpoint exists.
NAV = [
    ("public.plans", "抽查计划"),
    ("public.tasks", "抽查任务与抽取验证"),
    ("public.results", "抽查结果"),
    ("public.draw_method", "抽取方法说明"),
    ("public.audit_heads", "操作日志链头"),
]


@bp.app_context_processor
def inject_nav():
    def public_nav():
        return [(ep, text) for ep, text in NAV if ep in current_app.view_functions]
    return {"public_nav": public_nav}


from server.public import pages  # noqa: E402,F401
from server.public import results  # noqa: E402,F401
from server.public import draws  # noqa: E402,F401
from server.public import audit  # noqa: E402,F401

"""Office pages (Jinja, 简体中文) for staff: login, 工作台, registries, plans, review …"""
from flask import Blueprint, current_app, g

bp = Blueprint("office", __name__, url_prefix="/office")

# The main navigation: (endpoint, label, roles or None for every staff role). An entry whose
# endpoint is not registered is not shown, so each area adds its line here as it lands.
NAV = [
    ("office.items", "抽查事项", None),
    ("office.targets", "检查对象", None),
    ("office.inspectors", "执法人员", None),
    ("office.plans", "计划与任务", None),
    ("office.inspections", "检查记录", None),
    ("office.review_queue", "结果审核", None),
    ("office.referrals", "移送", None),
    ("office.publications", "公示", None),
    ("office.documents_index", "文书打印", None),
    ("office.stats", "统计分析", ("admin", "office", "leader")),
    ("office.approvals", "审批", ("leader", "admin")),
    ("office.devices", "设备", ("admin",)),
    ("office.users", "用户", ("admin",)),
    ("office.audit_log", "操作日志", ("admin", "leader")),
]


@bp.app_context_processor
def inject_nav():
    def office_nav():
        user = g.get("user")
        return [(ep, text) for ep, text, roles in NAV
                if ep in current_app.view_functions and user is not None and (roles is None or user.role in roles)]
    return {"office_nav": office_nav}


from server.office import admin, auth, dashboard, documents, registries  # noqa: E402,F401  (views register on bp)
from server.office import approvals, credit, desk_checks, publications, referrals, review  # noqa: E402,F401
from server.office import devices, inspections  # noqa: E402,F401
from server.office import planning  # noqa: E402,F401
from server.office import stats  # noqa: E402,F401

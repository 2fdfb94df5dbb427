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
    ("office.departments", "部门", ("admin",)),
    ("office.users", "用户", ("admin",)),
    ("office.audit_log", "操作日志", ("admin", "leader")),
]
# A department's staff account (dept_staff) gets only the pages whose services scope what they show to its
# department; None in NAV means every other role.
DEPT_STAFF_PAGES = {"office.items", "office.targets", "office.inspectors", "office.plans", "office.inspections",
                    "office.review_queue", "office.publications"}


def _shown(endpoint: str, roles, role: str) -> bool:
    if role == "dept_staff":
        return endpoint in DEPT_STAFF_PAGES
    return roles is None or role in roles


@bp.app_context_processor
def inject_nav():
    def office_nav():
        user = g.get("user")
        return [(ep, text) for ep, text, roles in NAV
                if ep in current_app.view_functions and user is not None and _shown(ep, roles, user.role)]
    return {"office_nav": office_nav}


from server.office import admin, auth, dashboard, documents, registries  # noqa: E402,F401  (views register on bp)
from server.office import approvals, credit, desk_checks, publications, referrals, review  # noqa: E402,F401
from server.office import devices, inspections  # noqa: E402,F401
from server.office import departments, planning, stats  # noqa: E402,F401

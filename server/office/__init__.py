"""Office pages (Jinja, 简体中文) for staff: login, 工作台, registries, plans, review …"""
from flask import Blueprint, current_app, g

from server.http import may_open

bp = Blueprint("office", __name__, url_prefix="/office")

# The main navigation: (endpoint, label). Who sees an entry is who may open its page: the roles of the view's
# own login_required() (server.http.may_open), so the navigation cannot offer a page that answers 403. An
# entry whose endpoint is not registered is not shown, so each area adds its line here as it lands.
NAV = [
    ("office.items", "抽查事项"),
    ("office.targets", "检查对象"),
    ("office.inspectors", "执法人员"),
    ("office.plans", "计划与任务"),
    ("office.inspections", "检查记录"),
    ("office.desk_checks", "书面检查"),
    ("office.review_queue", "结果审核"),
    ("office.referrals", "移送"),
    ("office.publications", "公示"),
    ("office.documents_index", "文书打印"),
    ("office.oversight", "督查"),
    ("office.stats", "统计分析"),
    ("office.approvals", "审批"),
    ("office.devices", "设备"),
    ("office.departments", "部门"),
    ("office.users", "用户"),
    ("office.audit_log", "操作日志"),
]
# A department's staff account (dept_staff) gets only the pages whose services scope what they show to its
# department.
DEPT_STAFF_PAGES = {"office.items", "office.targets", "office.inspectors", "office.plans", "office.inspections",
                    "office.review_queue", "office.publications"}


def shown(endpoint: str, role: str) -> bool:
    """Whether the navigation offers `endpoint` to `role`: only a page the role may open."""
    view = current_app.view_functions.get(endpoint)
    if view is None or not may_open(view, role):
        return False
    if role == "dept_staff":
        return endpoint in DEPT_STAFF_PAGES
    return True


@bp.app_context_processor
def inject_nav():
    def office_nav():
        user = g.get("user")
        return [(ep, text) for ep, text in NAV if user is not None and shown(ep, user.role)]

    def can_open(endpoint: str) -> bool:
        """Whether the current user may open `endpoint` (a page offers a link to it only then)."""
        user, view = g.get("user"), current_app.view_functions.get(endpoint)
        return user is not None and view is not None and may_open(view, user.role)
    return {"office_nav": office_nav, "can_open": can_open}


from server.office import admin, auth, dashboard, documents, registries  # noqa: E402,F401  (views register on bp)
from server.office import approvals, credit, desk_checks, publications, referrals, review  # noqa: E402,F401
from server.office import devices, inspections  # noqa: E402,F401
from server.office import departments, planning, stats  # noqa: E402,F401
from server.office import oversight  # noqa: E402,F401  (after planning, whose task form it fills)

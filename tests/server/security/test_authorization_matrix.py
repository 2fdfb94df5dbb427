"""The authorization matrix: every route and method of the app's URL map, as each of anonymous, inspector,
department staff, office, leader and admin, against the decision below. A route without a decision fails
the test, so a new route cannot land without someone deciding who may use it.

Each request carries real objects (the demo's plan, task, draw and an inspection of the inspector's own
group, a photo of it) so object-level checks in the services are exercised, not only the decorators.
"Allowed" means not refused: anything but a 403, a bearer-token 401 or the office's redirect to its login
page — an allowed request may still answer 404 or 422 to the empty form it is sent. A 5xx fails the test.
"""
from __future__ import annotations

import pytest

from tests.server.security import matrix_kit as mk

EVERYONE = frozenset(mk.ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}  # any account, whatever its role
PHONE = frozenset({"inspector"})  # bearer token, inspectors only
FIELD = frozenset({"inspector", "office", "leader", "admin"})  # pages an inspector shares with staff (own group)
STAFF = frozenset({"office", "leader", "admin"})
READERS = STAFF | {"dept_staff"}  # read pages scoped to a department's tasks for its own staff
FIELD_READERS = FIELD | {"dept_staff"}  # the registries, the 工作台 and an inspection's record
EDITORS = frozenset({"office", "admin"})  # registries, plans, tasks, draws: not the leader, who approves them
DECIDERS = frozenset({"leader"})  # approvals: leaders only (APPROVALS_ADMIN_DECIDES off), finding 11
AUDIT_READERS = frozenset({"leader", "admin"})
ADMIN = frozenset({"admin"})

DECISIONS: dict[str, frozenset] = {
    # the portal, the PWA shell, logging in and out: no account needed
    **{f"{e} GET": EVERYONE for e in (
        "root", "meta.health", "api-docs.openapi_json", "pwa.root_redirect", "pwa.index", "pwa.asset",
        "pwa.service_worker", "pwa.version", "office.login", "public.index", "public.audit_heads",
        "public.audit_heads_json", "public.draw_method", "public.items", "public.plans", "public.results",
        "public.tasks", "public.task_detail", "public.draw_record", "public.draw_bundle", "public.draw_listing", "static", "favicon")},
    "auth.issue POST": EVERYONE, "office.login POST": EVERYONE, "office.logout POST": EVERYONE,
    "office.change_password GET": SIGNED_IN, "office.change_password POST": SIGNED_IN,
    # the phone's API
    "auth.revoke DELETE": PHONE, "inspections.detail GET": PHONE, "inspections.receipt GET": PHONE,
    "documents.record_pdf GET": PHONE, "media.download GET": PHONE, "media.head HEAD": PHONE,
    "media.put PUT": PHONE, "media.download_thumb GET": PHONE, "sync.pull GET": PHONE, "sync.push POST": PHONE,
    # desk checks (书面检查 / 网络监测) are an inspector's own work
    **{f"office.{e}": PHONE for e in ("desk_checks GET", "desk_check GET", "desk_answers POST",
                                      "desk_evidence POST", "desk_finding POST", "desk_submit POST")},
    # what an inspector may read in the office too: registries, their own inspections and documents
    **{f"office.{e} GET": FIELD for e in (
        "documents_index", "document_notice", "document_record", "task_documents")},
    # …and what a department's staff reads as well (scoped to its department in the services)
    **{f"office.{e} GET": FIELD_READERS for e in (
        "dashboard", "inspection_detail", "inspectors", "inspector_detail", "items", "item_detail", "media_file",
        "media_thumb", "targets", "target_detail")},
    # staff: review, referral, credit, publication, plans and tasks to read
    **{f"office.{e}": STAFF for e in (
        "registry_export GET", "approvals GET", "credit_records GET", "credit_repair POST", "draw_record GET",
        "plan_export_xlsx GET", "document_plan GET",
        "publications_export GET", "publications_fill POST",
        "publications_request POST", "referrals GET", "referral_detail GET", "referral_action POST",
        "document_referral GET", "referral_new GET", "referral_new POST",
        "review_approve POST", "review_handle_late POST", "credit_create POST", "review_return POST",
        "review_acknowledge_flag POST",
        "document_task_notices GET", "document_publications GET", "document_task_records GET",
        "violation_close POST", "violation_no_referral POST")},
    **{f"office.{e}": READERS for e in (
        "inspections GET", "plans GET", "plan_detail GET", "publications GET", "publication_detail GET",
        "review_queue GET", "review_detail GET", "task_detail GET")},
    "office.upper_results GET": READERS,
    # 督查: the 法制股 (office role), leaders and the admin
    "office.oversight GET": STAFF, "office.oversight_export GET": STAFF,
    # 发起定向抽查 / 发起靶向检查 open a task form: those who write tasks
    **{f"office.{e} GET": EDITORS for e in ("task_start_risk", "task_start_targets", "task_start_referral",
                                             "task_start_target")},
    **{f"office.{e} GET": STAFF for e in ("stats", "stats_records", "stats_export", "stats_annual", "stats_monthly")},
    # editors: the registries, plans, tasks and draws
    **{f"office.{e}": EDITORS for e in (
        "registry_import GET", "registry_import POST", "registry_template GET", "supplementary_draw GET",
        "supplementary_draw POST", "supplementary_request POST", "inspector_edit GET", "inspector_edit POST",
        "inspector_add_recusal POST", "inspector_remove_recusal POST", "inspector_new GET", "inspector_new POST",
        "item_edit GET", "item_edit POST", "item_new GET", "item_new POST", "plan_create POST", "plan_adjust POST",
        "plan_edit POST", "plan_publish POST", "plan_submit POST", "task_new GET", "task_new POST",
        "target_edit GET", "target_edit POST", "target_add_rating POST", "target_new GET", "target_new POST",
        "task_close POST", "draw_page GET", "draw_page POST", "task_edit GET", "task_edit POST",
        "task_publish POST", "upper_list_import POST", "upper_list_add POST", "draw_seal POST",
        "supplementary_seal POST", "staffing_request POST")},
    # 联合抽查: a cooperating department's own draw, by the office or that department's staff (checked in the service)
    **{f"office.{e}": EDITORS | {"dept_staff"} for e in (
        "department_draw GET", "department_draw POST", "department_seal POST",
        # …and its own 补派 and 递补 in its part (the department is checked in the service)
        "department_staffing_request POST", "department_replacement_request POST", "department_request_draw GET",
        "department_request_draw POST", "department_request_seal POST")},
    "office.publication_publish_own POST": frozenset({"dept_staff"}),  # 谁检查、谁公开: its own department's items
    # …and its staff decline, correct or withdraw its own records, the bureau's staff the bureau's (the service
    # refuses the other side's record; the matrix's record id matches none, so the route itself is open)
    **{f"office.{e} POST": READERS for e in (
        "publication_correct", "publication_decline", "publication_flag", "publication_withdraw")},
    # review_approve / review_return (above, STAFF) are open to dept_staff too, for its own part of a joint
    # inspection; the matrix's inspection is not joint, so the service refuses it (403) — tests/server/followup/
    # test_joint_review.py has the department's own part
    "office.decide_here POST": DECIDERS, "office.approvals_decide POST": DECIDERS,
    "office.audit_log GET": AUDIT_READERS, "office.audit_log_verify POST": AUDIT_READERS,
    "office.audit_log_publish_head POST": AUDIT_READERS,
    # the administrator: accounts, sessions, login throttles, devices
    **{f"office.{e}": ADMIN for e in (
        "devices GET", "revoke_device POST", "login_throttles GET", "login_throttle_clear POST", "users GET",
        "user_create POST", "user_activate POST", "user_deactivate POST", "user_reset_password POST",
        "user_end_sessions POST", "user_clear_throttles POST", "departments GET", "department_create POST",
        "department_edit GET", "department_edit POST", "department_activate POST", "department_deactivate POST")},
}


def _keys(app) -> list[str]:
    return [f"{endpoint} {method}" for endpoint, method, _ in mk.requests(app)]


def test_every_route_has_a_decision(app):
    undecided = [k for k in _keys(app) if k not in DECISIONS]
    assert not undecided, f"这些路由还没有授权决定，请在 DECISIONS 中写明谁可以访问：{undecided}"
    stale = sorted(set(DECISIONS) - set(_keys(app)))
    assert not stale, f"这些决定对应的路由已不存在，请删除：{stale}"


def test_the_authorization_matrix(app, session):
    inst = mk.seed(app)
    wrong = []
    for role in mk.ROLES:
        for (endpoint, method), (verdict, status) in mk.run_role(app, inst, role).items():
            expected = "allowed" if role in DECISIONS.get(f"{endpoint} {method}", ()) else "denied"
            if verdict != expected:
                wrong.append(f"{endpoint} {method} as {role}: {verdict} ({status}), expected {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("admin_decides,expected", [(False, "denied"), (True, "allowed")])
def test_admins_decide_approvals_only_where_configured(app, session, admin_decides, expected):
    from server.services.kernel import approvals
    mk.seed(app)
    approvals.configure(admin_decides=admin_decides)
    try:
        client = mk.client_for(app, "admin")
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "office.approvals_decide")
        verdict, _ = mk.call(app, client, mk.Installation({}, ""), "admin", rule.endpoint, "POST", rule)
    finally:
        approvals.configure(admin_decides=False)
    assert verdict == expected

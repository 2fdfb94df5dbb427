"""Annual plans (年度抽查计划) and their kept versions (DESIGN §3 rule 7).

draft → (leader approves) approved → published; a published plan is adjusted by opening a new
version: adjusting → (reason + leader approval) approved → published again. Older versions stay,
marked superseded, and remain visible; tasks are drawn under the version in force.
"""
from __future__ import annotations

import copy

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.approvals import Approval
from server.models.planning import Plan, PlanVersion
from server.models.registry import Department
from server.models.types import utcnow
from server.services.kernel import approvals, audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import DEPT_STAFF, READERS, require_role
from server.services.planning import plan_rows

EDITORS = ("admin", "office")
PLAN_STATUSES = {"draft": "草稿", "adjusting": "调整中", "approved": "已批准待公布", "published": "已公布"}
VERSION_STATUSES = {"draft": "草稿", "adjusting": "调整中", "approved": "已批准待公布", "published": "已公布",
                    "superseded": "已被新版本取代"}
ENTRY_FIELDS = plan_rows.DISPLAY_FIELDS
ENTRY_LABELS = plan_rows.LABELS
MAX_ENTRIES = 100


def get_plan(session: Session, plan_id: int) -> Plan:
    return get_or_raise(session, Plan, plan_id, "抽查计划不存在")


def list_plans(session: Session, actor) -> list[Plan]:
    """Every plan, newest year first; a department's staff see the published ones (and, in them, their tasks)."""
    require_role(actor, *READERS)
    stmt = select(Plan).order_by(Plan.year.desc(), Plan.code)
    if actor.role == DEPT_STAFF:
        stmt = stmt.where(Plan.published_version.is_not(None))
    return list(session.scalars(stmt))


def get_readable_plan(session: Session, actor, plan_id: int) -> Plan:
    """A plan for reading: staff read any; a department's staff only a published one."""
    require_role(actor, *READERS)
    plan = get_plan(session, plan_id)
    if actor.role == DEPT_STAFF and plan.published_version is None:
        raise PermissionDenied("该计划尚未公布，部门工作人员只能查看已公布的计划")
    return plan


def readable_version(plan: Plan, actor) -> PlanVersion:
    """The version a reader sees: the newest for the bureau's staff, the one in force for a department's."""
    return in_force(plan) if actor.role == DEPT_STAFF else current(plan)


def current(plan: Plan) -> PlanVersion:
    """The newest version (the one being edited, awaiting approval or in force)."""
    return plan.versions[-1]


def in_force(plan: Plan) -> PlanVersion | None:
    """The version published last, which tasks follow; None before the first publication."""
    return next((v for v in plan.versions if v.version == plan.published_version), None)


def pending_approval(session: Session, plan: Plan) -> Approval | None:
    return session.scalar(select(Approval).where(
        Approval.kind.in_(("plan_approval", "plan_adjustment")), Approval.object_type == "plans",
        Approval.object_id == str(plan.id), Approval.status == "pending"))


def _clean_content(session: Session, plan: Plan | None, description: str, entries) -> dict:
    """The version content: its description and its rows, checked; row keys carried through versions."""
    before = {r.get("key"): r for r in (current(plan).content.get("entries", []) if plan else [])}
    rows = []
    for entry in entries or ():
        key = str(entry.get("key") or "").strip()
        row = plan_rows.clean_row(session, entry, len(rows) + 1, before.get(key) or {})
        if row is not None:
            rows.append((key, row))
    if len(rows) > MAX_ENTRIES:
        raise ValidationError(f"一个计划最多 {MAX_ENTRIES} 项")
    used = plan_rows.used_keys(plan.versions) if plan else set()
    return {"description": (description or "").strip(), "entries": plan_rows.assign_keys(rows, used)}


def create_plan(session: Session, actor, *, year: int, name: str, code: str = "", department_id: int | None = None,
                description: str = "", entries=()) -> Plan:
    """A new plan in draft, with its first version."""
    require_role(actor, *EDITORS)
    errors = {}
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        errors["year"] = "请填写正确的年度（如 2024）"
    if not (name or "").strip():
        errors["name"] = "请填写计划名称"
    if department_id and session.get(Department, department_id) is None:
        errors["department_id"] = "所选部门不存在"
    if errors:
        raise ValidationError("计划信息有误：" + "；".join(errors.values()), errors=errors)
    code = (code or "").strip() or _next_code(session, year)
    if session.scalar(select(Plan.id).where(Plan.year == year, Plan.code == code)):
        raise Conflict(f"{year} 年已有编号为 {code} 的计划")
    content = _clean_content(session, None, description, entries)
    plan = Plan(code=code, year=year, name=name.strip(), department_id=department_id or None, status="draft",
                current_version=1, created_by_id=actor.id)
    plan.versions = [PlanVersion(version=1, status="draft", content=content, created_by_id=actor.id)]
    session.add(plan)
    session.flush()
    audit.record(session, actor, "plan.create", plan, detail={"code": code, "year": year, "name": plan.name})
    return plan


def _next_code(session: Session, year: int) -> str:
    n = (session.scalar(select(func.count(Plan.id)).where(Plan.year == year)) or 0) + 1
    while session.scalar(select(Plan.id).where(Plan.year == year, Plan.code == f"JH{year}{n:02d}")):
        n += 1
    return f"JH{year}{n:02d}"


def _editable_version(session: Session, plan: Plan) -> PlanVersion:
    version = current(plan)
    if version.status not in ("draft", "adjusting"):
        raise Conflict(f"计划当前为“{VERSION_STATUSES[version.status]}”状态，不能修改；如需调整请先发起计划调整")
    if pending_approval(session, plan):
        raise Conflict("计划正在等待领导审批，审批完成前不能修改")
    return version


def update_plan(session: Session, actor, plan_id: int, *, name: str | None = None, description: str = "",
                entries=()) -> Plan:
    """Edit the draft (or the adjustment being prepared); older versions never change."""
    require_role(actor, *EDITORS)
    plan = get_plan(session, plan_id)
    version = _editable_version(session, plan)
    if name is not None:
        if not name.strip():
            raise ValidationError("请填写计划名称", errors={"name": "必填"})
        plan.name = name.strip()
    version.content = _clean_content(session, plan, description, entries)
    session.flush()
    audit.record(session, actor, "plan.update", plan, detail={"version": version.version,
                                                              "entries": len(version.content["entries"])})
    return plan


def submit_plan(session: Session, actor, plan_id: int, reason: str = "") -> Approval:
    """Ask a leader to approve the draft, or the adjustment (which needs its reason)."""
    require_role(actor, *EDITORS)
    plan = get_plan(session, plan_id)
    version = _editable_version(session, plan)
    if not version.content.get("entries"):
        raise ValidationError("计划中还没有任何抽查任务安排，请先填写后再提交审批")
    adjusting = version.status == "adjusting"
    reason = (reason or "").strip()
    if adjusting and not reason:
        raise ValidationError("调整年度抽查计划必须填写调整理由", errors={"reason": "必填"})
    if adjusting:
        version.reason = reason
    title = f"{'调整' if adjusting else '审批'}年度抽查计划：{plan.name}（第 {version.version} 版）"
    payload = {"version": version.version}
    changes = changes_under_review(session, plan) if adjusting else None
    if changes is not None:  # the inbox says at once how much the adjustment changes; the plan page shows it
        counts = {k: sum(c["kind"] == k for c in changes["rows"]) for k in plan_rows.DIFF_LABELS}
        payload["changes"] = counts
        parts = [f"{plan_rows.DIFF_LABELS[k]} {n} 项" for k, n in counts.items() if n]
        title += "：" + ("、".join(parts) if parts else "各项安排未变")
    return approvals.request(session, actor, kind="plan_adjustment" if adjusting else "plan_approval", obj=plan,
                             title=title, reason=reason or "提请审批年度抽查计划", payload=payload)


def _on_approved(session: Session, actor, approval: Approval) -> None:
    plan = get_plan(session, int(approval.object_id))
    version = current(plan)
    if version.version != approval.payload.get("version"):
        raise Conflict("计划已有更新的版本，此审批已失效")
    version.status = "approved"
    version.approved_by_id = actor.id
    version.approved_at = utcnow()
    plan.status = "approved"
    audit.record(session, actor, "plan.approve", plan, detail={"version": version.version},
                 reason=approval.decision_note)


def _on_rejected(session: Session, actor, approval: Approval) -> None:
    plan = get_plan(session, int(approval.object_id))
    audit.record(session, actor, "plan.reject", plan, detail={"version": current(plan).version},
                 reason=approval.decision_note)


APPROVAL_KINDS = [("plan_approval", "年度抽查计划审批", _on_approved, _on_rejected),
                  ("plan_adjustment", "年度抽查计划调整", _on_approved, _on_rejected)]


def publish_plan(session: Session, actor, plan_id: int) -> Plan:
    """Publish the approved version; the one it replaces is kept, marked superseded."""
    require_role(actor, *EDITORS)
    plan = get_plan(session, plan_id)
    version = current(plan)
    if version.status != "approved":
        raise Conflict("计划须经领导批准后才能公布")
    previous = in_force(plan)
    if previous is not None:
        previous.status = "superseded"
    version.status = "published"
    version.published_at = utcnow()
    plan.status = "published"
    plan.published_version = version.version
    session.flush()
    action = "plan.republish" if previous is not None else "plan.publish"
    audit.record(session, actor, action, plan, detail={"version": version.version}, reason=version.reason)
    return plan


def start_adjustment(session: Session, actor, plan_id: int) -> PlanVersion:
    """Open a new version of a published plan, starting from the content in force."""
    require_role(actor, *EDITORS)
    plan = get_plan(session, plan_id)
    if plan.status != "published":
        raise Conflict("只有已公布的计划才能调整；当前计划状态为“" + PLAN_STATUSES.get(plan.status, plan.status) + "”")
    base = current(plan)
    version = PlanVersion(version=base.version + 1, status="adjusting", content=copy.deepcopy(base.content),
                          created_by_id=actor.id)
    plan.versions.append(version)
    plan.current_version = version.version
    plan.status = "adjusting"
    session.flush()
    audit.record(session, actor, "plan.adjust", plan, detail={"version": version.version})
    return version


def published_plans(session: Session) -> list[Plan]:
    """Plans with at least one published version, for the public portal."""
    return list(session.scalars(select(Plan).where(Plan.published_version.is_not(None))
                                .order_by(Plan.year.desc(), Plan.code)))


def public_versions(plan: Plan) -> list[PlanVersion]:
    """The versions the public sees: every one that was published, newest first."""
    return [v for v in reversed(plan.versions) if v.published_at is not None]



def row_by_key(version: PlanVersion | None, key: str) -> dict | None:
    return next((r for r in (version.content.get("entries", []) if version else []) if r.get("key") == key), None)


def changes_under_review(session: Session, plan: Plan) -> dict | None:
    """What the newest version changes against the one in force, row by row; None when there is nothing to
    compare (a first version, or the version in force is the newest)."""
    base, version = in_force(plan), current(plan)
    if base is None or base.version == version.version:
        return None
    names = plan_rows.Names.load(session)
    old, new = base.content, version.content
    return {"base": base, "version": version, "rows": plan_rows.diff(old.get("entries", []), new.get("entries", []),
                                                                      names),
            "description": (old.get("description", ""), new.get("description", ""))
            if old.get("description", "") != new.get("description", "") else None}


def row_choices(session: Session, version: PlanVersion) -> dict:
    """What a row of the plan form may name: published items and active departments, plus any the rows name
    already (an item retired or a department deactivated since stays, so saving never drops it)."""
    from server.models.registry import InspectionItem
    rows = version.content.get("entries", [])
    item_ids = {i for r in rows for i in r.get("item_ids") or ()}
    dept_ids = {d for r in rows for d in r.get("department_ids") or ()}
    items = session.scalars(select(InspectionItem).where(
        (InspectionItem.status == "published") | InspectionItem.id.in_(item_ids)).order_by(InspectionItem.code))
    depts = session.scalars(select(Department).where(Department.is_active.is_(True) | Department.id.in_(dept_ids))
                            .order_by(Department.code))
    return {"items": list(items), "departments": list(depts)}

"""工作台 panels of the follow-up area: review queue and publication clocks, referral clocks,
risk-level changes, pending approvals, and the inspector's own desk inspections."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models.approvals import Approval
from server.models.followup import Publication, Referral, Violation
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Task
from server.models.registry import Target
from server.services.fieldwork import desk_checks
from server.services.followup import credit, joint_review, publication, referrals
from server.services.kernel import approvals
from server.services.kernel.permissions import task_condition
from server.services.kernel.workdays import (ONE_DAY, deadline_text, earliest_start_not_overdue, local_date,
                                      local_midnight_utc, today, workdays_between)

WAITING = ("pending_evidence", "submitted", "returned")
SHOWN = 5


def _boundaries(on: dt.date) -> tuple[dt.date, dt.date]:
    """(overdue before, warned before): completion days whose publication clock is past 20 / 15 days."""
    return (earliest_start_not_overdue(on, publication.PUBLISH_WORKING_DAYS),
            earliest_start_not_overdue(on + ONE_DAY, publication.PUBLISH_WARN_DAYS))


def _count(session: Session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def publication_clock_panel(session: Session, on: dt.date | None = None) -> dict:
    """Results waiting for review or publication, with those past 15 and past 20 working days."""
    on = on or today()
    overdue_day, warned_day = _boundaries(on)
    overdue_before, warned_before = local_midnight_utc(overdue_day), local_midnight_utc(warned_day)
    # publication.clock_start in SQL, without its submitted_at fallback: a result still waiting for its files
    # (pending_evidence, never completed) has no clock running yet.
    started = func.coalesce(Inspection.first_completed_at, Inspection.completed_at)
    waiting = (select(started, Target.name, Task.code).join(Target, Target.id == Inspection.target_id)
               .join(Task, Task.id == Inspection.task_id).where(Inspection.status.in_(WAITING)))
    late_reviews = session.execute(waiting.where(started < overdue_before).order_by(started).limit(SHOWN)).all()
    n_late_reviews = _count(session, waiting.where(started < overdue_before))
    n_warn_reviews = _count(session, waiting.where(started < warned_before))
    unpublished = select(Publication).where(Publication.status.in_(("draft", "pending")))
    late_pubs = session.scalars(unpublished.where(Publication.due_on < on).order_by(Publication.due_on)
                                .limit(SHOWN)).all()
    n_late_pubs = _count(session, unpublished.where(Publication.due_on < on))
    n_warn_pubs = _count(session, unpublished.where(Publication.completed_on < warned_day, Publication.due_on >= on))
    # the bureau's own part still open; a joint inspection it has approved waits on a department instead
    submitted = session.scalar(select(func.count(Inspection.id)).where(Inspection.status == "submitted",
                                                                       ~joint_review.bureau_approved()))
    on_departments = session.scalar(select(func.count(Inspection.id)).where(Inspection.status == "submitted",
                                                                            joint_review.bureau_approved()))
    share = publication.share(session)
    rows = [("待审核的检查结果", submitted, "office.review_queue"),
            *([("本局已审核、待合作部门审核的联合抽查", on_departments, "office.review_queue")] if on_departments else []),
            ("公示临近到期（已过 15 个工作日）", n_warn_reviews - n_late_reviews + n_warn_pubs, "office.publications"),
            ("公示已超期（超过 20 个工作日）", n_late_reviews + n_late_pubs, "office.publications"),
            ("已审核结果公示率（目标 100%）",
             f"{share['percent']}%" if share["percent"] is not None else "暂无数据（尚无已审核结果）",
             "office.publications")]
    for completed_at, name, code in late_reviews:
        days = workdays_between(local_date(completed_at), on)
        rows.append((f"超期未审核：{name}（{code}）", f"已过 {days} 个工作日", "office.review_queue"))
    for pub in late_pubs:
        rows.append((f"超期未公示：{pub.target_name}（{pub.content.get('task_code', '')}）",
                     f"期限 {pub.due_on.isoformat()}", "office.publications"))
    return {"title": "结果审核与公示时限", "rows": rows}


def referral_panel(session: Session) -> dict:
    """Open referrals, their overdue steps, and violations not yet closed."""
    open_refs = session.scalar(select(func.count(Referral.id)).where(Referral.status.not_in(referrals.DONE)))
    overdue = session.scalars(referrals.overdue_filter(select(Referral)).order_by(Referral.due_at)).all()
    open_violations = session.scalar(select(func.count(Violation.id)).where(Violation.status == "open"))
    rows = [("办理中的移送", open_refs, "office.referrals"), ("移送步骤已超期", len(overdue), "office.referrals"),
            ("未办结的违法行为", open_violations, "office.referrals")]
    for r in overdue[:SHOWN]:
        rows.append((f"超期：{r.doc_no} {referrals.DUE_LABELS.get(r.due_step, r.due_step)}",
                     f"期限 {deadline_text(r.due_at)}", "office.referrals"))
    return {"title": "移送与违法行为处置", "rows": rows}


def risk_panel(session: Session, actor=None) -> dict:
    """Targets whose derived risk level changed in the last 30 days (the next draw uses the new level); those who
    write tasks may start a 定向 task on them from here (发起定向抽查)."""
    changes = credit.recent_changes(session, days=30, limit=SHOWN)
    rows = [(f"{c.target.name}", f"{credit.level_label(c.old_level)} → {credit.level_label(c.new_level)}", None)
            for c in changes]
    if rows and actor is not None and actor.role in ("admin", "office"):
        rows.append(("发起定向抽查", "以预警对象为范围新建定向抽查任务", "office.task_start_risk"))
    return {"title": "风险等级变化预警（近 30 天）", "rows": rows or [("暂无风险等级变化", "—", None)]}


def department_panel(session: Session, actor) -> dict:
    """The review and publication work of a department's staff (谁检查、谁审核、谁公开): the joint inspections
    whose part their department checked and has not yet approved, and their department's publication records
    not yet published."""
    waiting = session.scalar(select(func.count(Inspection.id)).where(
        Inspection.status == "submitted", task_condition(session, actor, Inspection.task_id),
        joint_review.pending_condition(session, actor))) or 0
    drafts = session.scalar(select(func.count(Publication.id)).where(
        Publication.department_id == actor.department_id, Publication.status.in_(("draft", "pending")))) or 0
    return {"title": "本部门审核与公示", "rows": [("待本部门审核的检查结果", waiting, "office.review_queue"),
                                           ("本部门待公示的结果", drafts, "office.publications")]}


def panels(session: Session, actor) -> list[dict]:
    """The follow-up panels this user should see on the 工作台."""
    if actor is None:
        return []
    if actor.role == "inspector":
        mine = session.scalar(select(func.count(Inspection.id)).join(InspectionMember).where(
            InspectionMember.inspector_id == actor.inspector_id, InspectionMember.active.is_(True),
            Inspection.mode.in_(desk_checks.DESK_MODES), Inspection.status.in_(desk_checks.EDITABLE)))
        return [{"title": "我的书面检查 / 网络监测", "rows": [("待录入的检查", mine, "office.desk_checks")]}]
    out = [publication_clock_panel(session), referral_panel(session), risk_panel(session, actor)]
    if approvals.may_decide(actor):
        pending = session.scalar(select(func.count(Approval.id)).where(Approval.status == "pending"))
        out.insert(0, {"title": "待我审批", "rows": [("待审批事项", pending, "office.approvals")]})
    return out

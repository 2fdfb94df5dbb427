"""Publication (公示) of approved results in the structure of gsxt's 双随机抽查结果信息.

States: draft → pending (a leader's approval, kind `publication`, batch allowed) → published;
pending → draft when refused; draft → not_published with a recorded reason; published → published
(a correction, revision + 1) or → withdrawn. Clocks: 20 working days from completion to publication
(warning at 15); a correction within 5 working days of the error being confirmed; a withdrawal within
3 working days of the decision being overturned (《行政处罚法》第四十八条, "日" = 工作日 by 第八十五条).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.approvals import Approval
from server.models.followup import Publication, PublicationRevision
from server.models.inspections import Inspection
from server.models.types import utcnow
from server.services.fieldwork import record_view
from server.services.followup import joint_publication
from server.services.kernel import approvals, audit
from server.services.kernel.paging import PER_PAGE, Page, get_or_raise, paginate
from server.services.kernel.permissions import (DEPT_STAFF, READERS, in_scope, require_role, require_staff,
                                                 task_condition)
from server.services.kernel.workdays import add_workdays, local_date, parse_date, today, workday_clock
from server.vocab import ResultCategory

DEFAULT_AUTHORITY = "阳城县交通运输局"
PUBLISH_WORKING_DAYS, PUBLISH_WARN_DAYS = 20, 15
CORRECTION_WORKING_DAYS, WITHDRAWAL_WORKING_DAYS = 5, 3
STATUS_LABELS = {"draft": "待提交审批", "pending": "待领导审批", "published": "已公示", "withdrawn": "已撤回",
                 "not_published": "不予公示（已记录理由）"}
ACTION_LABELS = {"publish": "公示", "correct": "更正", "withdraw": "撤回", "decline": "不予公示"}
TYPE_LABELS = {"undirected": "不定向", "directed": "定向", "targeted": "定向"}
NO_PROBLEM = ResultCategory.NO_PROBLEM.label


def result_text(codes: list[str]) -> str:
    """The 检查结果 text of one item from its result category codes."""
    labels = [m.label for c in codes if (m := ResultCategory.by_label(c)) is not None]
    return "、".join(labels) or NO_PROBLEM


def clock_start(inspection: Inspection):
    """When the publication clock started: the first completion (a resubmission does not restart it)."""
    return inspection.first_completed_at or inspection.completed_at or inspection.submitted_at


def build_content(inspection: Inspection, item_results: list[dict], authority: str) -> dict:
    """The gsxt record: plan, task, type, authority, completion date and per-item results."""
    task, plan = inspection.task, inspection.task.plan
    completed = local_date(clock_start(inspection) or utcnow())
    return {
        "plan_code": plan.code if plan else "", "plan_name": plan.name if plan else "",
        "task_code": task.code, "task_name": task.name, "type": TYPE_LABELS.get(task.task_type, "不定向"),
        "authority": authority, "completed_on": completed.isoformat(),
        "target_name": inspection.target.name, "target_uscc": inspection.target.uscc,
        "items": [{"seqno": i + 1, "item_name": r["item_name"], "result": result_text(r["codes"]),
                   "codes": list(r["codes"])} for i, r in enumerate(item_results)],
    }


EVERY_PART = object()


def draft_for(session: Session, actor, inspection: Inspection, item_results: list[dict],
              authority: str = DEFAULT_AUTHORITY, *, only=EVERY_PART) -> Publication | None:
    """The publication record of an approved inspection, created as a draft (or refreshed while a draft); a joint
    inspection gets one per department that checked items (谁检查、谁公开), the bureau's first. `only`: the one
    department (None: the bureau) whose part of a joint inspection was just approved."""
    made = [_draft_part(session, actor, inspection, results, name or authority, dept_id)
            for dept_id, name, results in joint_publication.parts(session, inspection, item_results)
            if only is EVERY_PART or dept_id == only]
    return made[0] if made else None


def _draft_part(session: Session, actor, inspection: Inspection, item_results: list[dict], authority: str,
                department_id: int | None) -> Publication:
    content = build_content(inspection, item_results, authority)
    pub = session.scalar(select(Publication).where(Publication.inspection_id == inspection.id,
                                                   joint_publication.of_department(department_id)))
    completed = dt.date.fromisoformat(content["completed_on"])
    if pub is None:
        pub = Publication(inspection_id=inspection.id, department_id=department_id, target_id=inspection.target_id,
                          content=content,
                          target_name=inspection.target.name, target_uscc=inspection.target.uscc,
                          completed_on=completed, due_on=add_workdays(completed, PUBLISH_WORKING_DAYS))
        session.add(pub)
        session.flush()
        audit.record(session, actor, "publication.draft", pub, detail={"inspection": inspection.id})
    elif pub.status == "draft":
        pub.content = content
    return pub


def _missing_stmt():
    return select(Inspection).where(Inspection.status == "approved", ~select(Publication.id).where(
        Publication.inspection_id == Inspection.id).exists())


def count_missing(session: Session) -> int:
    """Approved inspections without a publication record."""
    return session.scalar(select(func.count()).select_from(_missing_stmt().subquery())) or 0


def draft_missing(session: Session, actor, authority: str = DEFAULT_AUTHORITY) -> int:
    """Create the draft of every approved inspection that has none; returns how many were made."""
    require_staff(actor)
    done = 0
    for insp in session.scalars(_missing_stmt()).all():
        record = record_view.load(session, insp)
        draft_for(session, actor, insp, record_view.item_results(insp, record), authority)
        done += 1
    return done


def clock(pub: Publication, on: dt.date | None = None):
    """The 20-working-day publication clock of a record."""
    done = local_date(pub.first_published_at) if pub.first_published_at else None
    if done is None and pub.status == "not_published" and pub.revisions:
        done = local_date(pub.revisions[-1].at)
    return workday_clock(pub.completed_on, PUBLISH_WORKING_DAYS, PUBLISH_WARN_DAYS, on=on, done_on=done)


def _get(session: Session, pub_id: int) -> Publication:
    return get_or_raise(session, Publication, pub_id, "公示记录不存在")


def get(session: Session, actor, pub_id: int) -> Publication:
    """One publication record for reading in the office (NotFound if there is none); a department's staff
    only see the results of the tasks their department takes part in."""
    pub = _get(session, pub_id)
    if not in_scope(actor, pub.inspection.task.department_ids):
        raise PermissionDenied("该公示记录所属的抽查任务没有您所在的部门参与，您无权查看")
    return pub


def _revise(session: Session, actor, pub: Publication, action: str, reason: str, *, since=None, due=None,
            on_time=None) -> PublicationRevision:
    rev = PublicationRevision(publication_id=pub.id, revision=pub.revision, action=action,
                              content=dict(pub.content), reason=reason, since=since, due_on=due, on_time=on_time,
                              actor_id=getattr(actor, "id", None))
    session.add(rev)
    session.flush()
    session.expire(pub, ["revisions"])
    return rev


def request_approval(session: Session, actor, pub_ids: list[int], reason: str = "") -> list[Approval]:
    """Ask a leader to approve publishing these drafts (each becomes one approval; batch approval allowed)."""
    require_staff(actor)
    if not pub_ids:
        raise ValidationError("请至少选择一条待公示记录")
    made = []
    for pub_id in pub_ids:
        pub = _get(session, pub_id)
        joint_publication.refuse_other_department(session, pub)
        if pub.status != "draft":
            raise Conflict(f"“{pub.target_name}”的公示记录当前为“{STATUS_LABELS[pub.status]}”，不能提交审批")
        joint_publication.require_inspection_approved(pub)
        c = pub.content
        made.append(approvals.request(
            session, actor, kind="publication", obj=pub,
            title=f"公示抽查结果：{pub.target_name}（{c['task_code']} {c['task_name']}）",
            reason=(reason or "").strip() or "检查结果已审核通过，申请公示"))
        pub.status = "pending"
    session.flush()
    return made


def _on_approved(session: Session, actor, approval: Approval) -> None:
    pub = _get(session, int(approval.object_id))
    if pub.status != "pending":
        raise Conflict("该公示记录已不在待审批状态")
    now = utcnow()
    pub.status, pub.revision, pub.published_at = "published", pub.revision + 1, now
    pub.first_published_at = pub.first_published_at or now
    c = clock(pub, on=local_date(now))
    _revise(session, actor, pub, "publish", approval.decision_note, due=pub.due_on, on_time=c.state == "done")
    audit.record(session, actor, "publication.publish", pub, detail={"revision": pub.revision})


def _on_rejected(session: Session, actor, approval: Approval) -> None:
    pub = _get(session, int(approval.object_id))
    pub.status = "draft"
    audit.record(session, actor, "publication.refused", pub, reason=approval.decision_note)


APPROVAL_KINDS = [("publication", "抽查结果公示", _on_approved, _on_rejected)]


def publish_own(session: Session, actor, pub_id: int, note: str = "") -> Publication:
    """联合抽查: a cooperating department's staff publishes the results of the items it checked (谁检查、谁公开)."""
    require_role(actor, DEPT_STAFF)
    pub = get(session, actor, pub_id)
    joint_publication.require_own(session, actor, pub)
    if pub.status != "draft":
        raise Conflict(f"公示记录当前为“{STATUS_LABELS[pub.status]}”，不能再公开")
    joint_publication.require_inspection_approved(pub)
    now = utcnow()
    pub.status, pub.revision, pub.published_at = "published", pub.revision + 1, now
    pub.first_published_at = pub.first_published_at or now
    _revise(session, actor, pub, "publish", (note or "").strip() or "本部门审核后公开", due=pub.due_on,
            on_time=clock(pub, on=local_date(now)).state == "done")
    audit.record(session, actor, "publication.publish", pub, detail={"revision": pub.revision,
                                                                      "department": pub.department_id})
    return pub


def _handled(session: Session, actor, pub_id: int, verb: str) -> Publication:
    """The record `actor` may decline, correct or withdraw: the bureau's staff the bureau's records, a cooperating
    department's staff its own department's (谁检查、谁公开)."""
    require_role(actor, *READERS)
    pub = get(session, actor, pub_id)
    joint_publication.require_handler(session, actor, pub, verb)
    return pub


def decline(session: Session, actor, pub_id: int, reason: str) -> Publication:
    """Record that an approved result will not be published, and why (counts toward the 100% goal); a cooperating
    department's record by that department's staff."""
    pub = _handled(session, actor, pub_id, "记录不予公示")
    if pub.status != "draft":
        raise Conflict(f"公示记录当前为“{STATUS_LABELS[pub.status]}”，只有待提交审批的记录可以记录不予公示")
    joint_publication.require_inspection_approved(pub)
    if not (reason or "").strip():
        raise ValidationError("请填写不予公示的理由", errors={"reason": "必填"})
    pub.status, pub.decline_reason = "not_published", reason.strip()
    _revise(session, actor, pub, "decline", reason.strip())
    audit.record(session, actor, "publication.decline", pub, reason=reason)
    return pub


def flag(session: Session, actor, pub_id: int, action: str, reason: str, since) -> Publication:
    """Start the clock of a needed correction (error confirmed) or withdrawal (decision overturned)."""
    pub = _handled(session, actor, pub_id, "登记更正或撤回")
    if pub.status != "published":
        raise Conflict("只有已公示的记录需要更正或撤回")
    if action not in ("correct", "withdraw"):
        raise ValidationError("未知的处理类型")
    if not (reason or "").strip():
        raise ValidationError("请填写需要更正或撤回的原因", errors={"reason": "必填"})
    label = "错误核实日期" if action == "correct" else "处罚决定被变更、撤销或确认违法、无效的日期"
    day = parse_date(since, "since", label)
    days = CORRECTION_WORKING_DAYS if action == "correct" else WITHDRAWAL_WORKING_DAYS
    pub.pending_action, pub.pending_reason, pub.pending_since = action, reason.strip(), day
    pub.pending_due = add_workdays(day, days)
    audit.record(session, actor, f"publication.flag_{action}", pub, detail={"since": day, "due": pub.pending_due},
                 reason=reason)
    return pub


def _settle_pending(pub: Publication, action: str, reason: str, since) -> tuple[str, dt.date | None,
                                                                                 dt.date | None, bool | None]:
    if pub.pending_action == action:
        reason = (reason or "").strip() or pub.pending_reason
        since_day, due = pub.pending_since, pub.pending_due
    else:
        label = "错误核实日期" if action == "correct" else "决定被撤销或变更的日期"
        since_day = parse_date(since, "since", label)
        days = CORRECTION_WORKING_DAYS if action == "correct" else WITHDRAWAL_WORKING_DAYS
        due = add_workdays(since_day, days)
    if not (reason or "").strip():
        raise ValidationError("请填写更正或撤回的理由", errors={"reason": "必填"})
    pub.pending_action, pub.pending_reason, pub.pending_since, pub.pending_due = "", "", None, None
    return reason.strip(), since_day, due, today() <= due


def correct(session: Session, actor, pub_id: int, item_codes: dict[int, list[str]], reason: str,
            since=None) -> Publication:
    """Correct a published record's per-item results (revision + 1; the previous revision is kept)."""
    pub = _handled(session, actor, pub_id, "更正")
    if pub.status != "published":
        raise Conflict("只有已公示的记录可以更正")
    items = [dict(i) for i in pub.content["items"]]
    for item in items:
        codes = [c for c in item_codes.get(item["seqno"], []) if ResultCategory.by_label(c)]
        if not codes:
            raise ValidationError(f"第 {item['seqno']} 项（{item['item_name']}）请至少选择一个检查结果",
                                  errors={f"item-{item['seqno']}": "必选"})
        item["codes"], item["result"] = codes, result_text(codes)
    if items == pub.content["items"]:
        raise ValidationError("更正后的结果与现公示内容相同，无需更正")
    reason, since_day, due, on_time = _settle_pending(pub, "correct", reason, since)
    pub.content = {**pub.content, "items": items}
    pub.revision += 1
    pub.published_at = utcnow()
    _revise(session, actor, pub, "correct", reason, since=since_day, due=due, on_time=on_time)
    audit.record(session, actor, "publication.correct", pub, detail={"revision": pub.revision, "on_time": on_time},
                 reason=reason)
    return pub


def withdraw(session: Session, actor, pub_id: int, reason: str, since=None) -> Publication:
    """Withdraw a published record (it leaves the public portal; its history stays)."""
    pub = _handled(session, actor, pub_id, "撤回")
    if pub.status != "published":
        raise Conflict("只有已公示的记录可以撤回")
    reason, since_day, due, on_time = _settle_pending(pub, "withdraw", reason, since)
    pub.status, pub.withdrawn_at = "withdrawn", utcnow()
    _revise(session, actor, pub, "withdraw", reason, since=since_day, due=due, on_time=on_time)
    audit.record(session, actor, "publication.withdraw", pub, detail={"on_time": on_time}, reason=reason)
    return pub


def _named(stmt, q: str):
    """Records whose target name contains `q` or whose USCC is `q` (any case)."""
    q = (q or "").strip()
    return stmt.where(or_(Publication.target_name.contains(q), Publication.target_uscc == q.upper())) if q else stmt


def listing(session: Session, *, status: str = "", q: str = "", page=1, per_page: int = PER_PAGE,
            actor=None) -> Page:
    """One page of the office list of publication records, newest completion first. With `actor`, only the
    records that actor may see (a department's staff: the results of the tasks its department takes part in)."""
    stmt = select(Publication)
    if actor is not None:
        stmt = stmt.join(Inspection, Inspection.id == Publication.inspection_id).where(
            task_condition(session, actor, Inspection.task_id))
    if status == "overdue":
        stmt = stmt.where(Publication.status.in_(("draft", "pending")), Publication.due_on < today())
    elif status == "pending_fix":
        stmt = stmt.where(Publication.pending_action != "")
    elif status:
        stmt = stmt.where(Publication.status == status)
    stmt = _named(stmt, q).order_by(Publication.completed_on.desc(), Publication.id.desc())
    return paginate(session, stmt, page, per_page)


def public_search(session: Session, q: str = "", page=1, per_page: int = 20) -> Page:
    """One page of published records only, searchable by name or USCC."""
    stmt = _named(select(Publication).where(Publication.status == "published"), q)
    return paginate(session, stmt.order_by(Publication.published_at.desc(), Publication.id.desc()), page, per_page)


def share(session: Session) -> dict:
    """Approved results against published ones: the 100% goal (a recorded reason counts as handled).

    With nothing approved yet the percentages are None: there is no share to report, not 100%."""
    approved = session.scalar(select(func.count(Inspection.id)).where(Inspection.status == "approved")) or 0
    counts = dict(session.execute(select(Publication.status, func.count(Publication.id))
                                  .group_by(Publication.status)).all())
    published = counts.get("published", 0) + counts.get("withdrawn", 0)
    declined = counts.get("not_published", 0)
    handled = published + declined
    return {"approved": approved, "published": published, "declined": declined,
            "open": max(approved - handled, 0),
            "percent": round(100 * handled / approved, 1) if approved else None,
            "published_percent": round(100 * published / approved, 1) if approved else None}

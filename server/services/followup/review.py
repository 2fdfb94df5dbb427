"""Review of submitted inspections: the queue with its publication clock, the detail, approve or return.

submitted → approved (review kept; publication draft and violations opened), or
submitted → returned (the note reaches the phone through Inspection.reviewer_note; the resubmission
comes back as version + 1 and is reviewed again). Every decision is an InspectionReview row. A 联合抽查
inspection with cooperating external departments is reviewed per department (followup.joint_review).
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, PermissionDenied, ValidationError
from server.models.fieldwork import LateEvidence
from server.models.followup import CreditRecord, InspectionReview, Publication, Referral, Violation
from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Target
from server.models.types import utcnow
from server.services.fieldwork import late_words, quality_flags, record_view, submit_state
from server.services.fieldwork.quality import distance_m
from server.services.followup import joint_review, publication, referrals
from server.services.kernel import audit
from server.services.kernel.paging import PER_PAGE, Page, get_or_raise, paginate
from server.services.kernel.permissions import STAFF, department_scope, in_scope, require_staff, task_condition
from server.services.kernel.workdays import local_date, workday_clock
from server.vocab import CheckpointAnswer
from sync.messages import MUTATION_LABELS
from sync.messages import STATUS_LABELS  # the one table of inspection states, for the phone and the office

MODE_LABELS = {"on_site": "现场检查", "document": "书面检查", "online": "网络监测"}
MAX_PHOTO_DISTANCE_M = 500


def publication_clock(completed_at, on=None):
    """The 20-working-day clock from completion to publication (warning at 15)."""
    return workday_clock(local_date(completed_at), publication.PUBLISH_WORKING_DAYS, publication.PUBLISH_WARN_DAYS,
                         on=on)


def queue(session: Session, actor, *, page=1, per_page: int = PER_PAGE) -> Page:
    """One page of submitted inspections, oldest submission first, each with its publication clock."""
    department_scope(actor)  # staff see every submission; a department's staff those of its tasks
    scoped = task_condition(session, actor, Inspection.task_id)
    # Page through the (status, submitted_at) index alone, then join only the rows shown: a deep page
    # skips index entries instead of joined rows.
    waiting = joint_review.pending_condition(session, actor)  # its own part of a joint inspection still open
    ids = paginate(session, select(Inspection.id).where(Inspection.status == "submitted", scoped, waiting)
                   .order_by(Inspection.submitted_at, Inspection.id), page, per_page)
    stmt = (select(Inspection.id, Inspection.version, Inspection.mode, Inspection.has_conflicts,
                   Inspection.submitted_at, Inspection.completed_at, Inspection.first_completed_at, Task.code,
                   Task.name, Target.name, Target.uscc, Task.department_ids)
            .join(Task, Task.id == Inspection.task_id).join(Target, Target.id == Inspection.target_id)
            .where(Inspection.id.in_(ids.items))
            .order_by(Inspection.submitted_at, Inspection.id))
    rows = []
    flags = quality_flags.counts(session, list(ids.items))
    for r in session.execute(stmt):
        done = publication.clock_start(r)
        mine = flags.get(r.id, {"kinds": [], "open": 0})
        rows.append({"id": r.id, "version": r.version, "mode": r.mode, "has_conflicts": r.has_conflicts,
                     "submitted_at": r.submitted_at, "task_code": r[7], "task_name": r[8], "target_name": r[9],
                     "target_uscc": r[10], "clock": publication_clock(done) if done else None,
                     "flags": [quality_flags.label(k) for k in mine["kinds"]], "open_flags": mine["open"],
                     "parts": _open_parts(session, r.id) if len(r[11] or ()) > 1 else []})
    return dataclasses.replace(ids, items=rows)


def _open_parts(session: Session, inspection_id: int) -> list[str]:
    """The departments whose part of a joint inspection waits for review (none for one that is not joint)."""
    found = joint_review.parts(session, session.get(Inspection, inspection_id))
    return [p.who for p in found if p.state == "pending"] if joint_review.is_joint(found) else []


def waiting_on_departments(session: Session, actor) -> int:
    """How many joint inspections the bureau has approved that wait on a cooperating department's review."""
    if department_scope(actor) is not None:
        return 0
    return session.scalar(select(func.count(Inspection.id)).where(
        Inspection.status == "submitted", joint_review.bureau_approved())) or 0


def _require_reviewer(actor, inspection: Inspection) -> None:
    require_staff(actor)
    if actor.inspector_id and any(m.inspector_id == actor.inspector_id for m in inspection.members):
        raise PermissionDenied("不能审核自己参与检查的结果")


def _get(session: Session, inspection_id: int) -> Inspection:
    return get_or_raise(session, Inspection, inspection_id, "检查记录不存在")


def photo_checks(inspection: Inspection, record: dict, max_distance_m: float) -> list[dict]:
    """Each photo with its distance from the target's registered coordinates, flagged when too far."""
    target = inspection.target
    out = []
    for p in record.get("photos", []):
        dist = None
        if None not in (p.get("latitude"), p.get("longitude"), target.latitude, target.longitude):
            dist = distance_m(p["latitude"], p["longitude"], target.latitude, target.longitude)
        out.append({**p, "distance_m": None if dist is None else round(dist),
                    "far": dist is not None and dist > max_distance_m, "no_gps": p.get("latitude") is None})
    return out


def conflicts(record: dict) -> list[dict]:
    """Checkpoints on which group members gave different answers without seeing each other's."""
    answers = {a["id"]: a for a in record.get("answers", [])}
    return [{"checkpoint_id": r["checkpoint_id"], "heads": [answers[h] for h in r.get("heads", []) if h in answers]}
            for r in record.get("registers", []) if r.get("conflict")]


def late_judgements(session: Session, inspection: Inspection, record: dict) -> list[dict]:
    """Judgements (an answer, a finding, a conclusion) that reached the server after the submit and say
    something the submitted record does not: not counted, so a conflict until a reviewer handles it."""
    rows = session.scalars(select(LateEvidence).where(LateEvidence.inspection_id == inspection.id,
                                                      LateEvidence.name.in_(late_words.JUDGEMENTS))
                           .order_by(LateEvidence.id))
    out = []
    for e in rows:
        if not late_words.differs(e.name, e.args, inspection, record):
            continue
        counted = late_words.counted_answer(record, (e.args or {}).get("checkpoint_id"))
        out.append({"id": e.id, "what": MUTATION_LABELS.get(e.name, e.name),
                    "checkpoint_id": (e.args or {}).get("checkpoint_id"),
                    "lines": late_words.describe(e.name, e.args, inspection.checklist_snapshot or []),
                    "counted": (CheckpointAnswer.by_label(counted).label if counted else "未作答")
                    if e.name == "checkpoint.record" else None,
                    "by": e.user.display_name if e.user else "", "created_at": e.created_at,
                    "received_at": e.received_at, "handled": e.handled_at is not None, "handled_note": e.handled_note})
    return out


def detail(session: Session, actor, inspection_id: int, *, max_distance_m: float = MAX_PHOTO_DISTANCE_M) -> dict:
    """Everything the reviewer reads about one inspection (a department's staff read those of its tasks)."""
    department_scope(actor)
    inspection = _get(session, inspection_id)
    if not in_scope(actor, inspection.task.department_ids):
        raise PermissionDenied("该检查所属的抽查任务没有您所在的部门参与，您无权查看")
    record = record_view.load(session, inspection)
    done = publication.clock_start(inspection)
    late = late_judgements(session, inspection, record)
    found = conflicts(record)
    parts = joint_review.parts(session, inspection)
    joint = joint_review.is_joint(parts)
    my_part = joint_review.mine(actor, parts)
    return {
        "parts": parts, "joint": joint, "my_part": my_part,
        "can_settle": inspection.status == "submitted" and actor.role in STAFF,
        "inspection": inspection, "record": record, "items": record_view.item_results(inspection, record),
        "findings": record_view.current_findings(record),
        "photos": photo_checks(inspection, record, max_distance_m), "max_distance_m": max_distance_m,
        "conflicts": found, "late_judgements": late,
        "open_conflicts": len(found) + sum(1 for j in late if not j["handled"]),
        "signature_checks": submit_state.signature_checks(session, inspection),
        "quality_flags": quality_flags.for_inspection(session, inspection), "flag_labels": quality_flags.KINDS,
        "late_evidence": record.get("late_evidence", 0),
        "reviews": history(session, inspection.id),
        "clock": publication_clock(done) if done and inspection.status != "approved" else None,
        "publication": session.scalar(select(Publication).where(Publication.inspection_id == inspection.id)),
        "violations": list(session.scalars(select(Violation).where(Violation.inspection_id == inspection.id)
                                           .order_by(Violation.id))),
        "referrals": list(session.scalars(select(Referral).where(Referral.inspection_id == inspection.id)
                                          .order_by(Referral.id))),
        "credit_records": list(session.scalars(select(CreditRecord).where(CreditRecord.inspection_id == inspection.id)
                                               .order_by(CreditRecord.id))),
        "can_review": inspection.status == "submitted" and (
            my_part is not None and my_part.state == "pending" if joint else actor.role in STAFF),
        "checkpoint_text": {cp["id"]: f'{item.get("name", "")}：{cp.get("text", "")}'
                            for item in inspection.checklist_snapshot or [] for cp in item.get("checkpoints", [])},
    }


def history(session: Session, inspection_id: int) -> list[InspectionReview]:
    return list(session.scalars(select(InspectionReview).where(InspectionReview.inspection_id == inspection_id)
                                .order_by(InspectionReview.id)))


def _check_reviewable(inspection: Inspection, version) -> None:
    if inspection.status != "submitted":
        raise Conflict(f"该检查当前为“{STATUS_LABELS.get(inspection.status, inspection.status)}”，不能审核")
    if version is not None and int(version) != inspection.version:
        raise Conflict(f"检查人员已重新提交（现为第 {inspection.version} 版），请刷新页面查看最新内容后再审核")


OWN_PART = object()  # the part the actor reviews: the bureau's for staff, its department's for dept_staff


def approve(session: Session, actor, inspection_id: int, *, version=None, note: str = "",
            authority: str = publication.DEFAULT_AUTHORITY, part=OWN_PART) -> Inspection:
    """Approve a submitted inspection: opens its publication draft and its violations. A joint inspection is
    approved part by part (`part`: the department whose items, None for the bureau's)."""
    inspection = _get(session, inspection_id)
    parts = joint_review.parts(session, inspection)
    part = joint_review.own_part_id(actor) if part is OWN_PART else part
    if joint_review.is_joint(parts) or part is not None:
        return _approve_part(session, actor, inspection, parts, part, version=version, note=note,
                             authority=authority)
    _require_reviewer(actor, inspection)
    _check_reviewable(inspection, version)
    note = (note or "").strip()
    if not inspection.result_categories:
        raise ValidationError("该检查未填写检查结果类别，请退回检查人员补充后再审核")
    if inspection.has_conflicts and not note:
        raise ValidationError("组员对部分检查要点的答案相互矛盾；审核通过须在审核意见中说明采信的答案，或退回核实",
                              errors={"note": "必填"})
    record = record_view.load(session, inspection)
    open_late = [j for j in late_judgements(session, inspection, record) if not j["handled"]]
    if open_late:
        raise Conflict(f"有 {len(open_late)} 条检查人员在提交之后才送达的判定未计入检查结果，尚未处理：请先在"
                       "“提交后送达的判定”处填写处理意见，或退回检查组核实", code="late_judgements_open")
    quality_flags.require_acknowledged(session, inspection)
    inspection.status, inspection.approved_at, inspection.approved_by_id = "approved", utcnow(), actor.id
    inspection.reviewer_note = note
    session.add(InspectionReview(inspection_id=inspection.id, version=inspection.version, action="approve",
                                 note=note, reviewer_id=actor.id))
    session.flush()
    publication.draft_for(session, actor, inspection, record_view.item_results(inspection, record), authority)
    referrals.ensure_violations(session, inspection, record)
    audit.record(session, actor, "inspection.approve", inspection, detail={"version": inspection.version},
                 reason=note)
    return inspection


def _approve_part(session: Session, actor, inspection: Inspection, parts: list, department_id, *, version, note: str,
                  authority: str) -> Inspection:
    """One department's approval of its part of a joint inspection: drafts that department's publication; the
    last part approved approves the inspection (its violations opened, as for any approval)."""
    part = joint_review.require_part_reviewer(actor, inspection, parts, department_id)
    _check_reviewable(inspection, version)
    if part.state == "approved":
        raise Conflict(f"{part.who}已审核通过第 {inspection.version} 版本部门的事项，待其他部门审核")
    note = (note or "").strip()
    if not inspection.result_categories:
        raise ValidationError("该检查未填写检查结果类别，请退回检查人员补充后再审核")
    record = record_view.load(session, inspection)
    if any(c["checkpoint_id"] in part.checkpoint_ids for c in conflicts(record)) and not note:
        raise ValidationError("组员对本部门事项的部分检查要点答案相互矛盾；审核通过须在审核意见中说明采信的答案，或退回核实",
                              errors={"note": "必填"})
    open_late = [j for j in late_judgements(session, inspection, record)
                 if not j["handled"] and joint_review.owner(parts, j["checkpoint_id"]) is part]
    if open_late:
        raise Conflict(f"本部门事项有 {len(open_late)} 条检查人员在提交之后才送达的判定未计入检查结果，尚未处理：请本局审核人员"
                       "在“提交后送达的判定”处填写处理意见，或退回检查组核实", code="late_judgements_open")
    if part.department_id is None or parts[0].department_id is not None:  # the visit's flags: the bureau's
        quality_flags.require_acknowledged(session, inspection)
    part.decision = InspectionReview(inspection_id=inspection.id, version=inspection.version, action="approve",
                                     note=note, reviewer_id=actor.id, department_id=part.department_id)
    session.add(part.decision)
    session.flush()
    publication.draft_for(session, actor, inspection, record_view.item_results(inspection, record), authority,
                          only=part.department_id)
    audit.record(session, actor, "inspection.approve_part", inspection,
                 detail={"version": inspection.version, "department": part.department_id}, reason=note)
    if all(p.state == "approved" for p in parts):
        inspection.status, inspection.approved_at, inspection.approved_by_id = "approved", utcnow(), actor.id
        inspection.reviewer_note = joint_review.approved_note(parts)
        referrals.ensure_violations(session, inspection, record)
        audit.record(session, actor, "inspection.approve", inspection, detail={"version": inspection.version},
                     reason=inspection.reviewer_note)
    return inspection


def return_for_fix(session: Session, actor, inspection_id: int, *, note: str, version=None,
                   part=OWN_PART) -> Inspection:
    """Return a submitted inspection to its group with a note saying what to fix. A department returning its
    part of a joint inspection returns the whole inspection; the note names the department and its items."""
    inspection = _get(session, inspection_id)
    parts = joint_review.parts(session, inspection)
    part = joint_review.own_part_id(actor) if part is OWN_PART else part
    joint = joint_review.is_joint(parts) or part is not None
    if joint:
        found = joint_review.require_part_reviewer(actor, inspection, parts, part)
    else:
        _require_reviewer(actor, inspection)
    _check_reviewable(inspection, version)
    note = (note or "").strip()
    if not note:
        raise ValidationError("退回时请填写需要检查人员补正的内容", errors={"note": "必填"})
    inspection.status, inspection.reviewer_note = "returned", joint_review.return_note(found, note) if joint else note
    session.add(InspectionReview(inspection_id=inspection.id, version=inspection.version, action="return",
                                 note=note, reviewer_id=actor.id, department_id=found.department_id if joint else None))
    _mark_late_handled(session, actor, inspection, f"已退回检查组核实：{inspection.reviewer_note}")
    session.flush()
    detail = {"version": inspection.version}
    if joint:
        detail["department"] = found.department_id
    audit.record(session, actor, "inspection.return", inspection, detail=detail, reason=note)
    return inspection


def _mark_late_handled(session: Session, actor, inspection: Inspection, note: str) -> int:
    record = record_view.load(session, inspection)
    ids = [j["id"] for j in late_judgements(session, inspection, record) if not j["handled"]]
    for row in session.scalars(select(LateEvidence).where(LateEvidence.id.in_(ids))) if ids else []:
        row.handled_at, row.handled_by_id, row.handled_note = utcnow(), actor.id, note
    return len(ids)


def acknowledge_flag(session: Session, actor, inspection_id: int, flag_id: int, *, note: str) -> None:
    """Record the reviewer's note on one quality flag of the inspection under review (audited)."""
    inspection = _get(session, inspection_id)
    _require_reviewer(actor, inspection)
    flag = quality_flags.acknowledge(session, actor, flag_id, note=note)
    if flag.inspection_id != inspection.id:
        raise NotFound("该质量提示不属于此检查")


def handle_late(session: Session, actor, inspection_id: int, *, note: str, version=None) -> int:
    """Record the reviewer's decision on the late judgements not counted (how many were open)."""
    inspection = _get(session, inspection_id)
    _require_reviewer(actor, inspection)
    _check_reviewable(inspection, version)
    note = (note or "").strip()
    if not note:
        raise ValidationError("请填写处理意见：说明是否采信这些提交后送达的判定、如何处理", errors={"note": "必填"})
    count = _mark_late_handled(session, actor, inspection, note)
    if not count:
        raise Conflict("没有待处理的提交后送达的判定")
    audit.record(session, actor, "inspection.late_handled", inspection, detail={"count": count}, reason=note)
    return count

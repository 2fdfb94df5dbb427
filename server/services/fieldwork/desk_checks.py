"""Non-site inspections (书面检查, 网络监测) recorded in the office by their assigned inspectors.

They go through the same field-work rules as the phone (services.fieldwork.mutations: group membership, the lock
after submission, append-only answers and findings, content-addressed evidence files) and then the same
review. Only the inspection's mode differs: these are never recorded on site.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import PermissionDenied, ValidationError
from server.models.inspections import Inspection, InspectionMember
from server.services.fieldwork import media_store, mutations, records
from server.services.fieldwork.submit import submit_inspection
from server.services.fieldwork.record_index import SessionIndex
from server.services.kernel import audit
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role
from server.services.kernel.workdays import add_workdays, local_date, parse_date
from server.vocab import CheckpointAnswer, FollowUp, Method, ResultCategory

DESK_MODES = ("document", "online")
EDITABLE = ("assigned", "in_progress", "returned")


def my_inspections(session: Session, actor) -> list[Inspection]:
    """The actor's non-site inspections, open ones first."""
    require_role(actor, "inspector")
    rows = session.scalars(select(Inspection).join(InspectionMember).where(
        InspectionMember.inspector_id == actor.inspector_id, InspectionMember.active.is_(True),
        Inspection.mode.in_(DESK_MODES), Inspection.status != "withdrawn").order_by(Inspection.due_date,
                                                                                  Inspection.id))
    return sorted(rows, key=lambda i: i.status not in EDITABLE)


def get(session: Session, actor, inspection_id: int) -> Inspection:
    """One of the actor's non-site inspections (a group member only)."""
    require_role(actor, "inspector")
    inspection = get_or_raise(session, Inspection, inspection_id, "检查记录不存在")
    if not mutations.is_member(actor, inspection):
        raise PermissionDenied("该检查不属于您所在的检查组")
    if inspection.mode not in DESK_MODES:
        raise ValidationError("现场检查请在手机应用中录入")
    return inspection


SUBMIT_WORKING_DAYS = 10  # 书面检查: the target sends its documents within this many working days of the 告知书


def submit_by_date(task, issued: dt.date) -> dt.date:
    """书面检查: the day the documents are due — 10 working days after the notice, never after the task ends."""
    return min(add_workdays(issued, SUBMIT_WORKING_DAYS), task.period_end)


def submit_by(inspection: Inspection) -> dt.date | None:
    """书面检查: the day the 告知书 asks the target to send its documents by (None for 网络监测)."""
    if inspection.mode != "document":
        return None
    issued = inspection.draw.drawn_at if inspection.draw else inspection.created_at
    return submit_by_date(inspection.task, local_date(issued)) if issued else None


def _apply(session: Session, actor, applier, **args) -> str:
    """Apply one field-work mutation now, through the session, as the phone's push would."""
    return applier(session, actor, mutations.Origin(user=actor), SessionIndex(session), **args)


def _require_editable(inspection: Inspection) -> None:
    if inspection.status not in EDITABLE:
        raise ValidationError("该检查已提交，不能再修改；如需补正请等待审核人员退回")


def save_answers(session: Session, actor, inspection_id: int, answers: dict[int, tuple[str, str]]) -> int:
    """Record each checkpoint answer that differs from the current one; returns how many were recorded."""
    inspection = get(session, actor, inspection_id)
    _require_editable(inspection)
    valid = {a.value for a in CheckpointAnswer}
    rec = records.load(session, [inspection.id])[inspection.id]
    current = rec.registers()
    recorded = 0
    for checkpoint_id, (answer, note) in answers.items():
        if not answer:
            continue
        if answer not in valid:
            raise ValidationError("检查要点的答案只能是符合、不符合或不涉及")
        register = current.get(checkpoint_id)
        if register is not None and not register.conflict and (register.winner.answer, register.winner.note) == (
                answer, note):
            continue
        _apply(session, actor, mutations.record_answer, id=str(uuid.uuid4()), inspection_id=inspection.id,
               checkpoint_id=checkpoint_id, answer=answer, note=note[:2000],
               base=list(register.heads) if register is not None else [])
        recorded += 1
    session.flush()
    records.refresh_conflicts(session, inspection)
    if recorded:
        audit.record(session, actor, "desk.answers", inspection, detail={"answers": recorded})
    return recorded


def add_finding(session: Session, actor, inspection_id: int, *, description: str, legal_basis: str = "",
                rectification: str = "", rectify_by=None, checkpoint_id: int | None = None) -> str:
    """Append a finding found in the documents or online data."""
    inspection = get(session, actor, inspection_id)
    _require_editable(inspection)
    if not (description or "").strip():
        raise ValidationError("请填写发现的问题", errors={"description": "必填"})
    finding_id = str(uuid.uuid4())
    _apply(session, actor, mutations.add_finding, id=finding_id, inspection_id=inspection.id,
           checkpoint_id=checkpoint_id, description=description.strip()[:4000],
           legal_basis=(legal_basis or "").strip()[:2000], rectification=(rectification or "").strip()[:2000],
           rectify_by=parse_date(rectify_by, "rectify_by", "改正期限", required=False))
    audit.record(session, actor, "desk.finding", inspection, detail={"finding": finding_id})
    return finding_id


def upload_evidence(session: Session, actor, inspection_id: int, data: bytes, caption: str, store, *,
                    max_bytes: int, max_pixels: int, limits=None) -> str:
    """Store a document the target sent (PDF, or a scan or screenshot as JPEG, PNG or WebP) and attach it as
    evidence: content-addressed, checked as a photo is (an image also against the photo minimum, `limits`)."""
    inspection = get(session, actor, inspection_id)
    _require_editable(inspection)
    sha256 = hashlib.sha256(data).hexdigest()
    media, _ = media_store.ingest(session, actor, store, sha256, data, max_bytes=max_bytes, max_pixels=max_pixels,
                                  kind="photo", limits=limits, pdf_allowed=True)
    photo_id = str(uuid.uuid4())
    _apply(session, actor, mutations.attach_photo, id=photo_id, inspection_id=inspection.id, sha256=sha256,
           finding_id=None, checkpoint_id=None, caption=(caption or "").strip()[:500], taken_at=None, latitude=None,
           longitude=None, accuracy_m=None, width=media.width, height=media.height, bytes=media.byte_size,
           clock_offset_ms=None)
    audit.record(session, actor, "desk.evidence", inspection, detail={"photo": photo_id, "sha256": sha256})
    return photo_id


def _codes(values: list[str], enum, label: str, field: str) -> list[str]:
    codes = [v for v in values if enum.by_label(v) is not None and v == enum.by_label(v).value]
    if not codes or len(codes) != len(values):
        raise ValidationError(f"请选择{label}", errors={field: "必选"})
    return codes


def submit(session: Session, actor, inspection_id: int, *, result_categories: list[str], methods: list[str],
           follow_ups: list[str], summary: str) -> Inspection:
    """Submit the results for review (every checkpoint must be answered)."""
    inspection = get(session, actor, inspection_id)
    _require_editable(inspection)
    _apply(
        session, actor, submit_inspection, inspection_id=inspection.id,
        result_categories=_codes(result_categories, ResultCategory, "检查结果", "result_categories"),
        methods=_codes(methods, Method, "核查方式", "methods"),
        follow_ups=_codes(follow_ups, FollowUp, "后续处置措施", "follow_ups"), summary=(summary or "").strip()[:4000])
    return inspection

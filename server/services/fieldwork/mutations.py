"""Field work recorded against an inspection: the sync mutations, applied with the merge rules.

Every function takes (session, actor, origin, index, **args) with args already shape-checked by
sync/wire.py, where `index` is where records are looked up and added (record_index: a push's RecordIndex,
or a SessionIndex for one office action). It checks that the actor is in the inspection's group, and
returns "applied" or "late" (the inspection is locked, so the data is kept as late evidence). Permanent
failures raise AppErrors whose `code` is the protocol's rejection code. Checks happen before any write, so
a refused mutation changes nothing.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, PermissionDenied, ValidationError
from server.models.fieldwork import (CheckpointAnswer, Finding, LateEvidence, MediaFile, PartyRecord, Photo,
                                     PhotoWithdrawal, Signature)
from server.models.accounts import User
from server.models.inspections import Inspection, InspectionMember
from server.models.types import utcnow
from server.services.fieldwork import joint_items, media_rules
from server.services.fieldwork.record_index import KINDS, RecordIndex, SessionIndex
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import DEPT_STAFF, STAFF, in_scope
from server.vocab import InspectionMode
from sync.merge import is_locked
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, AMEND_FINDING, APPLIED, ATTACH_PHOTO, LATE, RECORD_ANSWER,
                           RECORD_PARTY, START, WITHDRAW_PHOTO)

Index = RecordIndex | SessionIndex


@dataclass
class Origin:
    """Who made a record, on which device and mutation, and when by both clocks."""

    user: object
    client_id: str | None = None
    mutation_id: int | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    received_at: dt.datetime = field(default_factory=utcnow)

    def columns(self, insp: Inspection) -> dict:
        return {"user_id": self.user.id, "author_inspector_id": self.user.inspector_id,
                "client_id": self.client_id, "mutation_id": self.mutation_id, "created_at": self.created_at,
                "received_at": self.received_at, "inspection_version": working_version(insp)}

    @property
    def from_device(self) -> bool:
        """Pushed by a phone (sync names its client), not recorded in the office (desk_checks names none)."""
        return self.client_id is not None


def working_version(insp: Inspection) -> int:
    """The version new records belong to: a returned inspection's next submission is version + 1."""
    return insp.version + 1 if insp.status == "returned" else insp.version


def is_member(actor, insp: Inspection) -> bool:
    """Whether `actor` is an inspector in the inspection's active group."""
    return (actor is not None and actor.is_active and actor.role == "inspector" and actor.inspector_id is not None
            and any(m.inspector_id == actor.inspector_id for m in insp.active_members))


def can_view(actor, insp: Inspection) -> bool:
    """Staff see every inspection; an inspector only those of their groups; a department's staff those of the
    tasks their department takes part in."""
    if actor is None or not actor.is_active:
        return False
    if actor.role == DEPT_STAFF:
        return in_scope(actor, insp.task.department_ids)
    return actor.role in STAFF or is_member(actor, insp)


def get_visible(session: Session, actor, inspection_id: int) -> Inspection:
    """The inspection if `actor` may see it (NotFound / PermissionDenied otherwise)."""
    insp = get_or_raise(session, Inspection, inspection_id, f"检查 {inspection_id} 不存在")
    if not can_view(actor, insp):
        if actor is not None and actor.role == DEPT_STAFF:
            raise PermissionDenied("该检查所属的抽查任务没有您所在的部门参与，您无权查看")
        raise PermissionDenied("该检查不属于您所在的检查组")
    return insp


def _open(session: Session, actor, origin: Origin, index: Index, name: str, args: dict) -> Inspection | None:
    """The inspection to write to, or None after storing the mutation as late evidence."""
    insp = index.inspection(args["inspection_id"])
    if insp is None:
        raise NotFound(f"检查 {args['inspection_id']} 不存在")
    if not is_member(actor, insp):
        raise PermissionDenied("该检查不属于您所在的检查组")
    if origin.from_device:
        _check_on_site(insp)
    joint_items.check_group_complete(insp)
    if insp.status == "withdrawn":
        raise Conflict("该检查已被撤回，此操作未生效（数据已留存，审核人员可见）", code="inspection_withdrawn")
    if is_locked(insp.status):
        if KINDS.get(name) is not None and index.get(KINDS[name], args.get("id")) is not None:
            return insp  # a replayed record, not late evidence: _append finds it (a no-op) or refuses other content
        if name != START:
            session.add(LateEvidence(inspection_id=insp.id, name=name, args=_jsonable(args), sha256=args.get("sha256"),
                                     status_at_arrival=insp.status, **origin.columns(insp)))
            insp.changed_at = utcnow()
        return None
    return insp


DESK_INSPECTION = "desk_inspection"
ON_SITE = InspectionMode.ON_SITE.value


def refuse_desk_download(insp: Inspection) -> Inspection:
    """The inspection as a phone may download it: a 书面检查 / 网络监测 is recorded in the office, so its bundle is
    refused (`desk_inspection`), as the pull leaves it out."""
    if insp.mode != ON_SITE:
        mode = InspectionMode.by_label(insp.mode)
        raise Conflict(f"该检查为{mode.label if mode else '非现场检查'}（非现场检查），只能由检查组在办公室的“书面检查”页面录入，"
                       "手机不下载", code=DESK_INSPECTION, errors={"mode": insp.mode})
    return insp


def _check_on_site(insp: Inspection) -> None:
    """A 书面检查 / 网络监测 is recorded in the office (desk_checks), never from a phone: no phone is sent one
    (the pull leaves them out), so a push naming one comes from a client that should not send it; refused, and
    like every rejection kept as sent in the mutation log for the reviewer (nothing of it is applied)."""
    if insp.mode != ON_SITE:
        mode = InspectionMode.by_label(insp.mode)
        raise Conflict(f"该检查为{mode.label if mode else '非现场检查'}（非现场检查），只能由检查组在办公室的“书面检查”页面录入，"
                       "不能从手机同步；此操作未生效（数据已留存，审核人员可见）", code=DESK_INSPECTION,
                       errors={"mode": insp.mode})


def resubmitted(index: Index, actor, args: dict) -> bool:
    """Whether an inspection.submit repeats the very result a locked inspection of the actor's group holds
    (a replayed outbox): nothing to store, not even as late evidence."""
    insp = index.inspection(args["inspection_id"])
    if insp is None or not is_member(actor, insp) or not is_locked(insp.status) or insp.mode != ON_SITE:
        return False
    held = (list(insp.result_categories or []), list(insp.methods or []), list(insp.follow_ups or []),
            insp.summary or "")
    return held == (list(args["result_categories"]), list(args["methods"]), list(args["follow_ups"]), args["summary"])


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _touch(insp: Inspection, origin: Origin) -> None:
    if insp.status == "assigned":
        insp.status = "in_progress"
    if insp.started_at is None:
        insp.started_at = origin.created_at
    insp.changed_at = utcnow()


def _check_checkpoint(index: Index, insp: Inspection, checkpoint_id: int | None, actor=None) -> None:
    if checkpoint_id is None:
        return
    if checkpoint_id not in index.checkpoint_ids(insp):
        raise ValidationError(f"检查要点 {checkpoint_id} 不在本次检查的清单中", code="unknown_checkpoint",
                              errors={"checkpoint_id": checkpoint_id})
    joint_items.check_own_item(actor, insp, checkpoint_id)  # 联合抽查: each department records its own items


POLICY = {"colleague_signatures": True}  # create_app sets it from SIGNATURE_COLLEAGUES_ON_DEVICE
_NO_INSPECTION = SimpleNamespace(active_members=[])


def configure(*, colleague_signatures: bool = True) -> None:
    """Whether a group member's signature may be captured on a colleague's phone (DESIGN §7's one phone)."""
    POLICY["colleague_signatures"] = colleague_signatures


def _check_file(session: Session, actor, index: Index, args: dict, what: str) -> None:
    """A photo or signature may name a file only if it is not another group's: every inspection that
    already refers to it must be one of the sender's groups, and a file already held must have been
    uploaded by the sender or a member of this group (otherwise naming its hash would open it for download)."""
    insp = index.inspection(args["inspection_id"])
    if insp is None or not is_member(actor, insp):
        return  # _open refuses it (not_found / forbidden)
    sha256 = args["sha256"]
    foreign, held, uploader = session.execute(_file_use_query(), {"sha": sha256, "insp": insp.id,
                                                                  "inspector": actor.inspector_id}).one()
    if not foreign and held and uploader not in (None, actor.id):
        user = session.get(User, uploader)
        foreign = user is None or user.inspector_id not in {m.inspector_id for m in insp.active_members}
    if foreign:
        raise PermissionDenied(f"{what}文件（SHA-256 {sha256[:12]}…）属于其他检查组的检查，不能引用到本检查"
                               "（数据已留存，审核人员可见）", errors={"sha256": sha256})


@functools.cache
def _file_use_query():
    """One round trip: does another inspection outside the sender's groups use the file; is it held, by whom."""
    sha = bindparam("sha")
    refs = union_all(*(select(m.inspection_id.label("inspection_id")).where(m.sha256 == sha)
                       for m in (Photo, Signature, LateEvidence))).subquery()
    mine = select(InspectionMember.inspection_id).where(InspectionMember.inspector_id == bindparam("inspector"),
                                                        InspectionMember.active.is_(True))
    foreign = (select(literal(1)).select_from(refs)
               .where(refs.c.inspection_id != bindparam("insp"), refs.c.inspection_id.not_in(mine)).limit(1))
    held = select(literal(1)).where(MediaFile.sha256 == sha)
    uploader = select(MediaFile.uploaded_by_id).where(MediaFile.sha256 == sha)
    return select(foreign.scalar_subquery(), held.scalar_subquery(), uploader.scalar_subquery())


def write_pending(index: Index, *, flush: bool = True, also: tuple = ()) -> None:
    """Write the records `index` holds but has not inserted yet, and the `also` batches [(model, rows)];
    with flush, the session's changes too."""
    index.write(also)
    if flush:
        index.session.flush()


def _check_finding(index: Index, insp: Inspection, finding_id: str | None) -> None:
    if finding_id is None:
        return
    finding = index.get(Finding, finding_id)
    if finding is None or finding.inspection_id != insp.id:
        raise ValidationError(f"发现问题 {finding_id} 不属于本次检查", code="unknown_finding",
                              errors={"finding_id": finding_id})


def _existing(index: Index, model, record_id: str, content: dict) -> bool:
    """True when a record with this id already holds the same content; id_conflict when it differs."""
    row = index.get(model, record_id)
    if row is None:
        return False
    for column, value in content.items():
        current = getattr(row, column)
        if isinstance(current, dt.datetime) and isinstance(value, dt.datetime):
            same = current == value
        else:
            same = current == value or (isinstance(current, float) and value is not None and abs(current - value) < 1e-9)
        if not same:
            raise Conflict(f"编号 {record_id} 已被另一条内容不同的记录使用", code="id_conflict",
                           errors={"id": record_id})
    return True


def _append(index: Index, insp: Inspection, origin: Origin, model, record_id: str, fields: dict) -> None:
    """Add the record unless this id already holds the same content (a retried mutation); see _existing."""
    content = {"inspection_id": insp.id, **fields}
    if not _existing(index, model, record_id, content):
        index.add(model, {"id": record_id, **content, **origin.columns(insp)})
        _touch(insp, origin)


def start_inspection(session: Session, actor, origin: Origin, index: Index, *, inspection_id: int,
                     started_at) -> str:
    """Mark the inspection started (assigned → in_progress); repeating it changes nothing."""
    insp = _open(session, actor, origin, index, START, {"inspection_id": inspection_id})
    if insp is None:
        return APPLIED
    if insp.status == "assigned" or insp.started_at is None:
        insp.started_at = insp.started_at or started_at
        insp.status = "in_progress" if insp.status == "assigned" else insp.status
        insp.changed_at = utcnow()
    return APPLIED


def record_answer(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Add one answer to a checkpoint's register (conflicts are refreshed by refresh_conflicts)."""
    insp = _open(session, actor, origin, index, RECORD_ANSWER, args)
    if insp is None:
        return LATE
    _check_checkpoint(index, insp, args["checkpoint_id"], actor)
    fields = {k: args[k] for k in ("checkpoint_id", "answer", "note")} | {"base": list(args["base"])}
    _append(index, insp, origin, CheckpointAnswer, args["id"], fields)
    return APPLIED


def add_finding(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Append a finding (with its legal basis and rectification order)."""
    insp = _open(session, actor, origin, index, ADD_FINDING, args)
    if insp is None:
        return LATE
    _check_checkpoint(index, insp, args["checkpoint_id"], actor)
    fields = {k: args[k] for k in ("checkpoint_id", "description", "legal_basis", "rectification", "rectify_by")}
    _append(index, insp, origin, Finding, args["id"], fields)
    return APPLIED


def amend_finding(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Append a new version of a finding that supersedes `finding_id` (the old one stays)."""
    insp = _open(session, actor, origin, index, AMEND_FINDING, args)
    if insp is None:
        return LATE
    _check_finding(index, insp, args["finding_id"])
    _check_checkpoint(index, insp, args["checkpoint_id"], actor)
    fields = {k: args[k] for k in ("checkpoint_id", "description", "legal_basis", "rectification", "rectify_by",
                                   "reason")} | {"supersedes_id": args["finding_id"]}
    _append(index, insp, origin, Finding, args["id"], fields)
    return APPLIED


def attach_photo(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Append a photo record; its file may already be held or arrive later by media PUT."""
    _check_file(session, actor, index, args, "照片")
    insp = _open(session, actor, origin, index, ATTACH_PHOTO, args)
    if insp is None:
        return LATE
    _check_checkpoint(index, insp, args["checkpoint_id"], actor)
    _check_finding(index, insp, args["finding_id"])
    _check_held_file(index, args["sha256"], "photo")
    fields = {k: args[k] for k in ("sha256", "finding_id", "checkpoint_id", "caption", "taken_at", "latitude",
                                   "longitude", "accuracy_m", "width", "height", "clock_offset_ms")}
    fields["byte_size"] = args["bytes"]
    _append(index, insp, origin, Photo, args["id"], fields)
    return APPLIED


def _check_held_file(index: Index, sha256: str, kind: str) -> None:
    """A file the server already holds must be big enough for its kind (a file still to come is checked
    when it lands, see media_store.ingest)."""
    limits = getattr(index, "limits", None)
    media = index.media(sha256) if limits is not None else None
    if media is None:
        return
    if kind == "photo":
        problem, code = media_rules.photo_problem(media.width, media.height, limits), media_rules.PHOTO_TOO_SMALL
    else:
        problem = media_rules.signature_problem(media.ink_width, media.ink_height, media.ink_pixels, limits)
        code = media_rules.SIGNATURE_TOO_SMALL
    if problem:
        raise ValidationError(problem, code=code, errors={"sha256": sha256})


def withdraw_photo(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Withdraw a photo taken by mistake: a withdrawal record is appended; the photo and its file stay."""
    insp = _open(session, actor, origin, index, WITHDRAW_PHOTO, args)
    if insp is None:
        return LATE
    photo = index.get(Photo, args["photo_id"])
    if photo is None or photo.inspection_id != insp.id:
        raise ValidationError(f"照片 {args['photo_id']} 不属于本次检查", code="unknown_photo",
                              errors={"photo_id": args["photo_id"]})
    _append(index, insp, origin, PhotoWithdrawal, args["id"], {"photo_id": args["photo_id"], "reason": args["reason"]})
    return APPLIED


def add_signature(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Append a signature of a group member, the party on site or a witness, over the content `digest`
    names; a later signature of the same person replaces it (sync/signing.py), the earlier one stays. A member's
    signature drawn on a colleague's phone keeps who submitted it (user_id) and is shown as such; with
    SIGNATURE_COLLEAGUES_ON_DEVICE off, a member's signature is accepted only from their own account."""
    _check_file(session, actor, index, args, "签名")
    signer = args["inspector_id"]
    if (args["signer_role"] == "inspector" and signer != actor.inspector_id and not POLICY["colleague_signatures"]
            and is_member(actor, index.inspection(args["inspection_id"]) or _NO_INSPECTION)):
        raise PermissionDenied("检查人员的签名须由本人登录的设备提交，不能替同组人员签名（数据已留存，审核人员可见）",
                               errors={"inspector_id": signer})
    insp = _open(session, actor, origin, index, ADD_SIGNATURE, args)
    if insp is None:
        return LATE
    if args["signer_role"] == "inspector" and signer not in {m.inspector_id for m in insp.active_members}:
        raise ValidationError("签名的检查人员不在本检查组中", code="invalid_args", errors={"inspector_id": signer})
    _check_held_file(index, args["sha256"], "signature")
    fields = {"sha256": args["sha256"], "signer_role": args["signer_role"], "signer_name": args["signer_name"],
              "signer_inspector_id": signer, "signed_at": args["signed_at"], "digest": args.get("digest")}
    _append(index, insp, origin, Signature, args["id"], fields)
    return APPLIED


def record_party(session: Session, actor, origin: Origin, index: Index, **args) -> str:
    """Append a record of the party on site; the latest one is current."""
    insp = _open(session, actor, origin, index, RECORD_PARTY, args)
    if insp is None:
        return LATE
    fields = {k: args[k] for k in ("name", "position", "id_number", "phone", "refused_to_sign", "absent", "note")}
    _append(index, insp, origin, PartyRecord, args["id"], fields)
    return APPLIED

"""The SQL implementation of sync.store.SyncStore: applies mutations through services/fieldwork/mutations.py."""
from __future__ import annotations

import functools
from collections import defaultdict

from types import SimpleNamespace

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from server import vocab
from server.errors import AppError
from server.models.inspections import Inspection, InspectionMember
from server.models.registry import Inspector
from server.models.sync import MutationLog, SyncClient
from server.models.types import utcnow
from server.services.fieldwork import mutations, records as fieldwork_records, submit
from server.services.fieldwork.bundles import bundle
from server.services.fieldwork.media_rules import MediaLimits
from server.services.fieldwork.record_index import KINDS, RecordIndex
from server.services.kernel import audit
from sync.errors import CLIENT_MISMATCH, Rejected, SyncError
from sync.merge import is_locked
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, AMEND_FINDING, APPLIED, ATTACH_PHOTO, DUPLICATE,
                           MUTATION_ID_REUSED, RECORD_ANSWER, RECORD_PARTY, REJECTED, START, STATUS_LABELS, SUBMIT,
                           WITHDRAW_PHOTO, Logged, Mutation, MutationResult, Vocabulary)
from sync.store import SyncStore
from sync.wire_fields import without_nul

APPLY = {
    START: mutations.start_inspection, RECORD_ANSWER: mutations.record_answer, ADD_FINDING: mutations.add_finding,
    AMEND_FINDING: mutations.amend_finding, ATTACH_PHOTO: mutations.attach_photo,
    ADD_SIGNATURE: mutations.add_signature, RECORD_PARTY: mutations.record_party, SUBMIT: submit.submit_inspection,
    WITHDRAW_PHOTO: mutations.withdraw_photo,
}
VOCABULARY = Vocabulary(frozenset(m.value for m in vocab.ResultCategory), frozenset(m.value for m in vocab.Method),
                        frozenset(m.value for m in vocab.FollowUp))
# Service error codes that are the protocol's `invalid_args`.
GENERIC_CODES = {"validation_error", "bad_request"}


@functools.cache
def _upsert_client(dialect_name: str, with_token: bool):
    """Create the client or stamp its push time (and, with a token, its device), returning its owner and
    position. Built once per kind: the statement costs about as much to build as to run."""
    table = SyncClient.__table__
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(table).values(
        client_id=bindparam("client_id"), user_id=bindparam("user_id"), last_mutation_id=0,
        device_name=bindparam("device_name"), token_id=bindparam("token_id"), created_at=bindparam("created_at"),
        last_push_at=bindparam("last_push_at"))
    changes = {"last_push_at": stmt.excluded.last_push_at}
    if with_token:
        changes.update(token_id=stmt.excluded.token_id, device_name=stmt.excluded.device_name)
    return (stmt.on_conflict_do_update(index_elements=[table.c.client_id], set_=changes)
            .returning(table.c.user_id, table.c.last_mutation_id, table.c.device_name))


_ADVANCE = (update(SyncClient.__table__).where(SyncClient.__table__.c.client_id == bindparam("client"))
            .values(last_mutation_id=bindparam("last")))


class SqlSyncStore(SyncStore):
    """One push or pull on one SQLAlchemy session; the caller (the view) commits."""

    def __init__(self, session: Session, config, token=None):
        self.session, self.config, self.token = session, config, token
        self._client: SimpleNamespace | None = None
        self._touched: dict[int, list] = defaultdict(list)
        self._log_rows: list[dict] = []
        self._index: RecordIndex | None = None  # made by prepare(), which every push calls first

    def now(self):
        return utcnow()

    def vocabulary(self) -> Vocabulary:
        return VOCABULARY

    # ---- push -------------------------------------------------------------------------------------
    def open_client(self, user, client_id: str) -> int:
        # One upsert that also takes the client's write lock (a PostgreSQL row lock, SQLite's database
        # lock) before the position is read, so pushes of one client serialize.
        now = utcnow()
        token = self.token
        row = self.session.execute(
            _upsert_client(self.session.get_bind().dialect.name, token is not None),
            dict(client_id=client_id, user_id=user.id, created_at=now, last_push_at=now,
                 token_id=token.id if token else None, device_name=token.device_name if token else "")).one()
        if row.user_id != user.id:
            raise SyncError(*CLIENT_MISMATCH, "此同步标识属于另一位用户：请重新登录，应用会生成新的同步标识",
                            {"client_id": client_id})
        self._client = SimpleNamespace(client_id=client_id, device_name=row.device_name)
        return row.last_mutation_id

    def prepare(self, raw_mutations: list[dict]) -> None:
        # One query per record kind instead of one per mutation, and no autoflush between mutations:
        # the appliers check everything before they add anything, and look records up in the index.
        self._index = RecordIndex(self.session, raw_mutations, limits=MediaLimits.from_config(self.config))
        self._autoflush, self.session.autoflush = self.session.autoflush, False
        audit.begin_batch(self.session)

    def finish(self) -> None:
        audit.discard_batch(self.session)
        if hasattr(self, "_autoflush"):
            self.session.autoflush = self._autoflush

    def logged(self, client_id: str, ids: list[int]) -> dict[int, Logged]:
        log = MutationLog
        rows = self.session.execute(select(log.mutation_id, log.digest, log.status, log.code, log.message, log.errors)
                                    .where(log.client_id == client_id, log.mutation_id.in_(ids)).order_by(log.id)).all()
        reused: dict = defaultdict(set)
        for r in rows:
            if r.code == MUTATION_ID_REUSED:
                reused[r.mutation_id].add(r.digest)
        return {r.mutation_id: Logged(r.digest, r.status, r.code, r.message or "", r.errors or {},
                                      frozenset(reused[r.mutation_id]))
                for r in rows if r.code != MUTATION_ID_REUSED}

    def apply(self, user, mutation: Mutation) -> tuple[str, int | None]:
        args = mutation.args
        if mutation.name == SUBMIT and mutations.resubmitted(self._index, user, args):
            return DUPLICATE, args["inspection_id"]
        model = KINDS.get(mutation.name)
        held = model is not None and self._index.get(model, args["id"]) is not None  # a replayed record
        origin = mutations.Origin(user=user, client_id=mutation.client_id, mutation_id=mutation.id,
                                  created_at=mutation.created_at, received_at=utcnow())
        try:
            status = APPLY[mutation.name](self.session, user, origin, self._index, **args)
        except AppError as err:
            code = "invalid_args" if err.code in GENERIC_CODES else err.code
            raise Rejected(code, err.message, err.errors if isinstance(err.errors, dict) else {}) from None
        return (DUPLICATE if held and status == APPLIED else status), args["inspection_id"]

    def log(self, user, mutation: Mutation, raw_args, result: MutationResult, digest: str, inspection_id) -> None:
        # Kept on the inspection only when the sender is in its group: a push for someone else's inspection
        # (forbidden) stays on the sender's own device record, never on that inspection (PROTOCOL §3.2).
        insp = self._index.inspection(inspection_id) if inspection_id is not None else None
        exists = insp is not None and mutations.is_member(user, insp)
        name, args = mutation.name[:64], raw_args if isinstance(raw_args, dict) else {"_raw": raw_args}
        if result.status == REJECTED:  # kept as sent, but for a NUL (text cannot hold it: always rejected): ␀
            name, args = without_nul(name), without_nul(args)
        self._log_rows.append(dict(
            client_id=mutation.client_id, mutation_id=mutation.id, name=name, args=args, digest=digest,
            status=result.status, code=result.code, message=result.message or "", errors=result.errors,
            inspection_id=inspection_id if exists else None, user_id=user.id,
            device_name=self._client.device_name if self._client else "", created_at=mutation.created_at,
            received_at=utcnow()))
        if exists:
            self._touched[inspection_id].append([mutation.id, name, result.status, result.code])

    def advance(self, client_id: str, last_id: int) -> None:
        self.session.execute(_ADVANCE, {"client": client_id, "last": last_id})

    def inspection_summaries(self, user, inspection_ids: list[int]) -> list[dict]:
        # The push's records and its mutation log in one go, then the inspections' rows (which locks them).
        mutations.write_pending(self._index, also=[(MutationLog, self._log_rows)])
        self._log_rows = []
        for insp_id, entries in self._touched.items():  # one audit line per inspection per push
            insp = self._index.inspection(insp_id)
            fieldwork_records.refresh_conflicts(self.session, insp)
            audit.record(self.session, user, "sync.push", insp, detail={
                "client_id": self._client.client_id, "device": self._client.device_name, "mutations": entries})
        audit.write_batch(self.session)
        out = []
        for insp_id in inspection_ids:
            insp = self._index.inspection(insp_id)
            missing = self._index.missing.get(insp_id)  # as submit found it: nothing after a submit changes it
            if missing is None:
                missing = submit.missing_media(self.session, insp.id)
            out.append({"id": insp.id, "status": insp.status, "version": insp.version,
                        "locked": is_locked(insp.status), "has_conflicts": insp.has_conflicts,
                        "missing_media": len(missing)})
        return out

    # ---- pull -------------------------------------------------------------------------------------
    def _mine(self, user, active: bool = True):
        # Only on-site work goes to the phone: a 书面检查 / 网络监测 is done at a desk from the documents the
        # target sent (office.desk_checks), with no party on site to sign and no site to photograph.
        cond = [InspectionMember.inspection_id == Inspection.id, InspectionMember.inspector_id == user.inspector_id,
                Inspection.mode == "on_site"]
        if active:
            cond.append(InspectionMember.active.is_(True))
        # 联合抽查: an inspection reaches the phones once every cooperating department has drawn its member
        return (select(Inspection.changed_at, Inspection.id).join(InspectionMember, and_(*cond))
                .where(Inspection.group_complete.is_(True)))

    def changed_inspections(self, user, since, after, limit):
        q = self._mine(user).where(Inspection.status != "withdrawn")
        if since is not None:
            q = q.where(Inspection.changed_at > since)
        if after is not None:
            q = q.where(or_(Inspection.changed_at > after[0],
                            and_(Inspection.changed_at == after[0], Inspection.id > after[1])))
        return [tuple(r) for r in self.session.execute(q.order_by(Inspection.changed_at, Inspection.id)
                                                        .limit(limit)).all()]

    def bundles(self, user, inspection_ids: list[int]) -> list[dict]:
        if not inspection_ids:
            return []
        rows = self.session.scalars(select(Inspection).where(Inspection.id.in_(inspection_ids)).options(
            selectinload(Inspection.members).selectinload(InspectionMember.inspector)
            .selectinload(Inspector.department), selectinload(Inspection.task))).all()
        by_id = {i.id: i for i in rows}
        records = fieldwork_records.load(self.session, inspection_ids, light=True)
        return [bundle(by_id[i], records[i], user) for i in inspection_ids]

    def tombstones(self, user, since) -> list[dict]:
        if since is None or user.inspector_id is None:
            return []
        q = (select(Inspection.id, Inspection.status, InspectionMember.active)
             .join(InspectionMember, and_(InspectionMember.inspection_id == Inspection.id,
                                          InspectionMember.inspector_id == user.inspector_id))
             .where(Inspection.changed_at > since,
                    or_(Inspection.status == "withdrawn", InspectionMember.active.is_(False)))
             .order_by(Inspection.id))
        return [{"id": i, "reason": "withdrawn" if status == "withdrawn" else "unassigned"}
                for i, status, _ in self.session.execute(q)]

    def assigned_ids(self, user) -> list[int]:
        q = self._mine(user).where(Inspection.status != "withdrawn").order_by(Inspection.id)
        return [i for _, i in self.session.execute(q)]

    def reference(self) -> dict:
        cfg = self.config
        return {
            "result_categories": [{"code": m.value, "label": m.label, "negative": m in vocab.NEGATIVE_RESULTS}
                                  for m in vocab.ResultCategory],
            "methods": [{"code": m.value, "label": m.label} for m in vocab.Method],
            "follow_ups": [{"code": m.value, "label": m.label} for m in vocab.FollowUp],
            "checkpoint_answers": [{"code": m.value, "label": m.label} for m in vocab.CheckpointAnswer],
            "statuses": [{"code": k, "label": v} for k, v in STATUS_LABELS.items()],
            "photo": {"max_side_px": cfg["PHOTO_MAX_SIDE_PX"], "jpeg_quality": cfg["PHOTO_JPEG_QUALITY"],
                      "max_bytes": cfg["MEDIA_MAX_BYTES"], "max_pixels": cfg["MEDIA_MAX_PIXELS"],
                      "min_side_px": cfg["PHOTO_MIN_SIDE_PX"]},
            "signature": {"min_ink_side_px": cfg["SIGNATURE_MIN_INK_SIDE_PX"],
                          "min_ink_pixels": cfg["SIGNATURE_MIN_INK_PIXELS"]},
            "sync": {"max_batch": cfg["SYNC_MAX_BATCH"], "protocol": 1, "poll_seconds": cfg["SYNC_POLL_SECONDS"]},
        }

"""Where the mutation appliers look records up and add them: a push's RecordIndex (prefetched up front,
written in one go) or, for one office action at a time, a SessionIndex straight through the session."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

from sqlalchemy.orm import Session, joinedload

from sqlalchemy import select

from server.models.fieldwork import CheckpointAnswer, Finding, MediaFile, PartyRecord, Photo, PhotoWithdrawal, Signature
from server.models.inspections import Inspection
from server.services.fieldwork.bulk_insert import existing_rows, insert_batches
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, AMEND_FINDING, ATTACH_PHOTO, RECORD_ANSWER, RECORD_PARTY,
                           WITHDRAW_PHOTO)

# The record each mutation adds (inspection.start and inspection.submit add none).
KINDS = {RECORD_ANSWER: CheckpointAnswer, ADD_FINDING: Finding, AMEND_FINDING: Finding, ATTACH_PHOTO: Photo,
         ADD_SIGNATURE: Signature, RECORD_PARTY: PartyRecord, WITHDRAW_PHOTO: PhotoWithdrawal}
# Photos refer to findings, withdrawals to photos.
WRITE_ORDER = (CheckpointAnswer, Finding, Photo, PhotoWithdrawal, Signature, PartyRecord)


def checkpoint_ids(insp: Inspection) -> list[int]:
    """The ids of the checkpoints of the inspection's checklist, in order."""
    return [cp["id"] for item in insp.checklist_snapshot or [] for cp in item.get("checkpoints", [])]


class SessionIndex:
    """Records looked up and added one at a time through the session (the office's desk checks)."""

    def __init__(self, session: Session):
        self.session = session
        self.missing: dict[int, list] = {}
        self.limits = None  # an office desk check's evidence is a scan, not a phone photo: no minimum

    def media(self, sha256: str) -> MediaFile | None:
        return self.session.get(MediaFile, sha256)

    def inspection(self, inspection_id: int) -> Inspection | None:
        return self.session.get(Inspection, inspection_id)

    def checkpoint_ids(self, insp: Inspection):
        return checkpoint_ids(insp)

    def get(self, model, record_id):
        return self.session.get(model, record_id)

    def add(self, model, values: dict) -> None:
        self.session.add(model(**values))

    def write(self, also: tuple = ()) -> None:
        """Insert the `also` batches and flush the records added so far."""
        insert_batches(self.session, list(also))
        self.session.flush()


class RecordIndex:
    """Records by (model, id) for one push: those that existed before it (prefetched up front) and
    those it adds. The appliers look records up here without a query per mutation, and new records
    are written in one executemany (or COPY) per kind by write() instead of one ORM object each."""

    def __init__(self, session: Session, mutations: list[dict], limits=None):
        self.session = session
        self.limits = limits  # media_rules.MediaLimits for the files records name (None: not checked)
        wanted: dict = {}
        self._hashes: set[str] = set()
        for m in mutations:
            args = m.get("args") if isinstance(m.get("args"), dict) else {}
            model = KINDS.get(m.get("name"))
            if model is not None and _canonical(args.get("id")):
                wanted.setdefault(model, set()).add(_canonical(args["id"]))
            for key, referred in (("finding_id", Finding), ("photo_id", Photo)):
                if _canonical(args.get(key)):
                    wanted.setdefault(referred, set()).add(_canonical(args[key]))
            if model in (Photo, Signature) and isinstance(args.get("sha256"), str):
                self._hashes.add(args["sha256"])
        self.rows: dict = existing_rows(session, wanted)
        self._media: dict | None = None
        self.pending: dict = {}
        # Strong references: the identity map holds clean objects weakly, so an inspection flushed mid-push
        # could be collected and selected again; and a get per mutation adds up.
        self.inspections: dict[int, Inspection | None] = {}
        self.missing: dict[int, list] = {}  # missing_media as computed at submit (nothing after it can change it)
        self._checkpoints: dict[int, frozenset] = {}

    def checkpoint_ids(self, insp: Inspection) -> frozenset:
        if insp.id not in self._checkpoints:
            self._checkpoints[insp.id] = frozenset(checkpoint_ids(insp))
        return self._checkpoints[insp.id]

    def inspection(self, inspection_id: int) -> Inspection | None:
        if inspection_id not in self.inspections:  # with its group in the same round trip
            self.inspections[inspection_id] = self.session.get(Inspection, inspection_id,
                                                               options=[joinedload(Inspection.members)])
        return self.inspections[inspection_id]

    def get(self, model, record_id):
        return self.rows.get((model, record_id))

    def media(self, sha256: str) -> MediaFile | None:
        """The held file of a hash the push names (all of them fetched in one query, when first asked)."""
        if self._media is None:
            self._media = {m.sha256: m for m in self.session.scalars(
                select(MediaFile).where(MediaFile.sha256.in_(sorted(self._hashes))))} if self._hashes else {}
        return self._media.get(sha256)

    def add(self, model, values: dict) -> None:
        self.rows[(model, values["id"])] = SimpleNamespace(**values)
        self.pending.setdefault(model, []).append(values)

    def write(self, also: tuple = ()) -> None:
        """Insert the records added so far (and the `also` batches), in one go; flush nothing else."""
        batches = [(model, self.pending.pop(model)) for model in WRITE_ORDER if model in self.pending]
        insert_batches(self.session, batches + list(also))


def _canonical(value) -> str | None:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None

"""Message types of the protocol: mutations, their outcomes, and the protocol's vocabularies."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

# The mutations (PROTOCOL.md §3), named here once: the wire schemas, both stores' appliers, the
# server's record index and the office's labels are keyed from these constants.
START = "inspection.start"
RECORD_ANSWER = "checkpoint.record"
ADD_FINDING = "finding.add"
AMEND_FINDING = "finding.amend"
ATTACH_PHOTO = "photo.attach"
ADD_SIGNATURE = "signature.add"
RECORD_PARTY = "party.record"
SUBMIT = "inspection.submit"
WITHDRAW_PHOTO = "photo.withdraw"

MUTATION_LABELS = {
    START: "开始检查", RECORD_ANSWER: "检查要点判定", ADD_FINDING: "记录发现问题", AMEND_FINDING: "更正发现问题",
    ATTACH_PHOTO: "附加照片", ADD_SIGNATURE: "签名", RECORD_PARTY: "记录现场当事人", SUBMIT: "提交检查结果",
    WITHDRAW_PHOTO: "撤回照片",
}
MUTATION_NAMES = tuple(MUTATION_LABELS)

# assigned → in_progress → pending_evidence → submitted → approved; returned/withdrawn by the office.
# The one table of inspection states: the phone's bundles, the office's pages and review messages read it.
STATUS_LABELS = {
    "assigned": "待检查", "in_progress": "检查中", "pending_evidence": "待补传证据", "submitted": "已提交",
    "returned": "已退回", "approved": "已通过", "withdrawn": "已撤回",
}
LOCKED_STATUSES = frozenset({"pending_evidence", "submitted", "approved"})
OPEN_STATUSES = frozenset({"assigned", "in_progress", "returned"})

APPLIED, LATE, REJECTED, DUPLICATE = "applied", "late", "rejected", "duplicate"
# Codes a push result may carry besides a rejection's: a record the server already held (a replayed outbox),
# and changed content under an id already used (a rejection, kept for the reviewer).
RECORD_EXISTS, MUTATION_ID_REUSED = "record_exists", "mutation_id_reused"


@dataclass(frozen=True)
class Mutation:
    """One validated mutation as the stores receive it."""

    id: int
    name: str
    args: dict
    created_at: dt.datetime
    client_id: str


@dataclass
class MutationResult:
    """What happened to one mutation; serialised into the push response's `results`."""

    id: int
    status: str
    code: str | None = None
    message: str | None = None
    errors: dict = field(default_factory=dict)

    def to_wire(self) -> dict:
        """The JSON form (PROTOCOL.md §3)."""
        out = {"id": self.id, "status": self.status}
        if self.code:
            out["code"] = self.code
        if self.status == REJECTED:
            out["message"] = self.message or ""
            out["errors"] = self.errors
        return out


@dataclass(frozen=True)
class Logged:
    """What the store kept of an already consumed mutation id: the first outcome and its payload digest,
    and the digests of changed contents later refused under the same id."""

    digest: str
    status: str
    code: str | None = None
    message: str = ""
    errors: dict = field(default_factory=dict)
    reused: frozenset = frozenset()

    def again(self, mutation_id: int) -> MutationResult:
        """The answer to the same mutation sent again: `duplicate` when it was applied (or already held),
        else the first answer (late, or the rejection with its code, message and errors)."""
        if self.status in (APPLIED, DUPLICATE):
            return MutationResult(mutation_id, DUPLICATE)
        return MutationResult(mutation_id, self.status, self.code, self.message, dict(self.errors or {}))


@dataclass(frozen=True)
class Vocabulary:
    """Codes the submit mutation may use (the server fills them from server/vocab.py)."""

    result_categories: frozenset
    methods: frozenset
    follow_ups: frozenset


def digest(raw_mutation: dict) -> str:
    """A stable hash of a mutation's name, arguments and time, to spot a reused id."""
    body = {k: raw_mutation.get(k) for k in ("name", "args", "created_at")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""An in-memory SyncStore: the reference model of the push rules, used by the shared store test suite.

It holds inspections as plain dicts and applies the same rules as the SQL store (membership, lock and
late evidence, registers, append-only evidence, pending evidence). Transactions are snapshots:
`snapshot()` before a push and `restore()` when it raised.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

from sync import submit_rules
from sync.errors import CLIENT_MISMATCH, Rejected, SyncError
from sync.merge import Answer, is_locked, resolve
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, AMEND_FINDING, APPLIED, ATTACH_PHOTO, DUPLICATE, LATE,
                           MUTATION_ID_REUSED, RECORD_ANSWER, RECORD_PARTY, START, STATUS_LABELS, SUBMIT, WITHDRAW_PHOTO,
                           Logged, Mutation, MutationResult, Vocabulary)
from sync.store import SyncStore

KINDS = {ADD_FINDING: "findings", AMEND_FINDING: "findings", ATTACH_PHOTO: "photos", ADD_SIGNATURE: "signatures",
         RECORD_PARTY: "party", RECORD_ANSWER: "answers", WITHDRAW_PHOTO: "withdrawals"}
RESULT_KEYS = ("result_categories", "methods", "follow_ups", "summary")


@dataclass
class MemoryInspection:
    id: int
    members: set
    checkpoints: list
    status: str = "assigned"
    version: int = 1
    has_conflicts: bool = False
    started_at: dt.datetime | None = None
    result: dict = field(default_factory=dict)
    changed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    records: dict = field(default_factory=lambda: {k: {} for k in ("answers", "findings", "photos", "signatures",
                                                                   "party", "withdrawals")})
    late: list = field(default_factory=list)
    former_members: set = field(default_factory=set)


class MemoryStore(SyncStore):
    """Everything in dicts; `clock` can be replaced to make time deterministic."""

    def __init__(self, vocabulary: Vocabulary, clock=None):
        self._vocab = vocabulary
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.inspections: dict[int, MemoryInspection] = {}
        self.media: set[str] = set()
        self.clients: dict[str, dict] = {}
        self.log_rows: dict[tuple, dict] = {}
        self.reused_rows: list[dict] = []  # changed contents refused under an already used id
        self.rules = submit_rules.RULES  # what an inspection.submit must pass (a test may narrow them)

    # ---- test set-up and transactions ----
    def add_inspection(self, inspection_id: int, members, checkpoints) -> MemoryInspection:
        insp = MemoryInspection(inspection_id, set(members), list(checkpoints), changed_at=self.clock())
        self.inspections[inspection_id] = insp
        return insp

    def snapshot(self):
        return copy.deepcopy((self.inspections, self.media, self.clients, self.log_rows, self.reused_rows))

    def restore(self, snap) -> None:
        self.inspections, self.media, self.clients, self.log_rows, self.reused_rows = snap

    def hold_media(self, sha256: str) -> None:
        """A file landed: complete the inspections that waited for it."""
        self.media.add(sha256)
        for insp in self.inspections.values():
            if insp.status == "pending_evidence" and not self._missing(insp):
                insp.status, insp.changed_at = "submitted", self.clock()

    # ---- SyncStore ----
    def now(self):
        return self.clock()

    def vocabulary(self) -> Vocabulary:
        return self._vocab

    def open_client(self, user, client_id: str) -> int:
        client = self.clients.setdefault(client_id, {"user_id": user.id, "last": 0})
        if client["user_id"] != user.id:
            raise SyncError(*CLIENT_MISMATCH, "此同步标识属于另一位用户：请重新登录，应用会生成新的同步标识",
                            {"client_id": client_id})
        return client["last"]

    def logged(self, client_id, ids):
        out = {}
        for i in ids:
            row = self.log_rows.get((client_id, i))
            if row is not None:
                reused = frozenset(r["digest"] for r in self.reused_rows if (r["client_id"], r["mutation_id"]) == (
                    client_id, i))
                out[i] = Logged(row["digest"], row["status"], row["code"], row["message"], row["errors"], reused)
        return out

    def log(self, user, mutation: Mutation, raw_args, result: MutationResult, digest, inspection_id):
        row = {"client_id": mutation.client_id, "mutation_id": mutation.id, "name": mutation.name,
               "args": raw_args if isinstance(raw_args, dict) else {"_raw": raw_args}, "status": result.status,
               "code": result.code, "message": result.message or "", "errors": result.errors, "digest": digest,
               "inspection_id": inspection_id if inspection_id in self.inspections else None}
        if result.code == MUTATION_ID_REUSED:
            self.reused_rows.append(row)
        else:
            self.log_rows[(mutation.client_id, mutation.id)] = row

    def advance(self, client_id, last_id):
        self.clients[client_id]["last"] = last_id

    def inspection_summaries(self, user, inspection_ids):
        out = []
        for i in inspection_ids:
            insp = self.inspections[i]
            insp.has_conflicts = any(r.conflict for r in self.registers(i).values())
            out.append({"id": i, "status": insp.status, "version": insp.version, "locked": is_locked(insp.status),
                        "has_conflicts": insp.has_conflicts, "missing_media": len(self._missing(insp))})
        return out

    def apply(self, user, mutation: Mutation):
        args = mutation.args
        insp = self.inspections.get(args["inspection_id"])
        if insp is None:
            raise Rejected("not_found", f"检查 {args['inspection_id']} 不存在")
        if user.inspector_id not in insp.members:
            raise Rejected("forbidden", "该检查不属于您所在的检查组")
        if insp.status == "withdrawn":
            raise Rejected("inspection_withdrawn", "该检查已被撤回，此操作未生效（数据已留存，审核人员可见）")
        held = self._held(mutation)
        if is_locked(insp.status) and not held:
            if mutation.name == SUBMIT and insp.result == {k: args[k] for k in RESULT_KEYS}:
                return DUPLICATE, insp.id  # the very result it holds: a replayed outbox
            if mutation.name != START:
                insp.late.append({"name": mutation.name, "args": args, "client_id": mutation.client_id,
                                  "mutation_id": mutation.id})
            return (APPLIED if mutation.name == START else LATE), insp.id
        getattr(self, "_" + mutation.name.replace(".", "_"))(insp, mutation)
        return (DUPLICATE if held else APPLIED), insp.id

    def _held(self, mutation: Mutation) -> bool:
        """Whether a record with this mutation's id exists (in any inspection): replayed, not new evidence."""
        kind = KINDS.get(mutation.name)
        return kind is not None and any(mutation.args["id"] in i.records[kind] for i in self.inspections.values())

    def _touch(self, insp, mutation):
        insp.status = "in_progress" if insp.status == "assigned" else insp.status
        insp.started_at = insp.started_at or mutation.created_at
        insp.changed_at = self.clock()

    def _inspection_start(self, insp, mutation):
        if insp.status == "assigned":
            insp.started_at = insp.started_at or mutation.args["started_at"]
            self._touch(insp, mutation)

    def _append(self, insp, mutation, row: dict):
        args = mutation.args
        if args.get("checkpoint_id") is not None and args["checkpoint_id"] not in insp.checkpoints:
            raise Rejected("unknown_checkpoint", f"检查要点 {args['checkpoint_id']} 不在本次检查的清单中",
                           {"checkpoint_id": args["checkpoint_id"]})
        ref = args.get("finding_id")
        if ref is not None and ref not in insp.records["findings"]:
            raise Rejected("unknown_finding", f"发现问题 {ref} 不属于本次检查", {"finding_id": ref})
        table = insp.records[KINDS[mutation.name]]
        owner = next((i for i in self.inspections.values() if args["id"] in i.records[KINDS[mutation.name]]), None)
        if owner is not None:
            if owner is not insp or table[args["id"]]["content"] != row:
                raise Rejected("id_conflict", f"编号 {args['id']} 已被另一条内容不同的记录使用", {"id": args["id"]})
            return
        table[args["id"]] = {"content": row, "created_at": mutation.created_at}
        self._touch(insp, mutation)

    def _checkpoint_record(self, insp, m):
        self._append(insp, m, {k: m.args[k] for k in ("checkpoint_id", "answer", "note")} | {"base": tuple(m.args["base"])})

    def _finding_add(self, insp, m):
        self._append(insp, m, {k: m.args[k] for k in ("checkpoint_id", "description", "legal_basis", "rectification",
                                                      "rectify_by")})

    def _finding_amend(self, insp, m):
        self._append(insp, m, {k: m.args[k] for k in ("checkpoint_id", "description", "legal_basis", "rectification",
                                                      "rectify_by", "reason", "finding_id")})

    def _photo_attach(self, insp, m):
        self._append(insp, m, {k: v for k, v in m.args.items() if k not in ("id", "inspection_id")})

    def _signature_add(self, insp, m):
        if m.args["signer_role"] == "inspector" and m.args["inspector_id"] not in insp.members:
            raise Rejected("invalid_args", "签名的检查人员不在本检查组中", {"inspector_id": m.args["inspector_id"]})
        self._append(insp, m, {k: v for k, v in m.args.items() if k not in ("id", "inspection_id")})

    def _photo_withdraw(self, insp, m):
        if m.args["photo_id"] not in insp.records["photos"]:
            raise Rejected("unknown_photo", f"照片 {m.args['photo_id']} 不属于本次检查", {"photo_id": m.args["photo_id"]})
        self._append(insp, m, {"photo_id": m.args["photo_id"], "reason": m.args["reason"]})

    def _party_record(self, insp, m):
        self._append(insp, m, {k: v for k, v in m.args.items() if k not in ("id", "inspection_id")})

    def _inspection_submit(self, insp, m):
        problem = submit_rules.rejection(self._submit_state(insp, m.args), self.rules)
        if problem:
            raise Rejected(problem.code, problem.message, problem.errors)
        if insp.status == "returned":
            insp.version += 1
        insp.result = {k: m.args[k] for k in ("result_categories", "methods", "follow_ups", "summary")}
        insp.started_at = insp.started_at or m.created_at
        insp.status = "pending_evidence" if self._missing(insp) else "submitted"
        insp.changed_at = self.clock()

    def _submit_state(self, insp, args) -> submit_rules.SubmitState:
        findings = insp.records["findings"]
        amended = {f["content"].get("finding_id") for f in findings.values()}
        withdrawn = {r["content"]["photo_id"] for r in insp.records["withdrawals"].values()}
        return submit_rules.SubmitState(
            inspection_id=insp.id, conclusion={k: args[k] for k in ("result_categories", "methods", "follow_ups",
                                                                    "summary")},
            answers=tuple({"checkpoint_id": cp, "answer": r.winner.answer, "note": r.winner.note}
                          for cp, r in self.registers(insp.id).items()),
            findings=tuple({"id": fid, **f["content"]} for fid, f in findings.items() if fid not in amended),
            signatures=tuple({"id": sid, **r["content"]} for sid, r in insp.records["signatures"].items()),
            checklist=({"name": "", "checkpoints": tuple({"id": c} for c in insp.checkpoints)},),
            members=tuple({"inspector_id": i, "name": str(i)} for i in sorted(insp.members)),
            party=next((dict(r["content"]) for r in reversed(insp.records["party"].values())), None),
            photos=tuple({"id": pid, **p["content"]} for pid, p in insp.records["photos"].items()
                         if pid not in withdrawn))

    def _missing(self, insp) -> list[str]:
        withdrawn = {r["content"]["photo_id"] for r in insp.records["withdrawals"].values()}
        hashes = [r["content"]["sha256"] for k in ("photos", "signatures") for rid, r in insp.records[k].items()
                  if rid not in withdrawn]
        return [h for h in hashes if h not in self.media]

    def registers(self, inspection_id: int) -> dict:
        """checkpoint id -> Register, by the rules of sync/merge.py."""
        by_cp: dict = {}
        for aid, a in self.inspections[inspection_id].records["answers"].items():
            c = a["content"]
            by_cp.setdefault(c["checkpoint_id"], []).append(Answer(aid, c["answer"], c["note"], c["base"], a["created_at"]))
        return {cp: resolve(items) for cp, items in sorted(by_cp.items())}

    # ---- pull ----
    def _visible(self, user):
        return [i for i in self.inspections.values() if user.inspector_id in i.members and i.status != "withdrawn"]

    def changed_inspections(self, user, since, after, limit):
        rows = sorted((i.changed_at, i.id) for i in self._visible(user) if since is None or i.changed_at > since)
        return [r for r in rows if after is None or r > tuple(after)][:limit]

    def bundles(self, user, inspection_ids):
        out = []
        for i in inspection_ids:
            insp = self.inspections[i]
            out.append({"id": i, "status": insp.status, "status_label": STATUS_LABELS[insp.status],
                        "version": insp.version, "locked": is_locked(insp.status), "has_conflicts": insp.has_conflicts,
                        "record": {"answers": sorted(insp.records["answers"]), "late_evidence": len(insp.late)}})
        return out

    def tombstones(self, user, since):
        if since is None:
            return []
        return [{"id": i.id, "reason": "withdrawn" if i.status == "withdrawn" else "unassigned"}
                for i in sorted(self.inspections.values(), key=lambda x: x.id) if i.changed_at > since and (
                    (user.inspector_id in i.members and i.status == "withdrawn") or user.inspector_id in i.former_members)]

    def assigned_ids(self, user):
        return sorted(i.id for i in self._visible(user))

    def reference(self):
        return {"statuses": [{"code": k, "label": v} for k, v in STATUS_LABELS.items()]}

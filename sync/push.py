"""The push rule (PROTOCOL.md §3): answer what was consumed before as it was answered then, refuse gaps,
apply or reject each new mutation in order."""
from __future__ import annotations

from sync import PROTOCOL_VERSION
from sync.errors import MUTATION_GAP, Rejected, SyncError
from sync.messages import (DUPLICATE, MUTATION_ID_REUSED, MUTATION_NAMES, RECORD_EXISTS, REJECTED, Mutation,
                           MutationResult, digest)
from sync.store import SyncStore
from sync.wire import entry_rejection, load_args, parse_push
from sync.wire_fields import is_stored_int


def handle_push(store: SyncStore, user, raw_body: bytes | str, *, max_batch: int) -> dict:
    """Decode, check and process one push body; returns the response body. The caller commits."""
    envelope, raw_mutations = parse_push(raw_body, max_batch)
    return process_push(store, user, envelope, raw_mutations)


def process_push(store: SyncStore, user, envelope: dict, raw_mutations: list[dict]) -> dict:
    """Apply a validated envelope; raises SyncError (mutation_gap, client_mismatch) or Transient."""
    try:
        return _process(store, user, envelope, raw_mutations)
    finally:
        store.finish()


def _process(store: SyncStore, user, envelope: dict, raw_mutations: list[dict]) -> dict:
    client_id = envelope["client_id"]
    last = store.open_client(user, client_id)
    entries = list(zip(envelope["mutations"], raw_mutations))
    old = [(m, raw) for m, raw in entries if m["id"] <= last]
    new = [(m, raw) for m, raw in entries if m["id"] > last]
    if new and new[0][0]["id"] != last + 1:
        expected = last + 1
        raise SyncError(*MUTATION_GAP, f"同步编号不连续：服务器期望编号 {expected}，收到 {new[0][0]['id']}。"
                        f"请从编号 {expected} 起重新发送", {"expected_id": expected, "last_applied_id": last})
    store.prepare([raw for _, raw in new])
    results = _answer_again(store, user, client_id, old)
    touched: list[int] = []
    for m, raw in new:
        mutation = Mutation(id=m["id"], name=m["name"], args=m["args"], created_at=m["created_at"] or store.now(),
                            client_id=client_id)
        result, inspection_id = _apply_one(store, user, mutation, m["problems"])
        store.log(user, mutation, raw.get("args"), result, digest(raw), inspection_id)
        results.append(result)
        if inspection_id is not None and result.status != REJECTED and inspection_id not in touched:
            touched.append(inspection_id)
    if new:
        last = new[-1][0]["id"]
        store.advance(client_id, last)
    return {"protocol": PROTOCOL_VERSION, "client_id": client_id, "last_applied_id": last,
            "server_time": store.now().isoformat(), "results": [r.to_wire() for r in results],
            "inspections": store.inspection_summaries(user, touched)}


def _answer_again(store: SyncStore, user, client_id: str, old: list) -> list[MutationResult]:
    """Mutations consumed before: the same content gets its first answer again (so a client whose answer
    was cut ends where it would have); changed content under a used id is refused and kept, once."""
    if not old:
        return []
    logged = store.logged(client_id, [m["id"] for m, _ in old])
    out = []
    for m, raw in old:
        first, payload = logged.get(m["id"]), digest(raw)
        if first is None or first.digest == payload:
            out.append(first.again(m["id"]) if first else MutationResult(m["id"], DUPLICATE))
            continue
        result = MutationResult(m["id"], REJECTED, MUTATION_ID_REUSED, (
            f"同步编号 {m['id']} 已被本机此前另一条内容不同的操作使用（可能恢复过应用数据），此操作未生效；"
            "数据已保存在服务器，审核人员可见，如仍需要请重新录入"), {"id": m["id"]})
        if payload not in first.reused:
            mutation = Mutation(id=m["id"], name=m["name"], args=m["args"], created_at=m["created_at"] or store.now(),
                                client_id=client_id)
            store.log(user, mutation, raw.get("args"), result, payload, _inspection_id(m["args"]))
        out.append(result)
    return out


def _inspection_id(args) -> int | None:
    """The inspection a mutation names, if it is one a store could hold (to keep a rejection beside it)."""
    value = args.get("inspection_id") if isinstance(args, dict) else None
    return value if is_stored_int(value) else None


def _apply_one(store: SyncStore, user, mutation: Mutation, problems: dict) -> tuple[MutationResult, int | None]:
    """Run one mutation; a Rejected becomes a recorded result, anything else propagates (transient)."""
    inspection_id = _inspection_id(mutation.args)
    try:
        if problems:
            raise entry_rejection(problems)
        if mutation.name not in MUTATION_NAMES:
            raise Rejected("unknown_mutation", f"未知的同步操作“{mutation.name}”，请更新应用")
        args = load_args(mutation.name, mutation.args, store.vocabulary())
        status, inspection_id = store.apply(user, Mutation(mutation.id, mutation.name, args, mutation.created_at,
                                                           mutation.client_id))
        return MutationResult(mutation.id, status, RECORD_EXISTS if status == DUPLICATE else None), inspection_id
    except Rejected as rej:
        return MutationResult(mutation.id, REJECTED, rej.code, rej.message, rej.errors), inspection_id

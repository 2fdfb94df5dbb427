"""The push rule (PROTOCOL.md §3): skip what was applied, refuse gaps, apply or reject each mutation in order."""
from __future__ import annotations

from sync import PROTOCOL_VERSION
from sync.errors import MUTATION_GAP, Rejected, SyncError
from sync.messages import DUPLICATE, MUTATION_NAMES, REJECTED, Mutation, MutationResult, digest
from sync.store import SyncStore
from sync.wire import load_args, parse_push


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
    mutations = envelope["mutations"]
    old = [(m, raw) for m, raw in zip(mutations, raw_mutations) if m["id"] <= last]
    new = [(m, raw) for m, raw in zip(mutations, raw_mutations) if m["id"] > last]
    if new and new[0][0]["id"] != last + 1:
        expected = last + 1
        raise SyncError(*MUTATION_GAP, f"同步编号不连续：服务器期望编号 {expected}，收到 {new[0][0]['id']}。"
                        f"请从编号 {expected} 起重新发送", {"expected_id": expected, "last_applied_id": last})
    results = _duplicates(store, client_id, old)
    store.prepare([raw for _, raw in new])
    touched: list[int] = []
    for m, raw in new:
        mutation = Mutation(id=m["id"], name=m["name"], args=m["args"], created_at=m["created_at"],
                            client_id=client_id)
        result, inspection_id = _apply_one(store, user, mutation)
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


def _duplicates(store: SyncStore, client_id: str, old: list) -> list[MutationResult]:
    if not old:
        return []
    known = store.logged_digests(client_id, [m["id"] for m, _ in old])
    out = []
    for m, raw in old:
        reused = m["id"] in known and known[m["id"]] != digest(raw)
        out.append(MutationResult(m["id"], DUPLICATE, code="mutation_id_reused" if reused else None))
    return out


def _apply_one(store: SyncStore, user, mutation: Mutation) -> tuple[MutationResult, int | None]:
    """Run one mutation; a Rejected becomes a recorded result, anything else propagates (transient)."""
    inspection_id = mutation.args.get("inspection_id") if isinstance(mutation.args, dict) else None
    inspection_id = inspection_id if isinstance(inspection_id, int) and not isinstance(inspection_id, bool) else None
    try:
        if mutation.name not in MUTATION_NAMES:
            raise Rejected("unknown_mutation", f"未知的同步操作“{mutation.name}”，请更新应用")
        args = load_args(mutation.name, mutation.args, store.vocabulary())
        status, inspection_id = store.apply(user, Mutation(mutation.id, mutation.name, args, mutation.created_at,
                                                           mutation.client_id))
        return MutationResult(mutation.id, status), inspection_id
    except Rejected as rej:
        return MutationResult(mutation.id, REJECTED, rej.code, rej.message, rej.errors), inspection_id

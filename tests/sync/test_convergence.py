"""Two group members on two devices: any interleaving of their mutation streams, with lost requests and
lost answers, converges to the same server state — nothing lost, nothing doubled, and a conflict flagged
exactly where their final answers differ."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sync.harness import Device, MemoryHarness, uid

VALUES = ("compliant", "noncompliant", "na")
_nonce = itertools.count()

ops = st.lists(st.one_of(st.tuples(st.just("answer"), st.integers(0, 2), st.sampled_from(VALUES)),
                         st.tuples(st.just("finding"))), min_size=1, max_size=8)
steps = st.lists(st.tuples(st.sampled_from("AB"), st.integers(1, 4),
                           st.sampled_from([None, None, "drop_request", "drop_response"])), max_size=12)


def streams(nonce: int, a_ops, b_ops, insp: int, cps: list[int]) -> dict[str, tuple[Device, list[dict]]]:
    """Each device's mutations; a device's answers to one checkpoint chain on its own previous one."""
    out = {}
    for key, person, plan in (("A", "wang", a_ops), ("B", "li", b_ops)):
        d, heads, muts = Device(person, client_id=uid(f"{nonce}-{key}-client")), {}, []
        for n, op in enumerate(plan):
            rid = uid(f"{nonce}-{key}-{n}")
            if op[0] == "answer":
                cp = cps[op[1]]
                muts.append(d.m("checkpoint.record", id=rid, inspection_id=insp, checkpoint_id=cp, answer=op[2],
                                note="", base=heads.get(cp, [])))
                heads[cp] = [rid]
            else:
                muts.append(d.m("finding.add", id=rid, inspection_id=insp, checkpoint_id=None,
                                description=f"{key} 发现的问题 {n}"))
        out[key] = (d, muts)
    return out


def play(h, plan: dict, schedule) -> None:
    """Deliver the streams in the scheduled order with faults, then flush both devices."""
    acked = {"A": 0, "B": 0}

    def send(key, size, fault):
        d, muts = plan[key]
        batch = muts[acked[key]:acked[key] + size]
        if not batch or fault == "drop_request":
            return
        resp = h.push(d.person, d.client_id, batch)
        if fault != "drop_response":
            acked[key] = resp["last_applied_id"]

    for key, size, fault in schedule:
        send(key, size, fault)
    for key in "AB":
        while acked[key] < len(plan[key][1]):
            send(key, 3, None)


def canon(state: dict, cps: list[int]) -> dict:
    """The state with checkpoint ids replaced by their position, so two inspections compare."""
    pos = {cp: i for i, cp in enumerate(cps)}
    out = dict(state)
    out["answers"] = sorted((a[0], pos[a[1]], *a[2:]) for a in state["answers"])
    out["registers"] = {pos[cp]: r for cp, r in state["registers"].items()}
    return out


def expected_conflicts(plan: dict, cps: list[int]) -> dict[int, bool]:
    last = {k: {} for k in "AB"}
    for key in "AB":
        for m in plan[key][1]:
            if m["name"] == "checkpoint.record":
                last[key][m["args"]["checkpoint_id"]] = m["args"]["answer"]
    answered = set(last["A"]) | set(last["B"])
    return {cps.index(cp): (cp in last["A"] and cp in last["B"] and last["A"][cp] != last["B"][cp])
            for cp in answered}


def check(h, a_ops, b_ops, schedule) -> None:
    nonce = next(_nonce)
    insp, cps = h.new_inspection(checkpoints=3)
    plan = streams(nonce, a_ops, b_ops, insp, cps)
    play(h, plan, schedule)
    got = canon(h.state(insp), cps)

    oracle = MemoryHarness()
    o_insp, o_cps = oracle.new_inspection(checkpoints=3)
    o_plan = streams(nonce, a_ops, b_ops, o_insp, o_cps)
    for key in "AB":  # one canonical order, no faults
        d, muts = o_plan[key]
        oracle.push(d.person, d.client_id, muts)
    assert got == canon(oracle.state(o_insp), o_cps)
    total_answers = sum(m["name"] == "checkpoint.record" for k in "AB" for m in plan[k][1])
    assert len(got["answers"]) == total_answers  # nothing lost, nothing doubled
    assert len(got["findings"]) == sum(m["name"] == "finding.add" for k in "AB" for m in plan[k][1])
    flags = {cp: r[2] for cp, r in got["registers"].items()}
    assert flags == expected_conflicts(plan, cps) and got["has_conflicts"] == any(flags.values())
    for key in "AB":
        assert h.last_applied(plan[key][0].client_id) == len(plan[key][1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a_ops=ops, b_ops=ops, schedule=steps)
def test_interleavings_with_faults_converge(h, a_ops, b_ops, schedule):
    if h.kind == "sql":
        return  # the SQL store runs the smaller budget below
    check(h, a_ops, b_ops, schedule)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a_ops=ops, b_ops=ops, schedule=steps)
def test_interleavings_with_faults_converge_on_the_sql_store(h, a_ops, b_ops, schedule):
    if h.kind != "sql":
        return
    check(h, a_ops, b_ops, schedule)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a_ops=ops, b_ops=ops, schedule=steps)
def test_after_a_submit_nothing_is_lost_either(h, a_ops, b_ops, schedule):
    if h.kind == "sql":
        return
    insp, cps = h.new_inspection(checkpoints=3)
    h.store.rules = ()  # B's random answers and findings may contradict A's conclusion: the lock is what is tested
    plan = streams(next(_nonce), a_ops, b_ops, insp, cps)
    d, muts = plan["A"]
    for cp in cps:  # A answers everything, then submits mid-way through B's work
        muts.append(d.m("checkpoint.record", id=uid(), inspection_id=insp, checkpoint_id=cp, answer="na",
                        note="", base=[]))
    muts.append(d.m("inspection.submit", inspection_id=insp, result_categories=["01"], methods=["on_site"],
                    follow_ups=["none"], summary=""))
    play(h, plan, schedule)
    state = h.state(insp)
    sent = [m for k in "AB" for m in plan[k][1] if m["name"] != "inspection.submit"]
    kept = {a[0] for a in state["answers"]} | {f[0] for f in state["findings"]} | {x[1] for x in state["late"]}
    assert kept == {m["args"]["id"] for m in sent} and state["status"] == "submitted"

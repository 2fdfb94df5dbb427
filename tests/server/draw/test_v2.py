"""spotcheck-draw-v2 (DESIGN §5): the inspector rule against a literal re-implementation, its six properties,
the load buckets it stands on, and target selection split across processes."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import random
from bisect import bisect_left

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.services.draw import loads, selection, v1, v2

SEED = hashlib.sha256(b"v2").digest()
DEPTS = ["D1", "D2", "D3"]


def literal(seed, walk, pool, departments, group_size, recusals, existing=None):
    """DESIGN §5 read word for word, with the hmac module: no buckets, every candidate list built afresh."""
    load = {c: 0 for c, d in pool if d in departments}
    dept_of = dict(pool)
    groups, unstaffed = [], []
    for u in walk:
        kept = (existing or {}).get(u, [])
        slots = [d for d in departments if d not in {d for _, d in kept}]
        slots += [None] * (group_size - len(kept) - len(slots))
        taken, picked = [c for c, _ in kept], []
        for j, d in enumerate(slots):
            free = [c for c in load if (d is None or dept_of[c] == d) and (c, u) not in recusals
                    and c not in taken + picked]
            if not free:
                break
            least = sorted(c for c in free if load[c] == min(load[x] for x in free))
            picked.append(least[int(hmac.new(seed, f"inspector|{u}|{j}".encode(), hashlib.sha256).hexdigest(), 16)
                                % len(least)])
        else:
            for c in picked:
                load[c] += 1
            groups.append((u, picked))
            continue
        unstaffed.append(u)
    return groups, unstaffed


@st.composite
def scenarios(draw_, with_recusals=True):
    departments = draw_(st.lists(st.sampled_from(DEPTS), min_size=1, max_size=3, unique=True))
    group_size = draw_(st.integers(min_value=max(2, len(departments)), max_value=4))
    pool = [(f"C{i:03d}", draw_(st.sampled_from(departments + ["DX"]))) for i in range(draw_(st.integers(0, 14)))]
    walk = [f"U{i:02d}" for i in range(draw_(st.integers(1, 20)))]
    certs = [c for c, _ in pool] or ["C000"]
    recusals = set(draw_(st.lists(st.tuples(st.sampled_from(certs), st.sampled_from(walk)), max_size=20))) \
        if with_recusals else set()
    return departments, group_size, pool, walk, recusals


def run(scenario, seed=SEED, existing=None):
    departments, group_size, pool, walk, recusals = scenario
    groups, unstaffed = v2.assign_inspectors(seed, walk, [v2.InspectorRef(c, d) for c, d in pool], departments,
                                             group_size, recusals, None, existing)
    return [(u, [r.cert_no for r in g]) for u, g in groups], [u.uscc for u in unstaffed]


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.binary(min_size=32, max_size=32))
def test_assignment_matches_the_design_read_literally(scenario, seed):
    departments, group_size, pool, walk, recusals = scenario
    assert run(scenario, seed) == literal(seed, walk, pool, departments, group_size, recusals)


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.data())
def test_a_replacement_draw_fills_the_missing_slots_around_the_members_who_stay(scenario, data):
    departments, group_size, pool, walk, recusals = scenario
    if not pool:
        return
    kept = data.draw(st.lists(st.sampled_from(pool), max_size=group_size - 1, unique=True))
    existing = {walk[0]: [v2.InspectorRef(c, d) for c, d in kept]}
    got = run(scenario, existing=existing)
    assert got == literal(SEED, walk, pool, departments, group_size, recusals, {walk[0]: kept})


# --- the six properties (issue 13) -------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_group_is_half_staffed_and_unstaffed_means_no_group_was_possible(scenario):
    departments, group_size, pool, walk, recusals = scenario
    groups, unstaffed = run(scenario)
    assert all(len(g) == len(set(g)) == group_size for _, g in groups)
    assert {u for u, _ in groups}.isdisjoint(unstaffed) and len(groups) + len(unstaffed) == len(walk)
    for u in unstaffed:
        free = [(c, d) for c, d in pool if d in departments and (c, u) not in recusals]
        assert len(free) < group_size or any(all(d != need for _, d in free) for need in departments)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_recused_pair_is_ever_assigned(scenario):
    recusals = scenario[4]
    groups, _ = run(scenario)
    assert not any((c, u) in recusals for u, g in groups for c in g)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_every_required_department_is_covered(scenario):
    departments, _, pool, _, _ = scenario
    dept_of = dict(pool)
    groups, _ = run(scenario)
    assert all(set(departments) <= {dept_of[c] for c in g} for _, g in groups)


@settings(max_examples=80, deadline=None)
@given(scenarios(with_recusals=False), st.integers(1, 60))
def test_loads_differ_by_at_most_one_within_a_department_when_nothing_is_recused(scenario, targets):
    departments, group_size, pool, _, _ = scenario
    walk = [f"U{i:03d}" for i in range(targets)]
    groups, _ = run((departments, group_size, pool, walk, set()))
    load = {c: 0 for c, d in pool if d in departments}
    for _, g in groups:
        for c in g:
            load[c] += 1
    for dept in departments:
        counts = [n for c, n in load.items() if dict(pool)[c] == dept]
        assert not counts or max(counts) - min(counts) <= 1


def test_each_least_loaded_candidate_is_picked_uniformly_over_many_seeds():
    """Chi-square over 4,000 seeds: slot 0 of the first target picks each of 8 inspectors about 500 times; slot 0
    of the second target picks only among the 6 not yet loaded, each position of that list about 667 times."""
    pool = [v2.InspectorRef(f"C{i}", "D1") for i in range(8)]
    first, second = dict.fromkeys((r.cert_no for r in pool), 0), dict.fromkeys(range(6), 0)
    for n in range(4000):
        seed = hashlib.sha256(f"seed-{n}".encode()).digest()
        groups, _ = v2.assign_inspectors(seed, ["U1", "U2"], pool, ["D1"], 2)
        loaded = {r.cert_no for r in groups[0][1]}
        first[groups[0][1][0].cert_no] += 1
        candidates = sorted(r.cert_no for r in pool if r.cert_no not in loaded)
        assert {r.cert_no for r in groups[1][1]} <= set(candidates)  # only the least-loaded are candidates
        second[candidates.index(groups[1][1][0].cert_no)] += 1
    for hits, critical in ((first, 24.32), (second, 20.52)):  # p = 0.001 with 7 and 5 degrees of freedom
        expected = 4000 / len(hits)
        assert sum((h - expected) ** 2 / expected for h in hits.values()) < critical, hits


def test_pairs_are_not_fixed_every_pair_of_a_small_pool_occurs_over_many_seeds():
    pool = [v2.InspectorRef(f"C{i}", "D1") for i in range(5)]
    seen = set()
    for n in range(300):
        groups, _ = v2.assign_inspectors(hashlib.sha256(f"pairs-{n}".encode()).digest(),
                                         [f"U{i}" for i in range(6)], pool, ["D1"], 2)
        seen |= {frozenset(r.cert_no for r in g) for _, g in groups}
    assert seen == {frozenset(p) for p in itertools.combinations([r.cert_no for r in pool], 2)}


# --- the parts of v2 other helpers build on ----------------------------------------------------------------

def test_department_slots_draw_one_member_per_target_from_that_department_only():
    pool = [v2.InspectorRef(f"C{i}", "D1" if i % 2 else "D2") for i in range(8)]
    walk = [f"U{i}" for i in range(10)]
    groups, unstaffed = v2.assign_department_slots(SEED, walk, pool, "D2", [("C0", "U3")])
    assert not unstaffed and [u for u, _ in groups] == walk
    assert all(len(g) == 1 and g[0].department == "D2" for _, g in groups)
    assert dict(groups)["U3"][0].cert_no != "C0"
    expected, _ = literal(SEED, walk, [(r.cert_no, r.department) for r in pool if r.department == "D2"], ["D2"], 1,
                          {("C0", "U3")})
    assert [(u, [r.cert_no for r in g]) for u, g in groups] == expected


def test_staffing_problem_names_the_cause_or_none():
    pool = [v2.InspectorRef("C1", "D1"), v2.InspectorRef("C2", "D1"), v2.InspectorRef("C3", "D2")]
    assert v2.staffing_problem("U1", pool, ["D1", "D2"], 2, [("C3", "U1")], {"D2": "运政股"}) == \
        "部门“运政股”没有可派的执法人员（回避或已在本组后无人符合条件）"
    assert v2.staffing_problem("U1", pool, ["D1"], 3, [("C1", "U1")]) == "符合条件的执法人员不足 3 人（回避后仅有 1 人可派）"
    assert v2.staffing_problem("U1", pool, ["D1", "D2"], 2, [("C3", "U2")]) is None


def test_a_repeated_cert_no_is_refused():
    with pytest.raises(v2.DrawInputError, match="执法证号重复"):
        v2.assign_inspectors(SEED, ["U1"], [("C1", "D1"), ("C1", "D2")], ["D1", "D2"], 2)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 700), st.lists(st.tuples(st.booleans(), st.integers(0, 699)), max_size=300), st.data())
def test_a_bucket_is_an_order_statistic_set(capacity, ops, data):
    bucket, mirror = loads.Bucket(capacity, range(capacity)), list(range(capacity))
    for add, r in ops:
        r %= capacity
        if add and r not in mirror:
            bucket.add(r)
            mirror.insert(bisect_left(mirror, r), r)
        elif not add and r in mirror:
            bucket.remove(r)
            mirror.remove(r)
        assert bucket.size == len(mirror)
    if mirror:
        k = data.draw(st.integers(0, len(mirror) - 1))
        assert bucket.kth(k) == mirror[k] and bucket.position(mirror[k]) == k


# --- target selection, in one process or several ------------------------------------------------------------

def _population(n):
    return [(f"91140522{i:09d}X", v1.STRATA[i % 4]) for i in range(n)]


@pytest.mark.parametrize("counts", [{"low": 3, "general": 200, "higher": 5000, "high": 1},
                                    {"low": 0, "general": 0, "higher": 0, "high": 40_000}])
def test_selection_split_across_processes_is_the_same_as_in_one(monkeypatch, counts):
    monkeypatch.setattr(selection, "PARALLEL_MIN", 1_000)
    monkeypatch.setattr(selection, "CHUNK_MIN", 512)
    pairs = _population(24_000)
    random.Random(4).shuffle(pairs)
    single = v1.select_targets(SEED, pairs, counts)
    assert selection.select_targets(SEED, pairs, counts, workers=1) == single
    assert selection.select_targets(SEED, pairs, counts, workers=2) == single


def test_a_helper_that_dies_only_costs_time(monkeypatch):
    monkeypatch.setattr(selection, "PARALLEL_MIN", 1_000)
    monkeypatch.setattr(selection, "CHUNK_MIN", 512)
    monkeypatch.setattr(selection, "_helper", lambda *args: os._exit(3))  # runs in the forked child
    pairs = _population(20_000)
    counts = {"low": 10, "general": 10, "higher": 10, "high": 10}
    assert selection.select_targets(SEED, pairs, counts, workers=2) == v1.select_targets(SEED, pairs, counts)

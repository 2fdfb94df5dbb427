"""Inspector assignment (DESIGN §3 rules 3–4, §5): properties over generated pools, and eligibility in the database."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.models.registry import Recusal
from server.services.draw import assignment, checks, v1 as draw_v1
from tests.factories import create_department, create_inspector, create_item
from tests.server import drawkit

SEED = hashlib.sha256(b"assignment").digest()
DEPTS = ["D1", "D2", "D3"]


def reference_assign(seed, walk, pool, departments, group_size, recusals):
    """DESIGN §5 read literally: sort every eligible inspector by (load, hmac, cert) for each target."""
    load = {c: 0 for c, _ in pool}
    dept_of = dict(pool)
    groups, unstaffed = [], []
    for uscc in walk:
        def key(c):
            return load[c], hmac.new(seed, f"inspector|{uscc}|{c}".encode(), hashlib.sha256).hexdigest(), c
        eligible = sorted((c for c, _ in pool if (c, uscc) not in recusals), key=key)
        group = []
        for d in departments:
            first = next((c for c in eligible if dept_of[c] == d and c not in group), None)
            if first is None:
                break
            group.append(first)
        else:
            group += [c for c in eligible if c not in group][:group_size - len(group)]
            if len(group) == group_size:
                for c in group:
                    load[c] += 1
                groups.append((uscc, group))
                continue
        unstaffed.append(uscc)
    return groups, unstaffed


@st.composite
def scenarios(draw_):
    departments = draw_(st.lists(st.sampled_from(DEPTS), min_size=1, max_size=3, unique=True))
    group_size = draw_(st.integers(min_value=max(2, len(departments)), max_value=4))
    pool = [(f"C{i:03d}", draw_(st.sampled_from(departments))) for i in range(draw_(st.integers(0, 12)))]
    walk = [f"U{i:02d}" for i in range(draw_(st.integers(1, 12)))]
    recusals = set(draw_(st.lists(st.tuples(st.sampled_from([c for c, _ in pool] or ["C000"]), st.sampled_from(walk)),
                                  max_size=15)))
    return departments, group_size, pool, walk, recusals


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_groups_respect_recusals_departments_and_size_and_match_the_reference(scenario):
    departments, group_size, pool, walk, recusals = scenario
    refs = [draw_v1.InspectorRef(c, d) for c, d in pool]
    groups, unstaffed = draw_v1.assign_inspectors(SEED, walk, refs, departments, group_size, recusals)
    dept_of = dict(pool)
    for uscc, group in groups:
        certs = [r.cert_no for r in group]
        assert len(certs) == len(set(certs)) == group_size  # never half-staffed, nobody twice
        assert not any((c, uscc) in recusals for c in certs)  # recusal
        assert set(departments) <= {dept_of[c] for c in certs}  # one from every department
    for u in unstaffed:  # unstaffed only when no valid group exists at all
        free = [c for c, _ in pool if (c, u.uscc) not in recusals]
        assert len(free) < group_size or any(all(dept_of[c] != d for c in free) for d in departments)
    expected_groups, expected_unstaffed = reference_assign(SEED, walk, pool, departments, group_size, recusals)
    assert [(u, [r.cert_no for r in g]) for u, g in groups] == expected_groups
    assert [u.uscc for u in unstaffed] == expected_unstaffed


@settings(max_examples=40, deadline=None)
@given(inspectors=st.integers(2, 30), targets=st.integers(1, 80))
def test_load_is_balanced_without_recusals(inspectors, targets):
    pool = [draw_v1.InspectorRef(f"C{i:03d}", "D1") for i in range(inspectors)]
    groups, unstaffed = draw_v1.assign_inspectors(SEED, [f"U{i}" for i in range(targets)], pool, ["D1"], 2)
    load = {r.cert_no: 0 for r in pool}
    for _, group in groups:
        for r in group:
            load[r.cert_no] += 1
    assert not unstaffed and max(load.values()) - min(load.values()) <= 1


def test_unstaffed_reasons_name_the_department():
    pool = [draw_v1.InspectorRef("C1", "D1"), draw_v1.InspectorRef("C2", "D1"), draw_v1.InspectorRef("C3", "D2")]
    groups, unstaffed = draw_v1.assign_inspectors(SEED, ["U1"], pool, ["D1", "D2"], 2, [("C3", "U1")],
                                                  {"D2": "运输管理股"})
    assert groups == [] and unstaffed[0].reason.startswith("部门“运输管理股”没有可派的执法人员")


# --- eligibility in the database (certificate over the whole period, qualification, status, department) ----

PERIOD = drawkit.PERIOD


@st.composite
def people(draw_):
    def day(offset_days):
        return PERIOD[0] + dt.timedelta(days=offset_days)
    rows = []
    for _ in range(draw_(st.integers(1, 8))):
        issued = day(draw_(st.integers(-400, 60)))
        expires = issued + dt.timedelta(days=draw_(st.integers(0, 800)))
        rows.append({"issued": issued, "expires": expires, "tags": draw_(st.sets(st.sampled_from(["危货", "客运"]))),
                     "status": draw_(st.sampled_from(["active", "active", "inactive"])),
                     "in_task": draw_(st.booleans())})
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=people(), needed=st.sets(st.sampled_from(["危货", "客运"])))
def test_only_inspectors_valid_for_the_whole_period_qualified_active_and_in_the_task_are_eligible(
        session, rows, needed):
    nested = session.begin_nested()
    try:
        inside, outside = create_department(session), create_department(session)
        made = [(r, create_inspector(session, inside if r["in_task"] else outside, cert_issued_on=r["issued"],
                                     cert_expires_on=r["expires"], tags=sorted(r["tags"]), status=r["status"]))
                for r in rows]
        item = create_item(session, qualification_tags=sorted(needed))
        got = {i.id for i in assignment.qualified(session, [inside.id], assignment.required_tags([item]), *PERIOD)}
        expected = {i.id for r, i in made if r["in_task"] and r["status"] == "active" and r["issued"] <= PERIOD[0]
                    and r["expires"] >= PERIOD[1] and needed <= r["tags"]}
        assert got == expected
    finally:
        nested.rollback()


def test_drawn_groups_never_include_a_recused_expired_or_unqualified_inspector(session):
    kit = drawkit.setup(session, targets_per_level=(0, 6, 0, 0), inspectors_per_dept=4, tags=["危货"],
                        item_tags=["危货"], departments=2,
                        ratios={"low": "1", "general": "1", "higher": "1", "high": "1"})
    expired = create_inspector(session, kit.depts[0], tags=["危货"], cert_expires_on=dt.date(2024, 6, 30))
    unqualified = create_inspector(session, kit.depts[0], tags=[])
    recused = kit.inspectors[0]
    for t in kit.targets:
        session.add(Recusal(inspector_id=recused.id, target_uscc=t.uscc, reason="曾在该企业任职"))
    session.flush()
    d = drawkit.drawn(session, kit.office, kit.task.id, "")
    chosen = {i["cert_no"] for a in d.record["assignments"] for i in a["inspectors"]}
    assert len(d.record["assignments"]) == 6 and not d.record["unstaffed"]
    assert not chosen & {expired.cert_no, unqualified.cert_no, recused.cert_no}
    codes = {dept.code for dept in kit.depts}
    assert all({i["department"] for i in a["inspectors"]} == codes for a in d.record["assignments"])
    assert {r["cert_no"] for r in d.record["recusals"]} == {recused.cert_no}
    assert checks.verify(d.record) == []

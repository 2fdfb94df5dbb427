"""The push rules, run the same way against the in-memory store and the SQL store (SQLite and PostgreSQL)."""
from __future__ import annotations

from sync.errors import Transient
from tests.sync.harness import Device, answer, expect_error, full_inspection, uid

SHA_A, SHA_B = "a" * 64, "b" * 64


def statuses(resp):
    return [(r["id"], r["status"], r.get("code")) for r in resp["results"]]


def test_a_whole_inspection_waits_for_its_files_then_completes(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    h.hold(SHA_A)
    resp = h.push("wang", d.client_id, full_inspection(d, insp, cps, SHA_A, SHA_B))
    assert {s for _, s, _ in statuses(resp)} == {"applied"} and resp["last_applied_id"] == len(cps) + 8
    assert resp["inspections"] == [{"id": insp, "status": "pending_evidence", "version": 1, "locked": True,
                                    "has_conflicts": False, "missing_media": 3}]  # the three signatures' file
    h.hold(SHA_B)
    state = h.state(insp)
    assert state["status"] == "submitted" and state["result_categories"] == ["02"]
    assert len(state["answers"]) == len(cps) and len(state["photos"]) == 1 and len(state["signatures"]) == 3


def test_push_skips_already_applied_mutations(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    batch = [answer(d, insp, cps[0], "compliant"), answer(d, insp, cps[1], "noncompliant")]
    h.push("wang", d.client_id, batch)
    before = h.state(insp)
    again = h.push("wang", d.client_id, batch)
    assert statuses(again) == [(1, "duplicate", None), (2, "duplicate", None)]
    assert h.state(insp) == before and len(h.log()) == 2


def test_a_reused_mutation_id_with_other_content_is_refused_not_applied(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    h.push("wang", d.client_id, [answer(d, insp, cps[0], "compliant")])
    other = Device("wang", d.client_id)
    resp = h.push("wang", d.client_id, [answer(other, insp, cps[0], "noncompliant")])
    assert statuses(resp) == [(1, "rejected", "mutation_id_reused")]
    assert [a[2] for a in h.state(insp)["answers"]] == ["compliant"]


def test_a_gap_is_refused_whole_and_names_the_expected_id(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    first, second = [answer(d, insp, cps[0], "compliant")], [answer(d, insp, cps[1], "compliant")]
    second.append(answer(d, insp, cps[0], "na"))
    err = expect_error(lambda: h.push("wang", d.client_id, second), "mutation_gap")
    assert err.status == 409 and err.errors == {"expected_id": 1, "last_applied_id": 0}
    assert h.state(insp)["answers"] == [] and h.last_applied(d.client_id) == 0
    # Reordered delivery: the earlier batch arrives, then the later one is resent, and all is applied once.
    h.push("wang", d.client_id, first)
    assert statuses(h.push("wang", d.client_id, second)) == [(2, "applied", None), (3, "applied", None)]
    assert len(h.state(insp)["answers"]) == 3


def test_permanent_rejections_are_kept_and_the_queue_advances(h):
    insp, cps = h.new_inspection()
    foreign, _ = h.new_inspection(members=("zhao",))
    d = Device("wang")
    batch = [d.m("inspection.start", inspection_id=foreign, started_at="2024-05-06T09:00:00+08:00"),
             answer(d, insp, 999, "compliant"),
             d.m("inspection.fly", inspection_id=insp),
             answer(d, insp, cps[0], "maybe"),
             d.m("finding.amend", id=uid(), inspection_id=insp, finding_id=uid(), description="改",
                 reason="更正"),
             d.m("photo.attach", id=uid(), inspection_id=12345, sha256=SHA_A, taken_at="2024-05-06T09:00:00Z"),
             answer(d, insp, cps[0], "compliant")]
    resp = h.push("wang", d.client_id, batch)
    assert statuses(resp) == [(1, "rejected", "forbidden"), (2, "rejected", "unknown_checkpoint"),
                              (3, "rejected", "unknown_mutation"), (4, "rejected", "invalid_args"),
                              (5, "rejected", "unknown_finding"), (6, "rejected", "not_found"),
                              (7, "applied", None)]
    assert resp["last_applied_id"] == 7 and h.last_applied(d.client_id) == 7
    log = h.log()
    assert log[(d.client_id, 1)][2]["inspection_id"] == foreign  # arguments kept for the reviewer
    assert log[(d.client_id, 4)][2]["answer"] == "maybe"
    assert h.state(foreign)["answers"] == [] and h.state(foreign)["status"] == "assigned"
    assert [a[2] for a in h.state(insp)["answers"]] == ["compliant"]


def test_submit_needs_every_checkpoint_answered(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    resp = h.push("wang", d.client_id, [answer(d, insp, cps[0], "compliant"),
                                         d.m("inspection.submit", inspection_id=insp, result_categories=["01"],
                                             methods=["on_site"], follow_ups=["none"], summary="")])
    assert statuses(resp)[1] == (2, "rejected", "incomplete_submission")
    assert resp["results"][1]["errors"]["checkpoints"] == [cps[1]]
    assert h.state(insp)["status"] == "in_progress"


def test_evidence_after_submit_is_late_and_a_return_reopens_with_a_new_version(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    h.hold(SHA_A), h.hold(SHA_B)
    h.push("wang", d.client_id, full_inspection(d, insp, cps, SHA_A, SHA_B))
    late_answer = answer(d, insp, cps[0], "noncompliant")
    resp = h.push("wang", d.client_id, [late_answer, d.m("inspection.start", inspection_id=insp,
                                                          started_at="2024-05-06T09:00:00Z")])
    assert statuses(resp) == [(late_answer["id"], "late", None), (late_answer["id"] + 1, "applied", None)]
    state = h.state(insp)
    assert state["late"] == [("checkpoint.record", late_answer["args"]["id"])]
    assert [a[2] for a in state["answers"]] == ["compliant", "compliant"]  # the register is untouched
    h.set_status(insp, "returned")
    fix = answer(d, insp, cps[0], "noncompliant", base=[state["registers"][cps[0]][0]])
    fid = uid()  # a 不符合 checkpoint needs its finding and a photo (sync/submit_rules.py)
    finding = d.m("finding.add", id=fid, inspection_id=insp, checkpoint_id=cps[0], description="复核发现档案缺失",
                  legal_basis="", rectification="限期补齐", rectify_by=None)
    photo = d.m("photo.attach", id=uid(), inspection_id=insp, sha256=SHA_A, finding_id=fid, checkpoint_id=cps[0],
                caption="档案", taken_at="2024-05-06T09:40:00+08:00", latitude=None, longitude=None,
                accuracy_m=None, width=4, height=3, bytes=77, clock_offset_ms=None)
    submit = d.m("inspection.submit", inspection_id=insp, result_categories=["03"], methods=["on_site"],
                 follow_ups=["rectify"], summary="复核后改判")
    h.push("wang", d.client_id, [fix, finding, photo, submit])
    state = h.state(insp)
    assert (state["status"], state["version"], state["result_categories"]) == ("submitted", 2, ["03"])
    assert state["registers"][cps[0]][0] == fix["args"]["id"] and not state["has_conflicts"]


def test_different_answers_without_seeing_each_other_are_a_conflict_until_resolved(h):
    insp, cps = h.new_inspection()
    a, b = Device("wang"), Device("li", start_minute=30)
    ra, rb = answer(a, insp, cps[0], "compliant"), answer(b, insp, cps[0], "noncompliant")
    same_a, same_b = answer(a, insp, cps[1], "na"), answer(b, insp, cps[1], "na")
    h.push("wang", a.client_id, [ra, same_a])
    resp = h.push("li", b.client_id, [rb, same_b])
    assert resp["inspections"][0]["has_conflicts"] is True
    state = h.state(insp)
    winner, heads, conflict = state["registers"][cps[0]]
    assert conflict and set(heads) == {ra["args"]["id"], rb["args"]["id"]}
    assert winner == rb["args"]["id"]  # the later device time wins, both stay visible
    assert state["registers"][cps[1]][2] is False  # same answers: no conflict
    resolve = answer(a, insp, cps[0], "noncompliant", base=heads)
    h.push("wang", a.client_id, [resolve])
    state = h.state(insp)
    assert state["registers"][cps[0]] == (resolve["args"]["id"], (resolve["args"]["id"],), False)
    assert state["has_conflicts"] is False


def test_amendments_supersede_and_keep_the_original(h):
    insp, _ = h.new_inspection()
    d = Device("wang")
    fid, aid = uid(), uid()
    h.push("wang", d.client_id, [
        d.m("finding.add", id=fid, inspection_id=insp, checkpoint_id=None, description="原描述"),
        d.m("finding.amend", id=aid, inspection_id=insp, finding_id=fid, description="更正后的描述", reason="笔误")])
    assert h.state(insp)["findings"] == sorted([(fid, None, "原描述"), (aid, fid, "更正后的描述")])


def test_record_ids_are_idempotent_and_guarded(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    rid = uid()
    resp = h.push("wang", d.client_id, [answer(d, insp, cps[0], "compliant", rid=rid),
                                         answer(d, insp, cps[0], "compliant", rid=rid),
                                         answer(d, insp, cps[0], "na", rid=rid)])
    assert statuses(resp) == [(1, "applied", None), (2, "duplicate", "record_exists"), (3, "rejected", "id_conflict")]
    assert len(h.state(insp)["answers"]) == 1


def test_a_client_id_belongs_to_one_user(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    h.push("wang", d.client_id, [answer(d, insp, cps[0], "compliant")])
    err = expect_error(lambda: h.push("li", d.client_id, [answer(Device("li"), insp, cps[1], "na")]),
                       "client_mismatch")
    assert err.status == 409 and len(h.state(insp)["answers"]) == 1


def test_a_withdrawn_inspection_rejects_and_keeps_the_data(h):
    insp, cps = h.new_inspection()
    h.set_status(insp, "withdrawn")
    d = Device("wang")
    resp = h.push("wang", d.client_id, [answer(d, insp, cps[0], "compliant", note="现场已检查")])
    assert statuses(resp) == [(1, "rejected", "inspection_withdrawn")]
    assert h.log()[(d.client_id, 1)][2]["note"] == "现场已检查"


def test_a_transient_failure_applies_nothing_of_the_push(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    store = h.sql_store() if h.kind == "sql" else h.store
    calls = {"n": 0}
    real_apply = store.apply

    def flaky(user, mutation):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Transient()
        return real_apply(user, mutation)

    store.apply = flaky
    batch = [answer(d, insp, cps[0], "compliant"), answer(d, insp, cps[1], "na"), answer(d, insp, cps[0], "na")]
    expect_error(lambda: h.push("wang", d.client_id, batch, store=store), "transient")
    assert h.state(insp)["answers"] == [] and h.last_applied(d.client_id) == 0 and h.log() == {}
    assert [s for _, s, _ in statuses(h.push("wang", d.client_id, batch))] == ["applied"] * 3

"""Sync edge cases (issue 18 §2), against the in-memory store and the SQL store on SQLite and PostgreSQL:
impossible times, one malformed entry in a batch, a reinstalled phone replaying its outbox, a reused
mutation id, and a batch resent after its answer was lost."""
from __future__ import annotations

from tests.sync.harness import Device, answer, expect_error, full_inspection, uid
from tests.sync.test_store_contract import SHA_A, SHA_B, statuses

FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # past year 9999 in UTC
YEAR_ONE = "0001-01-01T00:00:00+08:00"  # before year 1 in UTC


def test_impossible_times_are_rejected_alone_and_kept_for_the_reviewer(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    late_clock = answer(d, insp, cps[0], "compliant", note="设备时间错误")
    late_clock["created_at"] = FAR_FUTURE
    early_clock = answer(d, insp, cps[1], "na")
    early_clock["created_at"] = "0001-01-01T00:00:00Z"
    batch = [late_clock, early_clock,
             d.m("photo.attach", id=uid(), inspection_id=insp, sha256=SHA_A, taken_at=YEAR_ONE),
             d.m("signature.add", id=uid(), inspection_id=insp, sha256=SHA_B, signer_role="party",
                 signer_name="赵志强", signed_at=FAR_FUTURE),
             d.m("finding.add", id=uid(), inspection_id=insp, description="档案不全", rectify_by="0001-01-01"),
             d.m("inspection.start", inspection_id=insp, started_at=FAR_FUTURE),
             answer(d, insp, cps[0], "compliant")]
    resp = h.push("wang", d.client_id, batch)
    assert statuses(resp) == [(n, "rejected", "invalid_args") for n in range(1, 7)] + [(7, "applied", None)]
    assert [sorted(r["errors"]) for r in resp["results"][:6]] == [
        ["created_at"], ["created_at"], ["taken_at"], ["signed_at"], ["rectify_by"], ["started_at"]]
    assert "超出范围" in resp["results"][0]["errors"]["created_at"]
    assert FAR_FUTURE in resp["results"][0]["errors"]["created_at"]  # what the phone sent, for the reviewer
    assert resp["last_applied_id"] == 7 and h.last_applied(d.client_id) == 7
    log = h.log()
    assert log[(d.client_id, 1)][0] == "rejected" and log[(d.client_id, 1)][2]["note"] == "设备时间错误"
    assert log[(d.client_id, 3)][2]["taken_at"] == YEAR_ONE
    state = h.state(insp)
    assert len(state["answers"]) == 1 and state["photos"] == [] and state["findings"] == []


def test_a_malformed_entry_is_rejected_alone_kept_and_the_queue_advances(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    first = answer(d, insp, cps[0], "compliant")
    args_not_object = d.m("checkpoint.record", id=uid(), inspection_id=insp)
    args_not_object["args"] = [insp, cps[0], "compliant"]
    no_offset = answer(d, insp, cps[0], "noncompliant", note="无时区")
    no_offset["created_at"] = "2024-05-06T09:00:00"
    no_name = answer(d, insp, cps[1], "na", note="缺少名称")
    del no_name["name"]
    extra = answer(d, insp, cps[1], "na")
    extra["signature"] = "x"
    batch = [first, args_not_object, no_offset, no_name, extra,
             answer(d, insp, cps[1], "compliant")]
    resp = h.push("wang", d.client_id, batch)
    assert statuses(resp) == [(1, "applied", None), (2, "rejected", "invalid_args"), (3, "rejected", "invalid_args"),
                              (4, "rejected", "invalid_args"), (5, "rejected", "invalid_args"), (6, "applied", None)]
    assert [r.get("errors") for r in resp["results"][1:5]] == [
        {"args": "应为 JSON 对象"}, {"created_at": "时间必须带时区（收到“2024-05-06T09:00:00”）"},
        {"name": "必填"}, {"signature": "不认识的字段"}]
    assert resp["results"][2]["message"] == "操作数据有误：created_at 时间必须带时区（收到“2024-05-06T09:00:00”）"
    assert resp["last_applied_id"] == 6 and h.last_applied(d.client_id) == 6
    log = h.log()
    assert log[(d.client_id, 2)][2] == {"_raw": [insp, cps[0], "compliant"]}  # kept as sent
    assert log[(d.client_id, 3)][2]["note"] == "无时区" and log[(d.client_id, 4)][2]["note"] == "缺少名称"
    assert sorted(a[2] for a in h.state(insp)["answers"]) == ["compliant", "compliant"]
    # Resent after a lost answer, each entry gets the answer it got the first time.
    assert h.push("wang", d.client_id, batch)["results"][1:5] == resp["results"][1:5]


def test_an_entry_without_a_usable_id_refuses_the_whole_push(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    for bad in ({"id": None}, {"id": "2"}, {"id": True}, {"id": 0}):
        batch = [answer(d, insp, cps[0], "compliant"), {**answer(d, insp, cps[1], "na"), **bad}]
        err = expect_error(lambda: h.push("wang", d.client_id, batch), "validation_error")
        assert err.status == 422 and list(err.errors["mutations"]) == [1] and "id" in err.errors["mutations"][1]
        assert "未同步的记录仍保存在本机" in err.message
    err = expect_error(lambda: h.push("wang", d.client_id, [answer(d, insp, cps[0], "na"), "not an entry"]),
                       "validation_error")
    assert err.errors == {"mutations": {1: {"_schema": ["应为 JSON 对象"]}}}
    assert h.state(insp)["answers"] == [] and h.last_applied(d.client_id) == 0


def test_a_reinstalled_phone_replaying_its_outbox_stores_nothing_twice(h):
    insp, cps = h.new_inspection()
    h.hold(SHA_A), h.hold(SHA_B)
    d = Device("wang")
    outbox = full_inspection(d, insp, cps, SHA_A, SHA_B)
    h.push("wang", d.client_id, outbox)
    before = h.state(insp)
    assert before["status"] == "submitted"
    reinstalled = Device("wang").client_id  # the same entries, acknowledged before, under a new client id
    resp = h.push("wang", reinstalled, outbox)
    assert statuses(resp) == [(1, "applied", None)] + [(n, "duplicate", "record_exists")
                                                       for n in range(2, len(outbox) + 1)]
    assert h.state(insp) == before and before["late"] == []  # no late evidence, nothing doubled
    assert resp["last_applied_id"] == len(outbox) and resp["inspections"][0]["status"] == "submitted"
    assert h.log()[(reinstalled, 2)][:2] == ("duplicate", "record_exists")  # the office sees the replay


def test_a_replay_before_submit_is_a_no_op_too(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    outbox = [answer(d, insp, cps[0], "compliant"), d.m("party.record", id=uid(), inspection_id=insp, name="赵志强")]
    h.push("wang", d.client_id, outbox)
    before = h.state(insp)
    resp = h.push("wang", Device("wang").client_id, outbox)
    assert statuses(resp) == [(1, "duplicate", "record_exists"), (2, "duplicate", "record_exists")]
    assert h.state(insp) == before


def test_a_replayed_record_with_other_content_is_a_conflict_kept_for_the_reviewer(h):
    insp, cps = h.new_inspection()
    h.hold(SHA_A), h.hold(SHA_B)
    d = Device("wang")
    outbox = full_inspection(d, insp, cps, SHA_A, SHA_B)
    h.push("wang", d.client_id, outbox)
    before = h.state(insp)
    changed = [dict(m, args=dict(m["args"])) for m in outbox]
    changed[1]["args"]["answer"] = "noncompliant"  # the same answer id, another judgement
    changed[-1]["args"]["summary"] = "改判"  # and a submit with another result
    other = Device("wang").client_id
    resp = h.push("wang", other, changed)
    assert statuses(resp)[1] == (2, "rejected", "id_conflict")
    assert statuses(resp)[-1] == (len(outbox), "late", None)  # another result after the lock: late evidence
    assert h.state(insp)["answers"] == before["answers"]
    assert h.log()[(other, 2)][2]["answer"] == "noncompliant"  # kept for the reviewer


def test_changed_content_under_a_used_mutation_id_is_kept_as_a_rejection(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    h.push("wang", d.client_id, [answer(d, insp, cps[0], "compliant")])
    reused = answer(Device("wang", d.client_id), insp, cps[0], "noncompliant", note="编号被重复使用")
    resp = h.push("wang", d.client_id, [reused])
    assert statuses(resp) == [(1, "rejected", "mutation_id_reused")]
    assert "编号 1" in resp["results"][0]["message"] and resp["last_applied_id"] == 1
    assert [a[2] for a in h.state(insp)["answers"]] == ["compliant"]
    assert h.log()[(d.client_id, 1)][:2] == ("applied", None)  # the original stays as it was
    assert [(c, i, a["note"]) for c, i, a in h.reused()] == [(d.client_id, 1, "编号被重复使用")]
    again = h.push("wang", d.client_id, [reused])  # the same push again: the same answer, kept once
    assert statuses(again) == [(1, "rejected", "mutation_id_reused")] and len(h.reused()) == 1


def test_a_resent_batch_gets_its_first_answers_again(h):
    insp, cps = h.new_inspection()
    h.hold(SHA_A), h.hold(SHA_B)
    d = Device("wang")
    h.push("wang", d.client_id, full_inspection(d, insp, cps, SHA_A, SHA_B))
    batch = [answer(d, insp, cps[0], "maybe"), answer(d, insp, cps[0], "noncompliant")]
    first = h.push("wang", d.client_id, batch)
    assert statuses(first) == [(batch[0]["id"], "rejected", "invalid_args"), (batch[1]["id"], "late", None)]
    again = h.push("wang", d.client_id, batch)  # the answer was cut: a rejection stays a rejection, late stays late
    assert again["results"] == first["results"]
    assert len(h.state(insp)["late"]) == 1


def test_values_a_database_cannot_hold_are_rejected_alone_not_retried_forever(h):
    # On PostgreSQL a NUL in text, or an integer past 32 bits, failed the whole push as `transient` (or a 500
    # on SQLite): the phone retried it for good. Each is that entry's invalid_args now, kept as sent.
    insp, cps = h.new_inspection()
    d = Device("wang")
    nul_note = answer(d, insp, cps[0], "compliant", note="灭火器\x00过期")
    nul_key = answer(d, insp, cps[0], "compliant")
    nul_key["args"]["备注\x00"] = 1
    nul_name = answer(d, insp, cps[0], "na")
    nul_name["name"] = "checkpoint.record\x00"
    huge_inspection = answer(d, insp, cps[0], "compliant")
    huge_inspection["args"]["inspection_id"] = 2 ** 70
    huge_checkpoint = answer(d, insp, cps[0], "compliant")
    huge_checkpoint["args"]["checkpoint_id"] = 2 ** 40
    huge_width = d.m("photo.attach", id=uid(), inspection_id=insp, sha256=SHA_A, taken_at="2024-05-06T09:00:00Z",
                     width=2 ** 31)
    batch = [nul_note, nul_key, nul_name, huge_inspection, huge_checkpoint, huge_width,
             answer(d, insp, cps[1], "compliant")]
    resp = h.push("wang", d.client_id, batch)
    assert statuses(resp) == [(n, "rejected", "invalid_args") for n in range(1, 7)] + [(7, "applied", None)]
    assert [list(r["errors"]) for r in resp["results"][:6]] == [
        ["args"], ["args"], ["name"], ["inspection_id"], ["checkpoint_id"], ["width"]]
    assert "空字符" in resp["results"][0]["errors"]["args"] and "超出范围" in resp["results"][3]["errors"]["inspection_id"]
    log = h.log()
    assert log[(d.client_id, 1)][2]["note"] in ("灭火器\x00过期", "灭火器␀过期")  # kept; shown where the NUL was
    assert log[(d.client_id, 4)][2]["inspection_id"] == 2 ** 70
    assert h.last_applied(d.client_id) == 7 and len(h.state(insp)["answers"]) == 1


def test_a_mutation_id_past_what_the_server_can_count_is_an_envelope_error(h):
    insp, cps = h.new_inspection()
    d = Device("wang")
    err = expect_error(lambda: h.push("wang", d.client_id, [dict(answer(d, insp, cps[0], "na"), id=2 ** 31)]),
                       "validation_error")
    assert "id" in err.errors["mutations"][0]

"""Pure protocol rules: register resolution, cursors and pull pages (memory store), envelope checks."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import SyncError
from sync.memory_store import MemoryStore
from sync.merge import Answer, resolve
from sync.pull import OVERLAP, decode_cursor, encode_cursor, parse_limit, pull_page
from sync.wire import parse_push
from tests.sync.harness import VOCAB

T0 = dt.datetime(2024, 5, 6, 1, 0, tzinfo=dt.timezone.utc)


@st.composite
def answer_sets(draw):
    n = draw(st.integers(1, 6))
    answers = []
    for k in range(n):
        base = draw(st.lists(st.sampled_from([a.id for a in answers]), unique=True)) if answers else []
        answers.append(Answer(f"a{k}", draw(st.sampled_from(["compliant", "noncompliant", "na"])), "",
                              tuple(base), T0 + dt.timedelta(minutes=draw(st.integers(0, 5)))))
    return answers


@given(answer_sets(), st.randoms())
def test_a_register_does_not_depend_on_arrival_order(answers, rnd):
    shuffled = list(answers)
    rnd.shuffle(shuffled)
    assert resolve(answers) == resolve(shuffled)


@given(answer_sets())
def test_heads_are_the_undominated_answers_and_conflict_means_they_differ(answers):
    reg = resolve(answers)
    dominated = {b for a in answers for b in a.base}
    heads = [a for a in answers if a.id not in dominated]
    assert set(reg.heads) == {a.id for a in heads}
    assert reg.conflict == (len({a.answer for a in heads}) > 1)
    assert reg.winner == max(heads, key=lambda a: (a.created_at, a.id))


def test_a_later_answer_that_saw_the_earlier_one_wins_even_with_an_earlier_clock():
    first = Answer("a", "compliant", "", (), T0)
    fixed = Answer("b", "noncompliant", "", ("a",), T0 - dt.timedelta(hours=1))  # the phone's clock is behind
    assert resolve([first, fixed]).winner.id == "b"


def test_cursors_round_trip_and_garbage_is_refused():
    after = (T0, 7)
    assert decode_cursor(encode_cursor(T0, after)) == (T0, after)
    assert decode_cursor(None) == (None, None)
    for bad in ("not-a-cursor", "eyJ2IjoyfQ", encode_cursor(T0, None)[:-3]):
        with pytest.raises(SyncError) as err:
            decode_cursor(bad)
        assert err.value.code == "bad_cursor"
    assert (parse_limit("500"), parse_limit("0"), parse_limit("x")) == (100, 1, 50)


def test_pull_pages_are_bounded_and_the_last_names_every_assignment():
    clock = {"t": T0}
    store = MemoryStore(VOCAB, clock=lambda: clock["t"])
    me = SimpleNamespace(id=1, inspector_id=1)
    for i in range(1, 6):
        clock["t"] = T0 + dt.timedelta(seconds=i)
        store.add_inspection(i, [1, 2], [i * 10])
    store.add_inspection(9, [3], [90])
    pages, cursor = [], None
    while True:
        page = pull_page(store, me, cursor, limit=2)
        pages.append(page)
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert [[b["id"] for b in p["inspections"]] for p in pages] == [[1, 2], [3, 4], [5]]
    assert pages[-1]["assigned"] == [1, 2, 3, 4, 5] and all("assigned" not in p for p in pages[:-1])
    clock["t"] = T0 + dt.timedelta(minutes=5)
    store.inspections[3].status, store.inspections[3].changed_at = "withdrawn", clock["t"]
    again = pull_page(store, me, cursor, limit=2)
    assert again["tombstones"] == [{"id": 3, "reason": "withdrawn"}]  # tombstones come on the first page
    while again["more"]:
        again = pull_page(store, me, again["cursor"], limit=2)
    assert again["assigned"] == [1, 2, 4, 5]


def test_a_change_committed_just_behind_the_cursor_is_still_delivered():
    clock = {"t": T0}
    store = MemoryStore(VOCAB, clock=lambda: clock["t"])
    me = SimpleNamespace(id=1, inspector_id=1)
    store.add_inspection(1, [1], [10])
    cursor = pull_page(store, me, None)["cursor"]
    # A transaction stamped its change before the pull's newest row but committed after the pull read.
    store.add_inspection(2, [1], [20]).changed_at = T0 - OVERLAP / 2
    assert sorted(b["id"] for b in pull_page(store, me, cursor)["inspections"]) == [1, 2]


def _parse(mutations):
    import json
    return parse_push(json.dumps({"protocol": 1, "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                                  "mutations": mutations}), 500)


@pytest.mark.parametrize("entry,field", [
    ({"id": 1, "name": "inspection.start", "created_at": "2024-05-06T09:00:00", "args": {}}, "created_at"),
    ({"id": 1, "name": "inspection.start", "created_at": "2024-05-06T09:00:00Z", "args": []}, "args"),
    ({"id": 1, "name": "x", "created_at": "2024-05-06T09:00:00Z", "args": {}, "extra": 1}, "extra"),
    ({"id": 1, "created_at": "2024-05-06T09:00:00Z", "args": {}}, "name"),
    ({"id": 1, "name": "x", "created_at": "9999-12-31T23:59:59-14:00", "args": {}}, "created_at"),
])
def test_an_entrys_own_problems_are_named_for_its_rejection_alone(entry, field):
    envelope, _ = _parse([entry, {"id": 2, "name": "x", "created_at": "2024-05-06T09:00:00Z", "args": {}}])
    first, second = envelope["mutations"]
    assert list(first["problems"]) == [field] and second["problems"] == {}


@pytest.mark.parametrize("entry", [
    {"id": 0, "name": "inspection.start", "created_at": "2024-05-06T09:00:00Z", "args": {}},
    {"name": "inspection.start", "created_at": "2024-05-06T09:00:00Z", "args": {}},
])
def test_an_entry_without_a_usable_id_is_an_envelope_error_naming_it(entry):
    with pytest.raises(SyncError) as err:
        _parse([entry])
    assert err.value.code == "validation_error" and "id" in err.value.errors["mutations"][0]


def test_ids_must_count_up_without_holes():
    import json
    ms = [{"id": i, "name": "x", "created_at": "2024-05-06T09:00:00Z", "args": {}} for i in (1, 2, 4)]
    with pytest.raises(SyncError, match="编号必须连续递增"):
        parse_push(json.dumps({"protocol": 1, "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                               "mutations": ms}), 500)


def test_json_nested_past_the_parsers_depth_is_malformed_not_a_crash():
    with pytest.raises(SyncError) as err:
        parse_push("[" * 100_000 + "]" * 100_000, 500)
    assert err.value.code == "malformed_json"

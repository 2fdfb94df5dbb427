"""The completeness rules of inspection.submit (sync/submit_rules.py), replayed from the vectors in
sync/examples/submit_rules/cases.json (the PWA's twin replays the same, tests/pwa/submit-rules.test.js)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sync import submit_rules

CASES = json.loads((Path(__file__).resolve().parents[2] / "sync" / "examples" / "submit_rules" / "cases.json")
                   .read_text("utf-8"))["cases"]


def state_of(raw: dict) -> submit_rules.SubmitState:
    tup = {k: tuple(v) for k, v in raw.items() if isinstance(v, list)}
    return submit_rules.SubmitState(**{**raw, **tup})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_rule_trips_on_the_smallest_inspection_that_breaks_it(case):
    found = submit_rules.problems(state_of(case["state"]))
    assert [p.code for p in found] == case["problems"]
    for p in found:  # every message says, in Chinese, where to fix it
        assert re.search(r"[\u4e00-\u9fff]", p.message) and "请" in p.message, p.message


def test_every_rule_has_a_vector_that_trips_it_alone_and_one_that_passes():
    alone = {c["problems"][0] for c in CASES if len(c["problems"]) == 1}
    assert alone == set(submit_rules.CODES) - {submit_rules.SIGNATURES_STALE}
    assert any(not c["problems"] for c in CASES)


def test_the_rejection_names_the_first_problem_and_lists_the_others():
    case = next(c for c in CASES if c["name"] == "nothing_at_all")
    rejection = submit_rules.rejection(state_of(case["state"]))
    assert rejection.code == "result_inconsistent"
    assert [a["code"] for a in rejection.errors["also"]] == case["problems"][1:]

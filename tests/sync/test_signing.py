"""What a signature covers (sync/signing.py) and the submit rule that checks it (sync/submit_rules.py): the
golden vectors in sync/examples/signing/, which the PWA's node tests replay against pwa/js/signing.js too."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync import signing, submit_rules

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "sync" / "examples" / "signing" / "digest.json")
                     .read_text("utf-8"))


@pytest.mark.parametrize("case", VECTORS["digests"], ids=[c["name"] for c in VECTORS["digests"]])
def test_the_digest_of_each_golden_case(case):
    body = signing.content(**case["input"])
    assert signing.canonical_json(body).decode("utf-8") == case["canonical"]
    assert signing.digest(body) == case["digest"]


def test_text_is_stripped_as_the_wire_schemas_strip_it():
    for raw, expected in VECTORS["strip"]:
        assert raw.strip() == expected


def test_the_latest_signature_of_each_signer_is_the_current_one():
    assert sorted(signing.current_ids(VECTORS["signatures"]["input"])) == VECTORS["signatures"]["current"]


STALE = (submit_rules.signatures_cover_content,)  # the signature rule alone (the others: test_submit_rules.py)


def _state(**changes):
    case = VECTORS["digests"][0]["input"]
    conclusion = {k: case[k] for k in ("result_categories", "methods", "follow_ups", "summary")}
    base = dict(inspection_id=case["inspection_id"], conclusion=conclusion, answers=tuple(case["answers"]),
                findings=tuple(case["findings"]))
    return submit_rules.SubmitState(**{**base, **changes})


def _sig(n, digest, role="party", name="赵志强", at="2024-05-06T09:07:00+08:00", inspector_id=None):
    return {"id": f"00000000-0000-4000-8000-00000000000{n}", "signer_role": role, "signer_name": name,
            "inspector_id": inspector_id, "signed_at": at, "digest": digest}


def test_signatures_over_the_submitted_content_pass():
    good = VECTORS["digests"][0]["digest"]
    state = _state(signatures=(_sig(1, good), _sig(2, good, "inspector", "王建国", inspector_id=1)))
    assert state.content_digest() == good
    assert submit_rules.problems(state, STALE) == []


def test_a_signature_given_before_a_change_is_refused_with_who_must_sign_again():
    good = VECTORS["digests"][0]["digest"]
    changed = _state(answers=({"checkpoint_id": 1, "answer": "noncompliant", "note": ""},
                              {"checkpoint_id": 2, "answer": "noncompliant", "note": "2 辆车技术档案缺少年度审验记录"}),
                     signatures=(_sig(1, good), _sig(2, good, "inspector", "王建国", inspector_id=1)))
    [problem] = submit_rules.problems(changed, STALE)
    assert problem.code == "signatures_stale" and problem.errors["digest"] == changed.content_digest()
    assert problem.errors["signers"] == ["当事人 赵志强", "检查人员 王建国"]
    assert "重新签名" in problem.message and "当事人 赵志强" in problem.message


def test_re_signing_replaces_a_stale_signature_and_one_without_a_digest_binds_nothing():
    good = VECTORS["digests"][0]["digest"]
    state = _state(signatures=(_sig(1, "0" * 64), _sig(2, good, at="2024-05-06T09:30:00+08:00"),
                               _sig(3, None, "witness", "孙丽")))
    assert submit_rules.problems(state, STALE) == []
    edited = _state(conclusion={**state.conclusion, "summary": "改过的综述"}, signatures=state.signatures)
    assert [p.errors["signatures"] for p in submit_rules.problems(edited, STALE)] == [[_sig(2, good)["id"]]]

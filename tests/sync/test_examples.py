"""Replay every golden example of sync/examples against the real server (the PWA's tests replay them too)."""
from __future__ import annotations

import pytest

from tests.sync.scenario import GIVEN, load_examples, login, mismatches, send

EXAMPLES = load_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_example_replays_against_the_server(example, client, session):
    GIVEN[example["given"]](session)
    tokens = {"token": login(client, "wangjg", "王建国的手机"), "token_lim": login(client, "lim", "李明的手机")}
    for step in example["setup"]:
        resp = send(client, step, tokens)
        assert resp.status_code < 300, (step, resp.get_data(as_text=True))
    resp = send(client, example["request"], tokens)
    expected = example["response"]
    body = resp.get_json(silent=True) if resp.data else None
    assert resp.status_code == expected["status"], body
    headers = {name: resp.headers.get(name) for name in expected.get("headers", {})}
    assert mismatches(expected.get("headers", {}), headers) == [], headers
    if expected["body"] is None:
        assert not resp.data
    else:
        assert mismatches(expected["body"], body) == [], body


def test_examples_cover_every_mutation_and_media_error():
    names = {m.get("name") for e in EXAMPLES for r in e["setup"] + [e["request"]]
             for m in (r.get("json") or {}).get("mutations", []) if isinstance(m, dict)}
    assert {"inspection.start", "checkpoint.record", "finding.add", "photo.attach", "signature.add",
            "party.record", "inspection.submit"} <= names
    codes = {e["response"]["body"]["code"] for e in EXAMPLES if e["response"]["body"] and "code" in e["response"]["body"]}
    assert {"hash_mismatch", "bad_image", "mutation_gap", "unsupported_protocol", "malformed_json",
            "bad_credentials", "token_revoked", "bad_cursor", "forbidden", "not_found", "validation_error"} <= codes
    results = {(r["status"], r.get("code")) for e in EXAMPLES if e["response"]["body"]
               for r in e["response"]["body"].get("results", [])}
    assert {("duplicate", "record_exists"), ("rejected", "mutation_id_reused"), ("rejected", "invalid_args"),
            ("duplicate", None), ("late", None)} <= results

"""No HTML under /api/: every failure a phone can meet there is the JSON error envelope, a HEAD's too."""
from __future__ import annotations

import pytest

from server.extensions import db
from tests.server.images import image_bytes
from tests.sync.scenario import login, one_inspection

MISSING = "0" * 64


@pytest.fixture
def auth(client, session):
    one_inspection(session)
    return {"Authorization": f"Bearer {login(client, 'wangjg')}"}


def assert_envelope(resp, status: int, code: str):
    assert resp.status_code == status and resp.mimetype == "application/json", (resp.status_code, resp.mimetype)
    if resp.request.method != "HEAD":
        body = resp.get_json()
        assert (body["status"], body["code"]) == (status, code) and body["message"], body


def test_head_of_a_missing_file_is_the_apis_404(client, auth):
    resp = client.head(f"/api/v1/media/{MISSING}", headers=auth)
    assert_envelope(resp, 404, "not_found")
    assert resp.data == b""  # HEAD has no body; its type says what a GET of it would carry
    assert client.get(f"/api/v1/media/{MISSING}", headers=auth).get_json()["code"] == "not_found"


def test_head_of_a_held_file_still_names_the_image(client, auth):
    import hashlib
    data = image_bytes("JPEG", (64, 48))
    sha = hashlib.sha256(data).hexdigest()
    client.put(f"/api/v1/media/{sha}", data=data, headers={**auth, "Content-Type": "image/jpeg"})
    resp = client.head(f"/api/v1/media/{sha}", headers=auth)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg" and resp.headers["Content-Length"] == str(len(data))


@pytest.mark.parametrize("method,path,with_token,status,code", [
    ("HEAD", f"/api/v1/media/{MISSING}", False, 401, "token_missing"),
    ("HEAD", "/api/v1/media/not-a-hash", True, 400, "bad_hash"),
    ("GET", "/api/v1/nowhere", True, 404, "not_found"),
    ("GET", "/api", False, 404, "not_found"),
    ("HEAD", "/api/v1/nowhere", True, 404, "not_found"),
    ("DELETE", "/api/v1/sync/push", True, 405, "method_not_allowed"),
    ("GET", "/api/v1/inspections/99/receipt", True, 404, "not_found"),
])
def test_every_api_failure_is_json(client, auth, method, path, with_token, status, code):
    assert_envelope(client.open(path, method=method, headers=auth if with_token else {}), status, code)


def test_an_oversized_body_is_json(client, app, auth):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = client.post("/api/v1/sync/push", headers={**auth, "Content-Type": "application/json"}, data=b" " * 4096)
    assert_envelope(resp, 413, "payload_too_large")


def test_an_unexpected_error_is_json_even_when_the_rollback_fails(client, app, auth, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    def dead_database():
        raise RuntimeError("the database went away")

    monkeypatch.setattr("server.api.sync.handle_push", broken)
    monkeypatch.setattr(db.session, "rollback", dead_database)
    resp = client.post("/api/v1/sync/push", headers=auth, json={"protocol": 1, "mutations": []})
    assert_envelope(resp, 500, "internal_error")

"""Media PUT/HEAD: hash check, real-image check, limits, atomic content-addressed storage, thumbnails,
and pending evidence completing when the last file lands."""
from __future__ import annotations

import hashlib
import os

import pytest

from server.models.fieldwork import MediaFile
from server.models.inspections import Inspection
from tests.server.images import huge_png, image_bytes, truncated_jpeg
from tests.sync.harness import Device, full_inspection
from tests.sync.scenario import login, one_inspection


@pytest.fixture
def auth(client, session):
    one_inspection(session)
    return {"Authorization": f"Bearer {login(client, 'wangjg')}"}


def put(client, auth, data: bytes, sha: str | None = None, ctype="image/jpeg"):
    sha = sha or hashlib.sha256(data).hexdigest()
    return client.put(f"/api/v1/media/{sha}", data=data, headers={**auth, "Content-Type": ctype})


def stored_files(app) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), app.config["MEDIA_DIR"])
                  for d, _, files in os.walk(app.config["MEDIA_DIR"]) for f in files)


def test_put_stores_a_photo_once_with_its_thumbnail(client, auth, app, session):
    data = image_bytes("JPEG", (1600, 1200), noise=True)
    sha = hashlib.sha256(data).hexdigest()
    first, again = put(client, auth, data), put(client, auth, data)
    assert first.status_code == 201 and first.get_json() == {"sha256": sha, "bytes": len(data), "width": 1600,
                                                             "height": 1200, "format": "JPEG", "created": True}
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert stored_files(app) == [f"{sha[:2]}/{sha}", f"thumbs/{sha[:2]}/{sha}.jpg"]
    with open(os.path.join(app.config["MEDIA_DIR"], sha[:2], sha), "rb") as fh:
        assert fh.read() == data
    head = client.head(f"/api/v1/media/{sha}", headers=auth)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))
    assert client.head(f"/api/v1/media/{'0' * 64}", headers=auth).status_code == 404


@pytest.mark.parametrize("make,code,status", [
    (lambda: (image_bytes("PNG", (8, 8)), "0" * 64), "hash_mismatch", 422),
    (lambda: (b"plain text, not a picture", None), "bad_image", 422),
    (lambda: (truncated_jpeg(), None), "truncated_image", 422),
    (lambda: (huge_png(), None), "image_too_large", 422),
    (lambda: (b"\xff" * (50 * 1024 * 1024), None), "payload_too_large", 413),
    (lambda: (b"", None), "empty_body", 400),
])
def test_bad_uploads_get_a_precise_code_and_store_nothing(client, auth, app, session, make, code, status):
    data, sha = make()
    resp = put(client, auth, data, sha)
    body = resp.get_json()
    assert (resp.status_code, body.get("code")) == (status, code) and body["message"], body
    assert stored_files(app) == [] and session.query(MediaFile).count() == 0


def test_hash_mismatch_names_the_actual_hash(client, auth):
    data = image_bytes("PNG", (8, 8))
    body = put(client, auth, data, "1" * 64).get_json()
    assert body["errors"] == {"actual": hashlib.sha256(data).hexdigest()}
    assert body["message"] == "文件内容与其 SHA-256 不符（可能传输中损坏），请重新上传"


def test_a_name_that_is_not_a_sha256_is_refused(client, auth):
    resp = client.put("/api/v1/media/..%2f..%2fetc%2fpasswd", data=b"x", headers=auth)
    assert resp.status_code in (400, 404)
    resp = client.put("/api/v1/media/ABC", data=b"x", headers=auth)
    assert resp.get_json()["code"] == "bad_hash"


def test_media_needs_a_token(client, session):
    resp = client.put(f"/api/v1/media/{'0' * 64}", data=b"x")
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_missing"


def test_submit_waits_for_the_last_file_then_completes(client, auth, session):
    photo, sig = image_bytes("JPEG", (320, 240)), image_bytes("PNG", (40, 16))
    sha_p, sha_s = hashlib.sha256(photo).hexdigest(), hashlib.sha256(sig).hexdigest()
    d = Device("wang")
    resp = client.post("/api/v1/sync/push", headers=auth, json={
        "protocol": 1, "client_id": d.client_id, "mutations": full_inspection(d, 1, [1, 2], sha_p, sha_s)})
    assert resp.get_json()["inspections"][0]["status"] == "pending_evidence"
    insp = session.get(Inspection, 1)
    assert insp.completed_at is None
    put(client, auth, photo)
    session.expire_all()
    assert session.get(Inspection, 1).status == "pending_evidence"
    put(client, auth, sig, ctype="image/png")
    session.expire_all()
    insp = session.get(Inspection, 1)
    assert insp.status == "submitted" and insp.completed_at is not None
    receipt = client.get("/api/v1/inspections/1/receipt", headers=auth).get_json()
    assert receipt["complete"] is True and receipt["missing"] == []

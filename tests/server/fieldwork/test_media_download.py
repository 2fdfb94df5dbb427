"""Media download over the API: a member of an inspection's group gets the photos, signatures and late evidence
of that inspection (file and thumbnail, cached for good), an inspector of another group gets a 403 and no
bytes, an unknown or not yet uploaded file is a 404 and a bad name a 400 — each with its Chinese message.
Staff cannot hold API tokens (only inspectors can), so they read media through the office pages only."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from server.models.inspections import Inspector
from tests import factories
from tests.server.images import image_bytes
from tests.sync.harness import T0, Device, uid
from tests.sync.scenario import login, one_inspection

PHOTO = image_bytes("JPEG", (640, 480))
SIGNATURE = image_bytes("PNG", (300, 120))  # smaller than a thumbnail: not enlarged
LATE = image_bytes("WEBP", (400, 300))
FORBIDDEN = "您无权查看此文件：它不属于您所在检查组的检查"
NOT_HELD = "服务器上还没有这个文件（可能尚未上传），请稍后同步后再看"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def group(client, session):
    """Inspection 1: 王建国's phone uploads a photo and the party's signature, submits, then a late photo."""
    one_inspection(session)
    zhao = session.query(Inspector).filter_by(name="赵刚").one()  # in the group of inspection 2 only
    factories.create_user(session, role="inspector", username="zhaog", inspector_id=zhao.id)
    session.commit()
    wang, li, zhaog = (bearer(login(client, u)) for u in ("wangjg", "lim", "zhaog"))
    for data in (PHOTO, SIGNATURE, LATE):
        assert client.put(f"/api/v1/media/{sha(data)}", data=data, headers=wang).status_code == 201
    d = Device("wang")
    photo = dict(inspection_id=1, finding_id=None, checkpoint_id=1, caption="经营许可证", taken_at=T0.isoformat(),
                 latitude=None, longitude=None, accuracy_m=None, width=640, height=480, clock_offset_ms=0)
    mutations = [
        d.m("inspection.start", inspection_id=1, started_at=T0.isoformat()),
        d.m("photo.attach", id=uid(), sha256=sha(PHOTO), bytes=len(PHOTO), **photo),
        d.m("signature.add", id=uid(), inspection_id=1, sha256=sha(SIGNATURE), signer_role="party",
            signer_name="赵志强", inspector_id=None, signed_at=T0.isoformat()),
        d.m("inspection.submit", inspection_id=1, result_categories=["01"], methods=["on_site"],
            follow_ups=["none"], summary="未发现问题"),
        d.m("photo.attach", id=uid(), sha256=sha(LATE), bytes=len(LATE), **photo),  # after submit: late evidence
    ]
    resp = client.post("/api/v1/sync/push", headers=wang, json={"protocol": 1, "client_id": d.client_id,
                                                                "mutations": mutations})
    assert resp.status_code == 200 and not resp.get_json().get("rejected"), resp.get_json()
    return {"wang": wang, "li": li, "zhaog": zhaog}


def assert_immutable(resp, mime: str):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == mime
    assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("data,mime", [(PHOTO, "image/jpeg"), (SIGNATURE, "image/png"), (LATE, "image/webp")],
                         ids=["photo", "signature", "late-evidence"])
def test_the_other_member_of_the_group_gets_the_file_and_its_thumbnail(client, group, data, mime):
    resp = client.get(f"/api/v1/media/{sha(data)}", headers=group["li"])
    assert_immutable(resp, mime)
    assert resp.data == data
    thumb = client.get(f"/api/v1/media/{sha(data)}/thumb", headers=group["li"])
    assert_immutable(thumb, "image/jpeg")
    with Image.open(io.BytesIO(thumb.data)) as im:
        assert im.format == "JPEG" and max(im.size) == min(320, max(Image.open(io.BytesIO(data)).size))


def test_an_inspector_of_another_group_gets_403_and_no_bytes(client, group):
    for path in (f"/api/v1/media/{sha(PHOTO)}", f"/api/v1/media/{sha(SIGNATURE)}/thumb", f"/api/v1/media/{sha(LATE)}"):
        resp = client.get(path, headers=group["zhaog"])
        assert resp.status_code == 403 and resp.mimetype == "application/json"
        assert resp.get_json() == {"status": 403, "code": "forbidden", "message": FORBIDDEN, "errors": {}}
        assert "immutable" not in resp.headers.get("Cache-Control", "")


def test_an_unknown_or_not_yet_uploaded_file_is_404(client, group):
    pending = image_bytes("JPEG", (64, 48))  # named by a photo of the group, never uploaded
    d = Device("li")
    client.post("/api/v1/sync/push", headers=group["li"], json={"protocol": 1, "client_id": d.client_id, "mutations": [
        d.m("photo.attach", id=uid(), inspection_id=1, sha256=sha(pending), finding_id=None, checkpoint_id=None,
            caption="", taken_at=T0.isoformat(), latitude=None, longitude=None, accuracy_m=None, width=64,
            height=48, bytes=len(pending), clock_offset_ms=0)]})
    for path in (f"/api/v1/media/{sha(pending)}", f"/api/v1/media/{sha(pending)}/thumb", f"/api/v1/media/{'0' * 64}"):
        resp = client.get(path, headers=group["li"])
        assert resp.status_code == 404
        assert resp.get_json() == {"status": 404, "code": "not_found", "message": NOT_HELD, "errors": {}}


@pytest.mark.parametrize("name", ["ABC", "A" * 64, "g" * 64, "0" * 63])
def test_a_name_that_is_not_a_sha256_is_400(client, group, name):
    for path in (f"/api/v1/media/{name}", f"/api/v1/media/{name}/thumb"):
        resp = client.get(path, headers=group["wang"])
        assert resp.status_code == 400
        assert resp.get_json()["code"] == "bad_hash" and resp.get_json()["message"] == "文件名应为 64 位小写十六进制 SHA-256"


def test_download_needs_a_valid_token(client, group):
    resp = client.get(f"/api/v1/media/{sha(PHOTO)}/thumb")
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_missing"
    resp = client.get(f"/api/v1/media/{sha(PHOTO)}", headers=bearer("x" * 43))
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_invalid"


def test_an_office_login_is_no_api_token(client, session, login, group):
    """Staff read media through the office; their browser session does not open the API."""
    office = login(factories.create_user(session, role="office"))
    assert office.get(f"/office/media/{sha(PHOTO)}/thumb").status_code == 200
    resp = office.get(f"/api/v1/media/{sha(PHOTO)}/thumb")
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_missing"


def test_head_still_answers_without_the_body_or_a_permission_check(client, group):
    resp = client.head(f"/api/v1/media/{sha(PHOTO)}", headers=group["zhaog"])
    assert resp.status_code == 200 and resp.headers["Content-Length"] == str(len(PHOTO)) and resp.data == b""
    assert client.head(f"/api/v1/media/{'0' * 64}", headers=group["zhaog"]).status_code == 404

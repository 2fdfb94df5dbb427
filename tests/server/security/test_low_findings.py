"""Findings 5–11 of the penetration test, each as a test that failed before the fix."""
from __future__ import annotations

import csv
import hashlib
import io
import pathlib
import zipfile

import pytest
from sqlalchemy import select

from server.models.fieldwork import Photo, Signature
from server.models.inspections import Inspector
from server.models.sync import MutationLog
from server.services.documents import render
from server.services.kernel import approvals
from tests import factories
from tests.server.images import image_bytes
from tests.sync.harness import T0, Device, answer, uid
from tests.sync.scenario import login, one_inspection

MINE, OTHERS = 1, 2


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def push(client, auth, device, *mutations):
    resp = client.post("/api/v1/sync/push", headers=auth, json={"protocol": 1, "client_id": device.client_id,
                                                                "mutations": list(mutations)})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["results"]


@pytest.fixture
def groups(client, session):
    """王建国 and 李明 in inspection 1; 赵刚 (with an account) in the other group's inspection 2."""
    one_inspection(session)
    zhao = session.query(Inspector).filter_by(name="赵刚").one()
    factories.create_user(session, role="inspector", username="zhaog", inspector_id=zhao.id)
    admin = factories.create_user(session, role="admin", username="root")
    session.commit()
    return {"wang": bearer(login(client, "wangjg")), "zhao": bearer(login(client, "zhaog")), "admin": admin}


def _photo(d: Device, inspection_id: int, data: bytes) -> dict:
    return d.m("photo.attach", id=uid(), inspection_id=inspection_id, sha256=sha(data), finding_id=None,
               checkpoint_id=None, caption="现场", taken_at=T0.isoformat(), latitude=None, longitude=None,
               accuracy_m=None, width=64, height=48, bytes=len(data), clock_offset_ms=0)


# --- 5: a forbidden push is kept on the sender's device record, not on someone else's inspection ----------

def test_a_forbidden_push_is_kept_on_the_senders_device_not_on_the_other_inspection(client, session, groups,
                                                                                  login):
    d = Device("wang")
    [result] = push(client, groups["wang"], d, answer(d, OTHERS, 3, "noncompliant", note="note-for-another-group 别组"))
    assert result["code"] == "forbidden"
    [kept] = session.scalars(select(MutationLog)).all()
    assert kept.inspection_id is None and kept.args["note"] == "note-for-another-group 别组"  # nothing dropped
    office = login(groups["admin"])
    other = office.get(f"/office/inspections/{OTHERS}").get_data(as_text=True)
    assert "note-for-another-group" not in other and "被拒绝的同步操作" not in other
    [own] = push(client, groups["wang"], d, answer(d, MINE, 99, "compliant", note="own-group-note"))  # a checkpoint
    assert own["code"] == "unknown_checkpoint"  # not in the checklist: kept on the sender's own inspection
    mine = office.get(f"/office/inspections/{MINE}").get_data(as_text=True)
    assert "被拒绝的同步操作（1 条）" in mine and "own-group-note" in mine
    devices = office.get("/office/devices").get_data(as_text=True)
    assert "不属于其检查组的同步操作（1 条）" in devices and "note-for-another-group 别组" in devices
    assert "\\u" not in devices.split("不属于其检查组")[1]  # the kept data reads as Chinese


# --- 6: photo.attach cannot name another group's photo -------------------------------------------------

def test_attaching_another_groups_photo_is_refused_and_the_photo_stays_closed(client, session, groups):
    theirs = image_bytes("JPEG", (320, 240), noise=True)
    assert client.put(f"/api/v1/media/{sha(theirs)}", data=theirs, headers=groups["zhao"]).status_code == 201
    z = Device("zhao")
    assert push(client, groups["zhao"], z, _photo(z, OTHERS, theirs))[0]["status"] == "applied"
    assert client.get(f"/api/v1/media/{sha(theirs)}", headers=groups["wang"]).status_code == 403
    w = Device("wang")
    [result] = push(client, groups["wang"], w, _photo(w, MINE, theirs))
    assert result["status"] == "rejected" and result["code"] == "forbidden"
    assert "属于其他检查组的检查" in result["message"]
    assert session.scalar(select(Photo.inspection_id).where(Photo.inspection_id == MINE)) is None
    assert client.get(f"/api/v1/media/{sha(theirs)}", headers=groups["wang"]).status_code == 403
    # nor a file uploaded by someone outside the group and not attached anywhere yet
    loose = image_bytes("PNG", (320, 240))
    assert client.put(f"/api/v1/media/{sha(loose)}", data=loose, headers=groups["zhao"]).status_code == 201
    assert push(client, groups["wang"], w, _photo(w, MINE, loose))[0]["code"] == "forbidden"
    # a file of one's own is attached as before
    mine = image_bytes("JPEG", (480, 360))  # photos are at least PHOTO_MIN_SIDE_PX on the short side
    assert client.put(f"/api/v1/media/{sha(mine)}", data=mine, headers=groups["wang"]).status_code == 201
    assert push(client, groups["wang"], w, _photo(w, MINE, mine))[0]["status"] == "applied"


# --- 7: signature.add cannot pass a colleague's signature off as their own -------------------------------

def _colleague_signature(d: Device, png: bytes) -> dict:
    li = 2  # 李明's inspector id in one_inspection
    return d.m("signature.add", id=uid(), inspection_id=MINE, sha256=sha(png), signer_role="inspector",
               signer_name="李明", inspector_id=li, signed_at=T0.isoformat())


def test_a_colleagues_signature_drawn_on_my_phone_says_so(client, session, groups, login):
    png = image_bytes("PNG", (300, 120))
    client.put(f"/api/v1/media/{sha(png)}", data=png, headers=groups["wang"])
    d = Device("wang")
    assert push(client, groups["wang"], d, _colleague_signature(d, png))[0]["status"] == "applied"
    page = login(groups["admin"]).get(f"/office/inspections/{MINE}").get_data(as_text=True)
    assert "检查人员：李明 <span class=\"badge warn\">在 王建国 的设备上签署，非本人账号提交</span>" in page


def test_with_own_account_signatures_a_colleagues_signature_is_refused(client, session, groups):
    from server.services.fieldwork import mutations
    mutations.configure(colleague_signatures=False)  # SIGNATURE_COLLEAGUES_ON_DEVICE = False
    try:
        png = image_bytes("PNG", (300, 120))
        client.put(f"/api/v1/media/{sha(png)}", data=png, headers=groups["wang"])
        d = Device("wang")
        [result] = push(client, groups["wang"], d, _colleague_signature(d, png))
        assert result["status"] == "rejected" and result["code"] == "forbidden"
        assert "不能替同组人员签名" in result["message"]
        assert session.scalar(select(Signature.id)) is None
        own = d.m("signature.add", id=uid(), inspection_id=MINE, sha256=sha(png), signer_role="inspector",
                  signer_name="王建国", inspector_id=1, signed_at=T0.isoformat())
        assert push(client, groups["wang"], d, own)[0]["status"] == "applied"
    finally:
        mutations.configure(colleague_signatures=True)


# --- 8: the CSV indexes in the task zips neutralise formulas, through the one CSV writer ---------------

def test_the_task_zip_index_neutralises_a_formula_in_a_target_name(app, session):
    office = factories.create_user(session, role="office")
    target = factories.create_target(session, name='=HYPERLINK("http://evil.example","点我领奖")')
    inspection = factories.create_inspection(session, target=target)
    settings = render.Settings(bureau="阳城县交通运输局", cache_dir=app.config["PDF_CACHE_DIR"],
                               media_dir=app.config["MEDIA_DIR"], workers=1)
    zf = zipfile.ZipFile(io.BytesIO(render.task_zip(session, office, inspection.task_id, "notice", settings).data))
    rows = list(csv.reader(io.StringIO(zf.read("随机抽查告知书目录.csv").decode("utf-8-sig"))))
    assert rows[1][2] == "'=HYPERLINK(\"http://evil.example\",\"点我领奖\")"


def test_every_csv_export_goes_through_the_one_writer():
    server = pathlib.Path(__file__).resolve().parents[3] / "server"
    writers = [str(p.relative_to(server)) for p in server.rglob("*.py") if "csv.writer(" in p.read_text("utf-8")]
    assert writers == ["services/registry/spreadsheets.py"]


# --- 9: security headers on the office, the portal and the API -------------------------------------------

@pytest.mark.parametrize("path", ["/office/login", "/public/", "/public/items", "/api/v1/health",
                                  "/api/v1/sync/pull", "/office/nowhere"])
def test_office_portal_and_api_send_the_security_headers(client, path):
    resp = client.get(path)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and ("default-src 'self'" in csp or "default-src 'none'" in csp)


def test_pages_have_no_script_that_the_policy_would_block(client):
    page = client.get("/office/nowhere", headers={"Referer": "http://localhost/office/targets?q=x"})
    assert page.status_code == 404 and "javascript:" not in page.get_data(as_text=True)
    assert 'href="/office/targets?q=x">返回上一页' in page.get_data(as_text=True)


# --- 10: a newline in next= at login ---------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/office/\r\nSet-Cookie: x=1", "/office/targets\n", "//evil.example/office",
                                    "https://evil.example/office", "/office\\..\\evil", "/public/"])
def test_a_bad_next_at_login_goes_to_the_dashboard(client, session, target):
    factories.create_user(session, username="nexttest")
    session.commit()
    resp = client.post("/office/login", query_string={"next": target},
                       data={"username": "nexttest", "password": "password123"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/office/"


def test_a_good_next_is_kept(client, session):
    factories.create_user(session, username="nexttest")
    session.commit()
    resp = client.post("/office/login?next=/office/targets%3Fq%3D1", data={"username": "nexttest",
                                                                         "password": "password123"})
    assert resp.headers["Location"] == "/office/targets?q=1"


# --- 11: only leaders decide approvals (configurable) ----------------------------------------------------

approvals.register("security_test_kind", "测试审批", None)


def _pending(session):
    office = factories.create_user(session, role="office")
    return approvals.request(session, office, kind="security_test_kind", obj=factories.create_department(session),
                             title="测试", reason="需要审批")


def test_an_admin_cannot_decide_a_leaders_approval(session, client, login):
    from server.errors import PermissionDenied
    approval = _pending(session)
    admin, leader = factories.create_user(session, role="admin"), factories.create_user(session, role="leader")
    session.commit()
    with pytest.raises(PermissionDenied, match="职责分离"):
        approvals.decide(session, admin, approval.id, approve=True)
    page = login(admin).get("/office/approvals").get_data(as_text=True)
    assert "审批由领导作出" in page and 'name="approval_id"' not in page
    resp = client.post("/office/approvals/decide", data={"approval_id": str(approval.id), "decision": "approve"})
    assert resp.status_code == 403
    session.expire_all()
    assert approval.status == "pending"
    approvals.decide(session, leader, approval.id, approve=True)
    assert approval.status == "approved"


def test_an_installation_may_let_admins_decide(session):
    approval = _pending(session)
    admin = factories.create_user(session, role="admin")
    approvals.configure(admin_decides=True)  # APPROVALS_ADMIN_DECIDES = True
    try:
        approvals.decide(session, admin, approval.id, approve=True)
    finally:
        approvals.configure(admin_decides=False)
    assert approval.status == "approved"


def test_the_setting_comes_from_the_config(db_url, tmp_path):
    from server import create_app
    create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": db_url,
                "APPROVALS_ADMIN_DECIDES": True})
    try:
        assert approvals.deciders() == ("leader", "admin")
    finally:
        approvals.configure(admin_decides=False)
    create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": db_url})
    assert approvals.deciders() == ("leader",)

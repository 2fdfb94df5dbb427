"""The authorization matrix's machinery: a seeded installation (the 阳城县 demo plus a photo, a dept_staff
account and a spare account), one logged-in client per role, and one request per route and method with
real objects in the URL, classified as allowed or denied."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from server import demo
from server.extensions import db
from server.models.accounts import ApiToken, User
from server.models.audit import AuditEntry
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, Plan
from server.models.approvals import Approval
from server.models.registry import InspectionItem, Inspector, Recusal, Target
from server.services.accounts import credentials
from tests.server.images import image_bytes

ROLES = ("anonymous", "inspector", "dept_staff", "office", "leader", "admin")
PASSWORDS = {"admin": ("admin", "admin123"), "office": ("office", "office123"), "leader": ("leader", "leader123"),
             "inspector": ("lizhiqiang", "inspect123"), "dept_staff": ("bumen", "dept-staff-123")}
MISSING = 999_999  # ids of objects the demo has none of: the role check must come before the lookup


@dataclass
class Installation:
    values: dict  # URL argument name -> value
    token: str  # the inspector's bearer token


def seed(app) -> Installation:
    """The demo, a photo on 李志强's inspection, and the accounts the matrix logs in with."""
    session = db.session
    demo.load(session)
    depts = {i.department_id for i in session.scalars(select(Inspector))}
    credentials.create_user(session, None, username="bumen", password="dept-staff-123", role="dept_staff",
                            department_id=sorted(depts)[0])
    spare = credentials.create_user(session, None, username="spare", password="spare-pass-1", role="office")
    session.commit()
    li = session.scalar(select(User).where(User.username == "lizhiqiang"))
    insp = session.scalar(select(Inspection).join(InspectionMember).where(
        InspectionMember.inspector_id == li.inspector_id).order_by(Inspection.id))
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "lizhiqiang", "password": "inspect123",
                                                    "device_name": "矩阵测试手机"}).get_json()["token"]
    sha = _photo(client, token, insp)
    recusal = session.scalar(select(Recusal).order_by(Recusal.id))
    draw = session.scalar(select(Draw).where(Draw.task_id == insp.task_id).order_by(Draw.id))
    values = {
        "inspection_id": insp.id, "task_id": insp.task_id, "code": insp.task.code, "draw_id": draw.id,
        "plan_id": session.scalar(select(Plan.id)), "approval_id": session.scalar(select(Approval.id)),
        "target_id": insp.target_id, "inspector_id": recusal.inspector_id, "recusal_id": recusal.id,
        "item_id": session.scalar(select(InspectionItem.id).order_by(InspectionItem.id)),
        "token_id": session.scalar(select(ApiToken.id)), "user_id": spare.id, "sha256": sha,
        "name": "targets", "fmt": "csv", "action": "feedback", "filename": "css/office.css",
        "request_id": MISSING, "pub_id": MISSING, "flag_id": MISSING, "referral_id": MISSING, "record_id": MISSING,
        "violation_id": MISSING, "throttle_id": MISSING, "dept_id": sorted(depts)[0],
    }
    assert session.scalar(select(Target.id).where(Target.id == values["target_id"]))
    assert session.scalar(select(AuditEntry.id).limit(1))
    return Installation(values, token)


def _photo(client, token: str, insp: Inspection) -> str:
    data = image_bytes("JPEG", (320, 240))
    sha = hashlib.sha256(data).hexdigest()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.put(f"/api/v1/media/{sha}", data=data, headers=auth).status_code == 201
    mutation = {"id": 1, "name": "photo.attach", "created_at": "2024-05-06T09:00:00+08:00", "args": {
        "id": str(uuid.uuid4()), "inspection_id": insp.id, "sha256": sha, "finding_id": None, "checkpoint_id": None,
        "caption": "矩阵", "taken_at": "2024-05-06T09:00:00+08:00", "latitude": None, "longitude": None, "accuracy_m": None, "width": 320,
        "height": 240, "bytes": len(data), "clock_offset_ms": None}}
    resp = client.post("/api/v1/sync/push", headers=auth, json={"protocol": 1, "client_id": str(uuid.uuid4()),
                                                                "mutations": [mutation]})
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
    return sha


ADDRESSES = {role: f"192.0.2.{n + 1}" for n, role in enumerate(ROLES)}  # so no role's logins slow another's


def client_for(app, role: str):
    """A test client logged in (office form) as `role`; anonymous has no cookie."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESSES[role]
    if role != "anonymous":
        username, password = PASSWORDS[role]
        resp = client.post("/office/login", data={"username": username, "password": password})
        assert resp.status_code == 302, (role, resp.get_data(as_text=True)[:300])
    return client


def new_token(app) -> str:
    resp = app.test_client().post("/api/v1/auth/token", json={"username": "lizhiqiang", "password": "inspect123",
                                                               "device_name": "矩阵测试手机"})
    return resp.get_json()["token"]


def requests(app):
    """(endpoint, method, rule) for every route and method of the URL map."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"}) or ["HEAD"]
        out += [(rule.endpoint, m, rule) for m in methods]
    return out


def call(app, client, inst: Installation, role: str, endpoint: str, method: str, rule) -> tuple[str, int]:
    """Make the request; ('allowed' | 'denied' | 'error', status). Denied: 403, a bearer-token 401, or the
    office's redirect to its login page (with next=)."""
    adapter = app.url_map.bind("localhost")
    url = adapter.build(endpoint, {a: inst.values[a] for a in rule.arguments}, method=method)
    headers = {"Authorization": f"Bearer {inst.token}"} if role == "inspector" and url.startswith("/api/") else {}
    resp = client.open(url, method=method, headers=headers, data={} if method in ("POST", "PUT") else None)
    status = resp.status_code
    if status >= 500:
        return "error", status
    location = resp.headers.get("Location", "")
    to_login = status in (301, 302, 303) and location.startswith("/office/login?next=")
    code = str((resp.get_json(silent=True) or {}).get("code", "")) if resp.is_json else ""
    token_refused = status == 401 and url.startswith("/api/") and (method == "HEAD" or code.startswith("token_"))
    return ("denied" if status == 403 or to_login or token_refused else "allowed"), status


def run_role(app, inst: Installation, role: str) -> dict[tuple[str, str], tuple[str, int]]:
    """Every route and method as `role`; logging out or revoking the token is undone after the request."""
    client, out = client_for(app, role), {}
    for endpoint, method, rule in requests(app):
        out[(endpoint, method)] = call(app, client, inst, role, endpoint, method, rule)
        if endpoint == "office.logout":
            client = client_for(app, role)
        if endpoint == "auth.revoke" and role == "inspector":
            inst.token = new_token(app)
    return out

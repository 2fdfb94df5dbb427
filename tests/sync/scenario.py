"""The `one_inspection` scenario of sync/examples (PROTOCOL.md §8), and a matcher for example responses."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path

from server.models.registry import Department
from tests import factories

EXAMPLES = Path(__file__).resolve().parents[2] / "sync" / "examples"
PLACEHOLDERS = {
    "<datetime>": lambda v: isinstance(v, str) and _is_datetime(v),
    "<date>": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
    "<string>": lambda v: isinstance(v, str),
    "<token>": lambda v: isinstance(v, str) and len(v) >= 32,
    "<hex64>": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
    "<hex8>": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{8}", v) is not None,
    "<int>": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "<any>": lambda v: True,
}


def _is_datetime(v: str) -> bool:
    try:
        return dt.datetime.fromisoformat(v).tzinfo is not None
    except ValueError:
        return False


def load_examples() -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(EXAMPLES.glob("*.json"))]


def one_inspection(session):
    """Inspection 1 (王建国 + 李明, checkpoints 1 and 2) and inspection 2 of another group."""
    dept = Department(code="ZF1", name="执法一中队")
    session.add(dept)
    session.flush()
    item = factories.create_item(session, code="JT-001", name="道路货运经营者经营行为检查",
                                 checkpoints=("是否取得道路运输经营许可证", "车辆技术档案是否齐全"))
    task = factories.create_task(session, items=[item], departments=[dept], code="T2024001",
                                 name="2024年道路货运企业双随机抽查")
    wang = factories.create_inspector(session, dept, name="王建国", cert_no="14052000000001")
    li = factories.create_inspector(session, dept, name="李明", cert_no="14052000000002")
    others = [factories.create_inspector(session, dept, name=n, cert_no=c)
              for n, c in (("赵刚", "14052000000003"), ("孙丽", "14052000000004"))]
    target = factories.create_target(session, name="阳城县宏达物流有限公司")
    insp = factories.create_inspection(session, task=task, target=target, inspectors=[wang, li])
    other = factories.create_inspection(session, task=task, inspectors=others)
    users = {"wangjg": factories.create_user(session, role="inspector", username="wangjg", inspector_id=wang.id),
             "lim": factories.create_user(session, role="inspector", username="lim", inspector_id=li.id)}
    session.commit()
    assert (insp.id, other.id, item.checkpoints[0].id) == (1, 1 + 1, 1)
    return users


def joint_inspection(session):
    """Inspection 1 of a joint task: 王建国 (执法一中队) checks item JT-001 (checkpoints 1, 2), 常文静
    (县市场监督管理局) item SCJ-001 (checkpoints 3, 4); `{{token}}` is 王建国's, `{{token_lim}}` 常文静's."""
    from server.services.planning import joint_block
    zf = Department(code="ZF1", name="执法一中队")
    scj = Department(code="SCJ", name="县市场监督管理局", kind="external")
    session.add_all([zf, scj])
    session.flush()
    ours = factories.create_item(session, code="JT-001", name="巡游出租汽车经营服务", department_id=zf.id,
                                 checkpoints=("是否取得经营许可", "车辆是否按规定安装计价器"))
    theirs = factories.create_item(session, code="SCJ-001", name="计价器计量和价格行为", department_id=scj.id,
                                   checkpoints=("计价器是否经检定合格", "是否明码标价"))
    task = factories.create_task(session, items=[ours, theirs], departments=[zf, scj], code="T2024001",
                                 name="2024年巡游出租汽车联合抽查",
                                 item_departments={str(ours.id): zf.id, str(theirs.id): scj.id})
    wang = factories.create_inspector(session, zf, name="王建国", cert_no="14052000000001")
    chang = factories.create_inspector(session, scj, name="常文静", cert_no="14052000000002")
    target = factories.create_target(session, name="阳城县宏达出租汽车有限公司", category="taxi")
    insp = factories.create_inspection(session, task=task, target=target, inspectors=[wang, chang])
    insp.checklist_snapshot = joint_block.annotate_checklist(task, insp.checklist_snapshot, {zf.id: zf, scj.id: scj})
    users = {"wangjg": factories.create_user(session, role="inspector", username="wangjg", inspector_id=wang.id),
             "lim": factories.create_user(session, role="inspector", username="lim", inspector_id=chang.id)}
    session.commit()
    assert (insp.id, ours.checkpoints[0].id, theirs.checkpoints[0].id) == (1, 1, 3)
    return users


def desk_inspection(session):
    """`one_inspection` with inspection 1 a 书面检查 (mode "document"): recorded in the office, sent to no phone."""
    from server.models.inspections import Inspection
    users = one_inspection(session)
    session.get(Inspection, 1).mode = "document"
    session.commit()
    return users


GIVEN = {"one_inspection": one_inspection, "joint_inspection": joint_inspection, "desk_inspection": desk_inspection}


def login(client, username: str, device: str = "测试手机") -> str:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": "password123",
                                                  "device_name": device})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()["token"]


def send(client, req: dict, tokens: dict):
    headers = {k: v.replace("{{token}}", tokens.get("token", "")).replace("{{token_lim}}", tokens.get("token_lim", ""))
               for k, v in (req.get("headers") or {}).items()}
    kw = {"headers": headers}
    if "json" in req:
        kw["json"] = req["json"]
    elif "body_base64" in req:
        kw["data"] = base64.b64decode(req["body_base64"])
    elif "body_text" in req:
        kw["data"] = req["body_text"].encode("utf-8")
    return client.open(req["path"], method=req["method"], **kw)


def mismatches(expected, actual, path: str = "$") -> list[str]:
    """Where `actual` differs from an example's expected body (placeholders and "...": true honoured)."""
    if isinstance(expected, str) and expected in PLACEHOLDERS:
        return [] if PLACEHOLDERS[expected](actual) else [f"{path}: {actual!r} is not {expected}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        open_ = expected.get("...") is True
        out = [f"{path}.{k}: missing" for k in expected if k != "..." and k not in actual]
        if not open_:
            out += [f"{path}.{k}: unexpected" for k in actual if k not in expected]
        for k, v in expected.items():
            if k != "..." and k in actual:
                out += mismatches(v, actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        return [m for i, (e, a) in enumerate(zip(expected, actual)) for m in mismatches(e, a, f"{path}[{i}]")]
    return [] if expected == actual and type(expected) is type(actual) else [f"{path}: {actual!r} != {expected!r}"]

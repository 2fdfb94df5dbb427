"""A joint task (联合抽查) of the bureau's 执法队 with 县市场监督管理局: each checks its own item, and each draws its own
members (the service tests and the e2e journey share it)."""
from __future__ import annotations

from types import SimpleNamespace

from server.services.planning import tasks
from tests.factories import create_department, create_inspector, create_item, create_target, create_user
from tests.server import drawkit

ALL = {"low": "1", "general": "1", "higher": "1", "high": "1"}


def setup(session, *, targets=3, scj_inspectors=2, scj_tags=("市场监管",), publish=True, **task_kw):
    """执法队 (3 inspectors), 县市场监督管理局 (external, its own inspectors and staff account), a transport item of
    执法队 and a pricing item of 县市场监督管理局 that needs 市场监管, `targets` general-risk taxi firms, all drawn."""
    office, leader = drawkit.people(session)
    zfd = create_department(session, code="ZFD", name="交通运输综合行政执法队")
    scj = create_department(session, code="SCJ", name="县市场监督管理局", kind="external", short_name="县市场监管局")
    ours = [create_inspector(session, zfd, name=n, cert_no=c) for n, c in (
        ("李志强", "14052200000001"), ("郭晓东", "14052200000002"), ("卫海燕", "14052200000003"))]
    theirs = [create_inspector(session, scj, name=n, cert_no=c, tags=list(scj_tags)) for n, c in (
        ("常文静", "14052299000001"), ("杜明远", "14052299000002"), ("秦晓芳", "14052299000003"))[:scj_inspectors]]
    transport = create_item(session, code="JT007", name="巡游出租汽车经营服务", target_categories=["taxi"],
                            department_id=zfd.id, checkpoints=("是否取得巡游出租汽车经营许可", "车辆是否按规定安装计价器"))
    pricing = create_item(session, code="SCJ001", name="出租汽车计价器计量和价格行为", target_categories=["taxi"],
                          department_id=scj.id, qualification_tags=["市场监管"],
                          checkpoints=("计价器是否经检定合格", "是否明码标价"))
    firms = [create_target(session, category="taxi", risk_level="general", name=f"阳城县第{n + 1}出租汽车有限公司")
             for n in range(targets)]
    plan = drawkit.published_plan(session, office, leader)
    data = drawkit.task_data([transport, pricing], [zfd, scj], name="巡游出租汽车联合抽查", ratios=dict(ALL),
                             item_departments={str(transport.id): zfd.id, str(pricing.id): scj.id}, **task_kw)
    task = tasks.create_task(session, office, plan.id, data)
    if publish:
        tasks.publish_task(session, office, task.id)
    staff = create_user(session, role="dept_staff", username="scjstaff", department_id=scj.id)
    return SimpleNamespace(office=office, leader=leader, zfd=zfd, scj=scj, ours=ours, theirs=theirs,
                           transport=transport, pricing=pricing, firms=firms, plan=plan, task=task, staff=staff)


def department_drawn(session, actor, task_id, department_id, entropy: str = "配合部门监督人"):
    """封存 then 抽取 of a cooperating department's own members."""
    from server.services.planning import department_draws
    department_draws.seal_department_draw(session, actor, task_id, department_id)
    return department_draws.run_department_draw(session, actor, task_id, department_id, witness_entropy=entropy,
                                                confirmed=True)


CLIENTS = {"ours": "6a1d3f0e-2b7c-4e0a-9d51-0c5e7f2a9c01", "theirs": "6a1d3f0e-2b7c-4e0a-9d51-0c5e7f2a9c02"}


def recorded(client, session, kit, *, noncompliant: bool = False):
    """Both parts drawn for one target, each member's phone records its own department's item, 执法队's submits;
    returns the inspection. `noncompliant`: 县市场监督管理局 finds the meter unverified."""
    from sqlalchemy import select

    from server.models.inspections import Inspection
    from tests.factories import create_user
    from tests.sync.scenario import login
    main = drawkit.drawn(session, kit.office, kit.task.id, "监督人")
    department_drawn(session, kit.staff, kit.task.id, kit.scj.id)
    insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id).order_by(Inspection.id))
    members = {m.department_id: m.inspector_id for m in insp.members}
    users = {key: create_user(session, role="inspector", username=f"{key}{insp.id}", inspector_id=members[dept.id])
             for key, dept in (("ours", kit.zfd), ("theirs", kit.scj))}
    session.commit()
    assert main.record["assignments"]
    from tests.server.fieldwork.conftest import photo_jpeg, sha, signature_png
    pen, pic = signature_png(3), photo_jpeg((320, 240))
    # taken at the target, so the review has no 照片没有定位 flag to acknowledge
    lat, lon = insp.target.latitude or 35.48, insp.target.longitude or 112.41
    for key, item in (("theirs", kit.pricing), ("ours", kit.transport)):
        muts = [{"id": n + 1, "name": "checkpoint.record", "created_at": "2024-05-06T09:02:00+08:00",
                 "args": {"id": f"7b2e4c1a-5d3f-4a6b-8c9d-{1 if key == 'ours' else 2}{n:011d}", "inspection_id": insp.id, "checkpoint_id": cp.id,
                          "answer": "noncompliant" if noncompliant and key == "theirs" and n == 0 else "compliant",
                          "note": "", "base": []}} for n, cp in enumerate(item.checkpoints)]
        uid = f"7b2e4c1a-5d3f-4a6b-8c9e-{1 if key == 'ours' else 2}"
        if noncompliant and key == "theirs":  # the submit rules: a finding and a photo on the 不符合 checkpoint
            muts += [{"name": "finding.add", "args": {
                          "id": f"{uid}00000000001", "inspection_id": insp.id, "checkpoint_id": item.checkpoints[0].id,
                          "description": "计价器未经检定", "legal_basis": "", "rectification": "限期检定", "rectify_by": None}},
                     {"name": "photo.attach", "args": {
                          "id": f"{uid}00000000002", "inspection_id": insp.id, "sha256": sha(pic),
                          "finding_id": f"{uid}00000000001", "checkpoint_id": item.checkpoints[0].id, "caption": "计价器",
                          "taken_at": "2024-05-06T09:05:00+08:00", "latitude": lat, "longitude": lon,
                          "accuracy_m": 5.0, "width": 320, "height": 240, "bytes": len(pic), "clock_offset_ms": 0}}]
        if key == "ours":  # a photo of the site, with its position, as every on-site visit has
            muts.append({"name": "photo.attach", "args": {
                "id": f"{uid}00000000006", "inspection_id": insp.id, "sha256": sha(pic), "finding_id": None,
                "checkpoint_id": None, "caption": "现场", "taken_at": "2024-05-06T09:06:00+08:00", "latitude": lat,
                "longitude": lon, "accuracy_m": 5.0, "width": 320, "height": 240, "bytes": len(pic),
                "clock_offset_ms": 0}})
            muts.append({"name": "party.record", "args": {
                "id": f"{uid}00000000003", "inspection_id": insp.id, "name": "赵志强", "position": "经理",
                "id_number": "", "phone": "", "refused_to_sign": False, "note": ""}})
            muts.append({"name": "signature.add", "args": {
                "id": f"{uid}00000000004", "inspection_id": insp.id, "sha256": sha(pen), "signer_role": "party",
                "signer_name": "赵志强", "inspector_id": None, "signed_at": "2024-05-06T09:40:00+08:00", "digest": None}})
        muts.append({"name": "signature.add", "args": {  # each member signs on their own phone
            "id": f"{uid}00000000005", "inspection_id": insp.id, "sha256": sha(pen), "signer_role": "inspector",
            "signer_name": key, "inspector_id": members[kit.zfd.id if key == "ours" else kit.scj.id],
            "signed_at": "2024-05-06T09:41:00+08:00", "digest": None}})
        if key == "ours":
            muts.append({"name": "inspection.submit", "created_at": "2024-05-06T10:00:00+08:00",
                         "args": {"inspection_id": insp.id, "result_categories": ["02" if noncompliant else "01"],
                                  "methods": ["on_site"], "follow_ups": ["none"], "summary": "联合检查完毕"}})
        for n, m in enumerate(muts, start=1):
            m["id"] = n
            m.setdefault("created_at", "2024-05-06T09:30:00+08:00")
        token = login(client, users[key].username)
        auth = {"Authorization": f"Bearer {token}"}
        for data, kind in ((pen, "signature"), (pic, None)):
            client.put(f"/api/v1/media/{sha(data)}" + (f"?kind={kind}" if kind else ""), data=data, headers=auth)
        resp = client.post("/api/v1/sync/push", headers=auth,
                           json={"protocol": 1, "client_id": CLIENTS[key], "mutations": muts})
        assert all(r["status"] == "applied" for r in resp.get_json()["results"]), resp.get_json()
    session.expire_all()
    return session.get(Inspection, insp.id)


def reviewed(session, kit, insp):
    """Each department approves its own part (谁检查、谁审核): the bureau's staff 执法队's item, 县市场监督管理局's
    staff the pricing item; the inspection is then approved."""
    from server.services.followup import review
    review.approve(session, kit.office, insp.id)
    review.approve(session, kit.staff, insp.id, note="本局审核同意")
    assert insp.status == "approved"
    return insp

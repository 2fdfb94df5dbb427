"""A cooperating department's own 补派 and 递补 in its part of a joint task (联合抽查): drawn like its draw (v2
restricted to the department, one slot per target, its own seed and witness, a record naming its draw), only
its part changes, the group then reaches the phones, and every record is in the public bundle that
`verify-draw` checks."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, DrawRequest, DrawSeal
from server.models.registry import Recusal
from server.services.draw import checks, joint_checks, records
from server.services.kernel import approvals
from server.services.planning import department_parts, pages, supplementary
from tests.factories import create_department, create_inspector, create_user
from tests.server import drawkit, jointkit
from tests.sync.scenario import login

AT_ONCE = {"reveal_seed_at_once": True, "period_start": dt.date(2029, 4, 1), "period_end": dt.date(2029, 10, 31)}


def _counts(session):
    return tuple(session.scalar(select(func.count(m.id))) for m in (Draw, DrawSeal, DrawRequest, InspectionMember))


def _part_drawn(session, actor, request_id, entropy="本部门补派监督人"):
    department_parts.seal_request(session, actor, request_id)
    return department_parts.run_request(session, actor, request_id, witness_entropy=entropy, confirmed=True)


def _unstaffed(session, **kw):
    """One target; 县市场监督管理局's only qualified inspector is recused from it, so its draw leaves it unstaffed."""
    kit = jointkit.setup(session, targets=1, scj_inspectors=1, **kw)
    kit.main = drawkit.drawn(session, kit.office, kit.task.id, "监督人")
    session.add(Recusal(inspector_id=kit.theirs[0].id, target_uscc=kit.firms[0].uscc, reason="近亲属"))
    session.flush()
    kit.part = jointkit.department_drawn(session, kit.staff, kit.task.id, kit.scj.id)
    kit.insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    assert kit.part.record["unstaffed"] and not kit.insp.group_complete
    return kit


def _drawn_group(session, **kw) -> tuple:
    """One target drawn by the bureau and by 县市场监督管理局: (kit, inspection, the department's member,
    the bureau's member)."""
    kit = jointkit.setup(session, targets=1, **kw)
    drawkit.drawn(session, kit.office, kit.task.id)
    jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    return (kit, insp, next(m for m in insp.members if m.department_id == kit.scj.id),
            next(m for m in insp.members if m.department_id == kit.zfd.id))


def _bundle(session, kit) -> dict:
    return joint_checks.bundle_of(kit.task.code, [d.record for d in sorted(kit.task.draws, key=lambda d: d.id)])


def test_a_department_staffs_its_unstaffed_target_and_the_inspection_reaches_the_phones(client, session):
    kit = _unstaffed(session)
    newcomer = create_inspector(session, kit.scj, name="新到岗", cert_no="14052299000009", tags=["市场监管"])
    [member] = kit.insp.members
    bureau = create_user(session, role="inspector", username="ours", inspector_id=member.inspector_id)
    session.commit()
    token = login(client, "ours")
    assert client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).json["inspections"] == []

    req = department_parts.request_staffing(session, kit.staff, kit.task.id, kit.scj.id, reason="已补充本部门执法人员")
    assert (req.kind, req.status, req.department_id) == ("department_staff", "approved", kit.scj.id)
    assert req.commitment not in (kit.task.commitment, kit.part.record["commitment"])
    made = _part_drawn(session, kit.staff, req.id, "市场监管局补派监督人")
    record = made.record
    assert made.kind == "department_staff" and made.parent_draw_id == kit.part.id
    assert record["parent_record_sha256"] == kit.part.record_sha256
    assert record["witness_entropy"] == "市场监管局补派监督人" and record["reason"] == "已补充本部门执法人员"
    assert record["task"]["department"]["code"] == "SCJ" and record["task"]["group_size"] == 1
    assert {i["department"] for i in record["inspectors"]} == {"SCJ"}
    assert record["assignments"] == [{"uscc": kit.firms[0].uscc, "inspectors": [
        {"cert_no": newcomer.cert_no, "name": "新到岗", "department": "SCJ"}]}]
    session.refresh(kit.insp)
    assert kit.insp.group_complete
    assert [(m.department_id, m.inspector_id) for m in kit.insp.members] == [(kit.zfd.id, bureau.inspector_id),
                                                                             (kit.scj.id, newcomer.id)]
    assert checks.verify(record, pages.published_for(session, kit.task, made)) == []
    assert pages.published_for(session, kit.task, made)["commitment"] == req.commitment
    assert joint_checks.verify_bundle(_bundle(session, kit)) == []
    session.commit()
    [pulled] = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).json["inspections"]
    assert [m["department"] for m in pulled["members"]] == ["交通运输综合行政执法队", "县市场监督管理局"]


def test_a_staffing_with_still_nobody_qualified_is_refused_naming_the_target_and_changes_nothing(session):
    kit = _unstaffed(session)
    before = _counts(session)
    with pytest.raises(ValidationError) as err:
        department_parts.request_staffing(session, kit.staff, kit.task.id, kit.scj.id, reason="再试一次")
    message = err.value.message
    assert message.startswith(f"不能补派：{kit.firms[0].name}（{kit.firms[0].uscc}） 仍没有“县市场监督管理局”可派的执法人员")
    assert "请先在执法人员名录库中为“县市场监督管理局”补充执法人员，或认定已有人员的资质" in message
    assert _counts(session) == before and not kit.insp.group_complete
    create_inspector(session, kit.scj, name="未取得资质", cert_no="14052299000008")  # no 市场监管 tag: still nobody
    with pytest.raises(ValidationError, match="仍没有“县市场监督管理局”可派的执法人员"):
        department_parts.request_staffing(session, kit.office, kit.task.id, kit.scj.id, reason="再试一次")
    assert _counts(session) == before


def test_a_staffing_sealed_then_left_without_anyone_is_refused_at_the_seal(session):
    kit = _unstaffed(session)
    newcomer = create_inspector(session, kit.scj, name="新到岗", cert_no="14052299000009", tags=["市场监管"])
    req = department_parts.request_staffing(session, kit.staff, kit.task.id, kit.scj.id, reason="已补充人员")
    newcomer.status = "inactive"
    session.flush()
    before = _counts(session)
    with pytest.raises(ValidationError, match="未封存：.*仍没有“县市场监督管理局”可派的执法人员"):
        department_parts.seal_request(session, kit.staff, req.id)
    assert _counts(session) == before


def test_department_supplementary_draws_come_after_its_own_draw_and_only_for_itself(session):
    kit = jointkit.setup(session, targets=1)
    drawkit.drawn(session, kit.office, kit.task.id)
    insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    [bureau_member] = insp.members
    before = _counts(session)
    with pytest.raises(Conflict, match="请先完成本部门的抽取"):
        department_parts.request_staffing(session, kit.staff, kit.task.id, kit.scj.id, reason="补派")
    jointkit.department_drawn(session, kit.staff, kit.task.id, kit.scj.id)
    before = _counts(session)
    other = create_department(session, code="JJ", name="县公安局交警大队", kind="external")
    stranger = create_user(session, role="dept_staff", department_id=other.id)
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        department_parts.request_staffing(session, stranger, kit.task.id, kit.scj.id, reason="补派")
    with pytest.raises(PermissionDenied, match="您只能为本部门抽取执法人员，不能为“交通运输综合行政执法队”抽取"):
        department_parts.request_replacement(session, kit.staff, insp.id, bureau_member.id, reason="回避")
    with pytest.raises(PermissionDenied):
        supplementary.request_supplementary(session, kit.staff, insp.id, kind="replace_inspector", reason="回避",
                                            member_id=bureau_member.id)  # the bureau's part stays the bureau's
    with pytest.raises(PermissionDenied):
        department_parts.request_staffing(session, kit.leader, kit.task.id, kit.scj.id, reason="补派")
    assert _counts(session) == before
    req = department_parts.request_replacement(
        session, kit.staff, insp.id, next(m.id for m in insp.members if m.department_id == kit.scj.id), reason="回避")
    for actor in (stranger, create_user(session, role="dept_staff", department_id=kit.zfd.id)):
        with pytest.raises(PermissionDenied):
            department_parts.seal_request(session, actor, req.id)
        with pytest.raises(PermissionDenied):
            department_parts.run_request(session, actor, req.id, witness_entropy="x", confirmed=True)


def test_replacing_a_departments_member_draws_in_its_part_and_keeps_the_other_members(session):
    kit = jointkit.setup(session, targets=1, scj_inspectors=3)
    unqualified = create_inspector(session, kit.scj, name="未取得资质", cert_no="14052299000000")  # no 市场监管
    drawkit.drawn(session, kit.office, kit.task.id)
    part = jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    insp = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    bureau = next(m for m in insp.members if m.department_id == kit.zfd.id)
    leaving = next(m for m in insp.members if m.department_id == kit.scj.id)
    req = supplementary.request_supplementary(session, kit.office, insp.id, kind="replace_inspector",
                                              reason="与企业负责人系亲属，回避", member_id=leaving.id)
    assert (req.kind, req.status, req.approval_id) == ("department_replace", "approved", None)
    made = _part_drawn(session, kit.staff, req.id, "递补监督人")
    record = made.record
    assert made.kind == "department_replace" and record["parent_record_sha256"] == part.record_sha256
    assert record["replaces"]["cert_no"] == leaving.inspector.cert_no
    pool = {i["cert_no"] for i in record["inspectors"]}
    assert pool == {p.cert_no for p in kit.theirs} - {leaving.inspector.cert_no} and unqualified.cert_no not in pool
    [group] = record["assignments"]
    assert [i["department"] for i in group["inspectors"]] == ["SCJ"]
    session.refresh(insp)
    active = [m for m in insp.members if m.active]
    assert bureau in active and bureau.added_by_draw_id == insp.draw_id  # the bureau's member as drawn
    assert not leaving.active and leaving.replaced_by_draw_id == made.id and leaving.note == "与企业负责人系亲属，回避"
    assert {m.department_id for m in active} == {kit.zfd.id, kit.scj.id} and insp.group_complete
    assert joint_checks.verify_bundle(_bundle(session, kit)) == []


def test_replacing_the_bureaus_member_draws_from_the_bureau_only(session):
    kit, insp, theirs, leaving = _drawn_group(session)
    req = supplementary.request_supplementary(session, kit.office, insp.id, kind="replace_inspector", reason="病假",
                                              member_id=leaving.id)
    approvals.decide(session, kit.leader, req.approval_id, approve=True)
    made = drawkit.drawn_request(session, kit.office, req.id, "递补监督人")
    assert {i["department"] for i in made.record["inspectors"]} == {"ZFD"}
    assert made.record["task"]["departments"] == [{"code": "ZFD", "name": "交通运输综合行政执法队"}]
    [group] = made.record["assignments"]
    assert [i["department"] for i in group["inspectors"]] == ["ZFD"]
    session.refresh(insp)
    assert theirs.active and insp.group_complete
    assert {m.department_id for m in insp.members if m.active} == {kit.zfd.id, kit.scj.id}
    assert joint_checks.verify_bundle(_bundle(session, kit)) == []


def test_a_replaced_target_gets_the_bureaus_members_then_the_departments_by_its_staffing(session):
    from tests.factories import create_target
    kit = jointkit.setup(session, targets=1)
    drawkit.drawn(session, kit.office, kit.task.id)
    spare = create_target(session, category="taxi", risk_level="general", name="阳城县备用出租汽车有限公司")
    jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    old = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id))
    req = supplementary.request_supplementary(session, kit.office, old.id, kind="replace_target", reason="已注销")
    approvals.decide(session, kit.leader, req.approval_id, approve=True)
    made = drawkit.drawn_request(session, kit.office, req.id, "补抽监督人")
    assert {i["department"] for a in made.record["assignments"] for i in a["inspectors"]} == {"ZFD"}
    new = session.scalar(select(Inspection).where(Inspection.task_id == kit.task.id, Inspection.id != old.id))
    assert new.target_snapshot["uscc"] == spare.uscc and not new.group_complete
    assert [i.id for i in department_parts.missing(session, kit.task, kit.scj.id)] == [new.id]
    staffed = _part_drawn(session, kit.staff, department_parts.request_staffing(
        session, kit.staff, kit.task.id, kit.scj.id, reason="补抽了新对象").id)
    assert [a["uscc"] for a in staffed.record["assignments"]] == [spare.uscc]
    session.refresh(new)
    assert new.group_complete and {m.department_id for m in new.members} == {kit.zfd.id, kit.scj.id}
    assert joint_checks.verify_bundle(_bundle(session, kit)) == []


def test_verify_draw_checks_the_departments_supplementary_records_and_fails_on_tampering(app, client, session,
                                                                                         tmp_path):
    kit = _unstaffed(session, **AT_ONCE)
    create_inspector(session, kit.scj, name="新到岗", cert_no="14052299000009", tags=["市场监管"])
    req = department_parts.request_staffing(session, kit.staff, kit.task.id, kit.scj.id, reason="已补充人员")
    made = _part_drawn(session, kit.staff, req.id)
    session.commit()
    bundle = client.get(f"/public/tasks/{kit.task.code}/draws.json").json
    assert [r["kind"] for r in bundle["records"]] == ["main", "department", "department_staff"]
    path = tmp_path / "draws.json"

    def verify(body):
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["verify-draw", str(path)])
        return result.exit_code, result.output

    code, out = verify(bundle)
    assert code == 0, out
    assert "配合部门“县市场监督管理局”的本部门补派：与重新计算的结果一致（检查组 1 个" in out
    assert "的 3 份抽取记录均与重新计算的结果一致" in out
    forged = dict(bundle["records"][2])
    forged["assignments"] = [{**forged["assignments"][0], "inspectors": [
        {"cert_no": kit.theirs[0].cert_no, "name": kit.theirs[0].name, "department": "SCJ"}]}]
    code, out = verify({**bundle, "records": bundle["records"][:2] + [forged]})
    assert code == 1 and "配合部门“县市场监督管理局”的本部门补派记录：" in out
    relinked = dict(bundle["records"][2], parent_record_sha256=kit.main.record_sha256)
    relinked["record_sha256"] = records.seal(relinked)  # a consistent record, tied to the wrong draw
    code, out = verify({**bundle, "records": bundle["records"][:2] + [relinked]})
    assert code == 1 and "所依据的记录摘要为" in out and "与该部门本部门人员抽取的记录摘要" in out
    page = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert "配合部门补派本部门人员" in page and made.record_sha256 in page and "衔接不一致" not in page


def test_the_task_page_shows_each_departments_supplementary_draws_and_their_state(client, session, login):
    kit = _unstaffed(session)
    login(kit.staff, c=client)
    session.commit()
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "县市场监督管理局：本部门补派与递补" in page and "1 个检查对象还没有县市场监督管理局的人员" in page
    assert "无法派员的对象（未生成检查）" not in page  # the bureau's 补派 list: this target is the department's
    from server.services.planning import tasks
    rows = {label: n for label, n, _ in tasks.department_panel(session, kit.staff)["rows"]}
    assert rows["缺本部门人员、待本部门补派的检查"] == 1
    create_inspector(session, kit.scj, name="新到岗", cert_no="14052299000009", tags=["市场监管"])
    session.commit()
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post(f"/office/tasks/{kit.task.id}/departments/{kit.scj.id}/staffing",
                       data={"csrf_token": csrf, "reason": "已补充本部门执法人员"})
    assert resp.status_code == 302
    req = session.scalar(select(DrawRequest).where(DrawRequest.kind == "department_staff"))
    assert resp.headers["Location"].endswith(f"/office/department-requests/{req.id}/draw")
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "配合部门补派（本部门人员）" in page and "待封存" in page
    form = client.get(f"/office/department-requests/{req.id}/draw").get_data(as_text=True)
    assert "县市场监督管理局：配合部门补派（本部门人员）" in form and kit.firms[0].name in form
    client.post(f"/office/department-requests/{req.id}/seal", data={"csrf_token": csrf})
    session.expire_all()
    seal = session.scalar(select(DrawSeal).where(DrawSeal.request_id == req.id))
    assert "已封存，待抽取" in client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    resp = client.post(f"/office/department-requests/{req.id}/draw", data={
        "csrf_token": csrf, "witness_entropy": "监督人", "confirmed": "1", "seal_id": seal.id})
    assert resp.status_code == 302
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "已抽取" in page and "为 1 个对象派员" in page and "还没有县市场监督管理局的人员" not in page
    rows = {label: n for label, n, _ in tasks.department_panel(session, kit.staff)["rows"]}
    assert rows["缺本部门人员、待本部门补派的检查"] == 0


def test_the_office_asks_a_departments_replacement_from_the_group_and_others_are_refused(client, session, login):
    kit, insp, theirs, ours = _drawn_group(session)
    session.commit()
    login(kit.staff, c=client)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    before = _counts(session)
    resp = client.post(f"/office/tasks/{kit.task.id}/inspections/{insp.id}/department-replacement",
                       data={"csrf_token": csrf, "member_id": ours.id, "reason": "回避"}, follow_redirects=True)
    assert "您只能为本部门抽取执法人员，不能为“交通运输综合行政执法队”抽取" in resp.get_data(as_text=True)
    assert _counts(session) == before
    client.post("/office/logout", data={"csrf_token": csrf})
    login(kit.office, c=client)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post(f"/office/inspections/{insp.id}/supplementary", follow_redirects=True, data={
        "csrf_token": csrf, "kind": "replace_inspector", "member_id": theirs.id, "reason": "病假"})
    assert "已申请配合部门递补（本部门人员），其承诺值已公开；无需领导审批" in resp.get_data(as_text=True)
    req = session.scalar(select(DrawRequest).where(DrawRequest.kind == "department_replace"))
    assert req.department_id == kit.scj.id and req.member_id == theirs.id and req.approval_id is None


def test_a_replacement_with_nobody_else_in_the_department_is_refused_and_changes_nothing(session):
    kit, insp, leaving, _ = _drawn_group(session, scj_inspectors=1)
    before = _counts(session)
    with pytest.raises(ValidationError) as err:
        supplementary.request_supplementary(session, kit.office, insp.id, kind="replace_inspector", reason="病假",
                                            member_id=leaving.id)
    assert err.value.message.startswith(f"不能递补：{kit.firms[0].name}（{kit.firms[0].uscc}） 仍没有“县市场监督管理局”可派的执法人员")
    assert _counts(session) == before and leaving.active and insp.group_complete

"""谁检查、谁审核: a joint inspection of 执法队 and 县市场监督管理局 is reviewed per department — each department's
staff approves or returns the part it checked; it is approved once both parts are, a return by either returns it
whole with a note naming the department, and its resubmission is reviewed again by both. Each department then
declines, corrects or withdraws only its own publication record."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.followup import InspectionReview, Publication
from server.services.followup import publication, review
from server.services.kernel import approvals
from tests.factories import create_department, create_user
from tests.server import jointkit
from tests.sync.scenario import login as phone_login


@pytest.fixture
def joint(client, session):
    kit = jointkit.setup(session, targets=1)
    kit.insp = jointkit.recorded(client, session, kit)
    assert kit.insp.status == "submitted"
    return kit


def _pubs(session, insp) -> dict:
    return {p.department_id: p for p in session.scalars(select(Publication).where(
        Publication.inspection_id == insp.id))}


def _queue_ids(session, actor) -> list[int]:
    return [r["id"] for r in review.queue(session, actor).items]


def test_approved_only_when_both_departments_approved_their_parts(session, joint):
    kit, insp = joint, joint.insp
    assert _queue_ids(session, kit.staff) == [insp.id] and _queue_ids(session, kit.office) == [insp.id]
    review.approve(session, kit.staff, insp.id, note="计价器检定证书已核对")
    assert insp.status == "submitted"  # the bureau's part is still open
    assert _queue_ids(session, kit.staff) == []  # nothing left for the market bureau
    assert _queue_ids(session, kit.office) == [insp.id]
    [row] = review.queue(session, kit.office).items
    assert row["parts"] == ["本局（交通运输综合行政执法队）"]
    pubs = _pubs(session, insp)
    assert set(pubs) == {kit.scj.id}  # the market bureau's draft, made by its approval
    with pytest.raises(Conflict, match="各部门均审核通过后才能公开"):
        publication.publish_own(session, kit.staff, pubs[kit.scj.id].id)
    with pytest.raises(Conflict, match="已审核通过第 1 版"):
        review.approve(session, kit.staff, insp.id)

    review.approve(session, kit.office, insp.id, note="现场检查规范")
    assert insp.status == "approved" and _queue_ids(session, kit.office) == []
    assert insp.reviewer_note == "本局（交通运输综合行政执法队）：现场检查规范；县市场监督管理局：计价器检定证书已核对"
    pubs = _pubs(session, insp)
    assert set(pubs) == {None, kit.scj.id}
    assert [i["item_name"] for i in pubs[None].content["items"]] == ["巡游出租汽车经营服务"]
    assert [i["item_name"] for i in pubs[kit.scj.id].content["items"]] == ["出租汽车计价器计量和价格行为"]
    decisions = session.scalars(select(InspectionReview).where(InspectionReview.inspection_id == insp.id)
                                .order_by(InspectionReview.id)).all()
    assert [(d.department_id, d.action, d.version) for d in decisions] == [(kit.scj.id, "approve", 1),
                                                                           (None, "approve", 1)]
    publication.publish_own(session, kit.staff, pubs[kit.scj.id].id)
    assert pubs[kit.scj.id].status == "published"


def test_the_bureau_approving_first_waits_for_the_department(session, joint):
    kit, insp = joint, joint.insp
    review.approve(session, kit.office, insp.id)
    assert insp.status == "submitted" and _queue_ids(session, kit.office) == []
    assert review.waiting_on_departments(session, kit.office) == 1
    assert _queue_ids(session, kit.staff) == [insp.id]
    [row] = review.queue(session, kit.staff).items
    assert row["parts"] == ["县市场监督管理局"]
    detail = review.detail(session, kit.staff, insp.id)
    assert detail["joint"] and detail["can_review"] and detail["my_part"].department_id == kit.scj.id
    assert [(p.who, p.state) for p in detail["parts"]] == [("本局（交通运输综合行政执法队）", "approved"),
                                                           ("县市场监督管理局", "pending")]
    assert review.detail(session, kit.office, insp.id)["can_review"] is False  # its part is done


def _resubmit(client, session, kit, insp):
    """执法队's member resubmits from the phone (the next mutation of that phone's outbox)."""
    token = phone_login(client, f"ours{insp.id}")
    resp = client.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {token}"}, json={
        "protocol": 1, "client_id": jointkit.CLIENTS["ours"], "mutations": [{
            "id": 8, "name": "inspection.submit", "created_at": "2024-05-07T10:00:00+08:00",
            "args": {"inspection_id": insp.id, "result_categories": ["01"], "methods": ["on_site"],
                     "follow_ups": ["none"], "summary": "已补正计价器检定证书照片"}}]})
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
    session.expire_all()


def test_a_return_by_the_department_returns_it_whole_and_the_resubmission_is_reviewed_again(client, session, joint):
    kit, insp = joint, joint.insp
    review.approve(session, kit.office, insp.id)
    with pytest.raises(ValidationError, match="退回时请填写需要检查人员补正的内容"):
        review.return_for_fix(session, kit.staff, insp.id, note=" ")
    review.return_for_fix(session, kit.staff, insp.id, note="请补拍计价器检定证书")
    assert insp.status == "returned"
    assert insp.reviewer_note == "县市场监督管理局退回（出租汽车计价器计量和价格行为）：请补拍计价器检定证书"
    with pytest.raises(Conflict, match="不能审核"):
        review.approve(session, kit.office, insp.id)
    session.commit()
    _resubmit(client, session, kit, insp)
    insp = session.get(type(insp), insp.id)
    assert insp.status == "submitted" and insp.version == 2
    # the bureau's approval was of version 1: both parts are open again
    assert _queue_ids(session, kit.office) == [insp.id] and _queue_ids(session, kit.staff) == [insp.id]
    assert [p.state for p in review.detail(session, kit.office, insp.id)["parts"]] == ["pending", "pending"]
    review.approve(session, kit.staff, insp.id, version=2)
    review.approve(session, kit.office, insp.id, version=2)
    assert insp.status == "approved"


def test_the_bureau_returning_its_part_names_its_section(session, joint):
    kit, insp = joint, joint.insp
    review.return_for_fix(session, kit.office, insp.id, note="当事人签名不清")
    assert insp.reviewer_note == "本局（交通运输综合行政执法队）退回（巡游出租汽车经营服务）：当事人签名不清"
    assert _queue_ids(session, kit.staff) == []


def test_no_department_decides_on_another_departments_part(session, joint):
    kit, insp = joint, joint.insp
    with pytest.raises(PermissionDenied, match="由县市场监督管理局的工作人员审核；本局只能审核本局检查的事项"):
        review.approve(session, kit.office, insp.id, part=kit.scj.id)
    with pytest.raises(PermissionDenied, match="由县市场监督管理局的工作人员审核"):
        review.return_for_fix(session, kit.office, insp.id, note="x", part=kit.scj.id)
    with pytest.raises(PermissionDenied, match="应由本局审核；您只能审核本部门检查的事项"):
        review.approve(session, kit.staff, insp.id, part=None)
    with pytest.raises(PermissionDenied, match="应由本局审核"):
        review.return_for_fix(session, kit.staff, insp.id, note="x", part=None)
    # a third department taking part in the task, with no item of its own here
    hb = create_department(session, code="HB", name="县生态环境局", kind="external")
    kit.task.department_ids = [*kit.task.department_ids, hb.id]
    session.flush()
    hb_staff = create_user(session, role="dept_staff", department_id=hb.id)
    with pytest.raises(PermissionDenied, match="应由县市场监督管理局审核；您只能审核本部门检查的事项"):
        review.approve(session, hb_staff, insp.id, part=kit.scj.id)
    with pytest.raises(PermissionDenied, match="该检查没有您所在部门负责检查的事项"):
        review.approve(session, hb_staff, insp.id)
    assert _queue_ids(session, hb_staff) == []  # its task, but none of its items: nothing for it to review
    stranger = create_user(session, role="dept_staff", department_id=create_department(
        session, code="YJ", name="县应急管理局", kind="external").id)
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        review.approve(session, stranger, insp.id, part=kit.scj.id)
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        review.detail(session, stranger, insp.id)
    assert _queue_ids(session, stranger) == []
    assert insp.status == "submitted"
    assert not session.scalar(select(InspectionReview.id).where(InspectionReview.inspection_id == insp.id))


def test_an_internal_sections_staff_has_no_part_to_review(session, joint):
    kit, insp = joint, joint.insp
    section = create_user(session, role="dept_staff", department_id=kit.zfd.id)
    assert _queue_ids(session, section) == []
    assert review.detail(session, section, insp.id)["can_review"] is False
    with pytest.raises(PermissionDenied, match="应由本局审核"):
        review.approve(session, section, insp.id, part=None)


@pytest.fixture
def published(session, joint):
    """Both parts approved; the bureau's record published through its leader, the market bureau's by its staff."""
    kit = joint
    jointkit.reviewed(session, kit, kit.insp)
    kit.pubs = _pubs(session, kit.insp)
    publication.publish_own(session, kit.staff, kit.pubs[kit.scj.id].id)
    [made] = publication.request_approval(session, kit.office, [kit.pubs[None].id])
    approvals.decide(session, kit.leader, made.id, approve=True)
    assert {p.status for p in kit.pubs.values()} == {"published"}
    return kit


def _audited(session, action: str, pub) -> AuditEntry | None:
    return session.scalar(select(AuditEntry).where(AuditEntry.action == action,
                                                   AuditEntry.object_id == str(pub.id)))


def test_the_department_corrects_and_withdraws_its_own_record_and_the_bureau_its_own(session, published):
    kit = published
    theirs, ours = kit.pubs[kit.scj.id], kit.pubs[None]
    with pytest.raises(PermissionDenied, match="由县市场监督管理局的工作人员更正；本局不能更正其他部门的公示记录"):
        publication.correct(session, kit.office, theirs.id, {1: ["02"]}, "计价器结果录错")
    with pytest.raises(PermissionDenied, match="由县市场监督管理局的工作人员撤回"):
        publication.withdraw(session, kit.office, theirs.id, "处罚决定被撤销", since="2024-05-10")
    with pytest.raises(PermissionDenied, match="登记更正或撤回"):
        publication.flag(session, kit.office, theirs.id, "correct", "录错", "2024-05-10")
    with pytest.raises(PermissionDenied, match="应由本局更正；您只能更正本部门检查的事项结果"):
        publication.correct(session, kit.staff, ours.id, {1: ["02"]}, "不是本部门的")
    with pytest.raises(PermissionDenied, match="应由本局撤回"):
        publication.withdraw(session, kit.staff, ours.id, "不是本部门的", since="2024-05-10")
    assert theirs.revision == 1 and ours.revision == 1

    publication.flag(session, kit.staff, theirs.id, "correct", "计价器检定结果录错", "2024-05-10")
    publication.correct(session, kit.staff, theirs.id, {1: ["02"]}, "")
    assert theirs.revision == 2 and theirs.content["items"][0]["result"] != "未发现问题"
    assert theirs.revisions[-1].action == "correct" and theirs.revisions[-1].actor_id == kit.staff.id
    assert _audited(session, "publication.correct", theirs).actor_id == kit.staff.id
    publication.withdraw(session, kit.staff, theirs.id, "复议撤销了该结果", since="2024-05-12")
    assert theirs.status == "withdrawn" and theirs not in publication.public_search(session).items
    assert _audited(session, "publication.withdraw", theirs).actor_id == kit.staff.id
    publication.withdraw(session, kit.office, ours.id, "决定被撤销", since="2024-05-12")  # the bureau, its own
    assert ours.status == "withdrawn"


def test_the_department_declines_its_own_draft_only(session, joint):
    kit = joint
    jointkit.reviewed(session, kit, kit.insp)
    pubs = _pubs(session, kit.insp)
    with pytest.raises(PermissionDenied, match="由县市场监督管理局的工作人员记录不予公示"):
        publication.decline(session, kit.office, pubs[kit.scj.id].id, "涉及国家秘密")
    with pytest.raises(PermissionDenied, match="应由本局记录不予公示"):
        publication.decline(session, kit.staff, pubs[None].id, "涉及国家秘密")
    publication.decline(session, kit.staff, pubs[kit.scj.id].id, "涉及商业秘密，依法不予公示")
    assert pubs[kit.scj.id].status == "not_published"
    assert pubs[kit.scj.id].decline_reason == "涉及商业秘密，依法不予公示"
    assert _audited(session, "publication.decline", pubs[kit.scj.id]).actor_id == kit.staff.id
    assert pubs[None].status == "draft"


def _text(resp) -> str:
    return re.sub(r"\s+", " ", resp.get_data(as_text=True))


def test_the_market_bureau_reviews_its_part_in_the_office_pages(client, session, login, joint):
    kit, insp = joint, joint.insp
    session.commit()
    login(kit.staff, c=client)
    queue = _text(client.get("/office/review"))
    assert kit.firms[0].name in queue and "联合抽查，待审核：本局（交通运输综合行政执法队）、县市场监督管理局" in queue
    page = _text(client.get(f"/office/review/{insp.id}"))
    assert "联合抽查：各部门审核情况（第 1 版）" in page
    assert "审核通过本部门检查的事项（出租汽车计价器计量和价格行为）" in page
    refused = client.post(f"/office/review/{insp.id}/approve", data={"version": "1", "part": ""})
    assert refused.status_code == 403 and "应由本局审核" in _text(refused)
    done = client.post(f"/office/review/{insp.id}/approve", data={"version": "1", "part": str(kit.scj.id)},
                       follow_redirects=True)
    assert "已审核通过本部门检查的事项，已生成本部门的公示记录" in _text(done)
    assert "暂无待审核的检查结果" in _text(client.get("/office/review"))
    pub = _text(client.get(f"/office/publications/{_pubs(session, insp)[kit.scj.id].id}"))
    assert "各部门均审核通过后才能公开" in pub and "公开本部门检查的事项结果" not in pub


def _dashboard(session, actor) -> dict:
    from server.services import dashboard
    return {label: value for p in dashboard.panels(session, actor) for label, value, _ in p["rows"]}


def test_each_workbench_counts_the_reviews_waiting_on_its_own_department(session, joint):
    kit, insp = joint, joint.insp
    assert _dashboard(session, kit.office)["待审核的检查结果"] == 1
    assert _dashboard(session, kit.staff)["待本部门审核的检查结果"] == 1
    review.approve(session, kit.office, insp.id)
    office = _dashboard(session, kit.office)
    assert office["待审核的检查结果"] == 0  # nothing left for the bureau to do
    assert office["本局已审核、待合作部门审核的联合抽查"] == 1
    staff = _dashboard(session, kit.staff)
    assert staff["待本部门审核的检查结果"] == 1 and staff["本部门待公示的结果"] == 0
    review.approve(session, kit.staff, insp.id)
    staff = _dashboard(session, kit.staff)
    assert staff["待本部门审核的检查结果"] == 0 and staff["本部门待公示的结果"] == 1  # its draft, made by its approval
    assert "本局已审核、待合作部门审核的联合抽查" not in _dashboard(session, kit.office)

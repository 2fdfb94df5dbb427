"""谁检查、谁录入、谁公开: a joint inspection recorded on two phones (one per department) is reviewed per department;
its results are published per department — the bureau's items through the leader's approval, 县市场监督管理局's
items by that department's own staff; the 笔录 and each result name the department that checked; the target gets
one 告知书 listing what every department needs; another department's staff sees none of it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied
from server.models.followup import Publication
from server.services.documents import contexts
from server.services.followup import publication
from tests.factories import create_department, create_user
from tests.server import jointkit


@pytest.fixture
def approved(client, session):
    kit = jointkit.setup(session, targets=1)
    kit.insp = jointkit.recorded(client, session, kit)
    assert kit.insp.status == "submitted"
    jointkit.reviewed(session, kit, kit.insp)
    kit.pubs = {p.department_id: p for p in session.scalars(select(Publication).where(
        Publication.inspection_id == kit.insp.id))}
    return kit


def test_each_department_gets_its_own_publication_of_its_own_items(session, approved):
    kit = approved
    assert set(kit.pubs) == {None, kit.scj.id}
    ours, theirs = kit.pubs[None], kit.pubs[kit.scj.id]
    assert [i["item_name"] for i in ours.content["items"]] == ["巡游出租汽车经营服务"]
    assert ours.content["authority"] == publication.DEFAULT_AUTHORITY
    assert [i["item_name"] for i in theirs.content["items"]] == ["出租汽车计价器计量和价格行为"]
    assert theirs.content["authority"] == "县市场监督管理局" and theirs.content["items"][0]["result"] == "未发现问题"


def test_the_bureau_cannot_submit_the_departments_record_and_the_department_publishes_it(session, approved):
    kit = approved
    theirs = kit.pubs[kit.scj.id]
    with pytest.raises(Conflict, match="按“谁检查、谁公开”由县市场监督管理局的工作人员公开"):
        publication.request_approval(session, kit.office, [theirs.id])
    assert theirs.status == "draft"
    with pytest.raises(PermissionDenied, match="应由本局公开"):
        publication.publish_own(session, kit.staff, kit.pubs[None].id)
    publication.publish_own(session, kit.staff, theirs.id, "本局审核同意")
    assert theirs.status == "published" and theirs.revisions[-1].reason == "本局审核同意"
    assert theirs in publication.public_search(session).items
    with pytest.raises(Conflict, match="不能再公开"):
        publication.publish_own(session, kit.staff, theirs.id)
    [made] = publication.request_approval(session, kit.office, [kit.pubs[None].id])  # the bureau's, as always
    assert made.kind == "publication"


def test_another_departments_staff_sees_neither_the_task_nor_its_results(session, approved):
    kit = approved
    stranger = create_user(session, role="dept_staff",
                           department_id=create_department(session, code="HB", name="县生态环境局", kind="external").id)
    with pytest.raises(PermissionDenied, match="没有您所在的部门参与"):
        publication.get(session, stranger, kit.pubs[kit.scj.id].id)
    assert publication.listing(session, actor=stranger).total == 0
    with pytest.raises(PermissionDenied):
        publication.publish_own(session, stranger, kit.pubs[kit.scj.id].id)
    assert publication.listing(session, actor=kit.staff).total == 2


def test_the_record_names_who_checked_each_item_and_the_one_notice_lists_every_departments_needs(session, approved):
    kit = approved
    record = contexts.record_context(session, kit.insp, "阳城县交通运输局")
    assert [(i["name"], i["department"], i["result_labels"]) for i in record["items"]] == [
        ("巡游出租汽车经营服务", "交通运输综合行政执法队", ["未发现问题"]),
        ("出租汽车计价器计量和价格行为", "县市场监督管理局", ["未发现问题"])]
    notice = contexts.notice_context(session, kit.insp, "阳城县交通运输局")
    assert notice["joint_departments"] == ["交通运输综合行政执法队", "县市场监督管理局"]
    assert notice["materials"][0].startswith("（交通运输综合行政执法队）出租汽车经营许可证")
    assert notice["materials"][-1].startswith("（县市场监督管理局）检查“出租汽车计价器计量和价格行为”所需的证照")
    assert [m["department"] for m in notice["inspectors"]] == ["交通运输综合行政执法队", "县市场监督管理局"]


def test_the_review_page_names_the_department_of_each_item(client, session, login, approved):
    kit = approved
    session.commit()
    login(kit.office, c=client)
    page = client.get(f"/office/review/{kit.insp.id}").get_data(as_text=True)
    assert "检查部门：交通运输综合行政执法队" in page and "检查部门：县市场监督管理局" in page


def test_the_statistics_count_a_joint_inspection_published_by_both_departments_once(session, approved):
    """The 统计分析 progress counts the bureau's own record of each inspection, not one per department."""
    from server.services.kernel import approvals
    from server.services.stats import filters, report
    kit = approved
    publication.publish_own(session, kit.staff, kit.pubs[kit.scj.id].id, "本局审核同意")
    [made] = publication.request_approval(session, kit.office, [kit.pubs[None].id])
    approvals.decide(session, kit.leader, made.id, approve=True)
    assert {p.status for p in kit.pubs.values()} == {"published"}
    f = filters.parse(session, {"year": str(kit.task.period_start.year)})
    rep = report.build(session, kit.office, f)
    [progress] = [t for s in rep["sections"] for t in s["tables"] if t["key"] == "progress"]
    row = next(r for r in progress["rows"] if r[0]["t"].startswith(kit.task.code))
    cols = progress["columns"]
    assert row[cols.index("抽取")]["v"] == 1 and row[cols.index("已公示")]["v"] == 1
    from server.services.oversight import board
    [progress] = [s for s in board.build(session, kit.office) if s.key == "progress"]
    cells = next(r.cells for r in progress.rows if r.cells[0].startswith(kit.task.code))
    assert cells[4] == 1 and cells[8] == 1  # the 督查 board too: drawn once, published once


def test_the_bureaus_gsxt_export_holds_its_own_items_only(session, approved):
    from server.services.followup import publication_export
    from server.services.kernel import approvals
    kit = approved
    publication.publish_own(session, kit.staff, kit.pubs[kit.scj.id].id)
    [made] = publication.request_approval(session, kit.office, [kit.pubs[None].id])
    approvals.decide(session, kit.leader, made.id, approve=True)
    rows = publication_export.rows(session, kit.office)
    assert [(r[5], r[10]) for r in rows] == [(publication.DEFAULT_AUTHORITY, "巡游出租汽车经营服务")]

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.followup import Publication
from server.models.planning import Plan
from server.services.followup import publication, publication_export, review
from server.services.kernel import approvals
from server.services.kernel.workdays import add_workdays, local_midnight_utc, today
from tests.factories import create_item, create_submitted_inspection, create_task, create_user

D = dt.date


@pytest.fixture
def people(session):
    return {"office": create_user(session, role="office"), "leader": create_user(session, role="leader")}


def _approved_pub(session, office, completed=None, **kw) -> Publication:
    plan = session.scalar(select(Plan).where(Plan.code == "140522202401")) or Plan(
        code="140522202401", year=2024, name="阳城县交通运输局2024年度双随机抽查计划")
    session.add(plan)
    session.flush()
    task = create_task(session, plan_id=plan.id, items=[create_item(session, name="道路货物运输经营"),
                                                          create_item(session, name="车辆技术管理")], **kw)
    completed = completed or local_midnight_utc(today()) + dt.timedelta(hours=9)
    insp = create_submitted_inspection(session, task=task, result_categories=["01"], completed_at=completed)
    review.approve(session, office, insp.id)
    return session.scalar(select(Publication).where(Publication.inspection_id == insp.id))


def _publish(session, people, *pubs):
    made = publication.request_approval(session, people["office"], [p.id for p in pubs])
    for a in made:
        approvals.decide(session, people["leader"], a.id, approve=True)


def test_record_has_the_gsxt_structure(session, people):
    pub = _approved_pub(session, people["office"], completed=dt.datetime(2024, 9, 20, 2, tzinfo=dt.timezone.utc),
                        task_type="directed", code="T2024-07", name="货运企业定向抽查")
    c = pub.content
    assert (c["plan_code"], c["plan_name"], c["task_code"], c["task_name"], c["type"], c["authority"],
            c["completed_on"]) == ("140522202401", "阳城县交通运输局2024年度双随机抽查计划", "T2024-07", "货运企业定向抽查",
                                   "定向", "阳城县交通运输局", "2024-09-20")
    assert [(i["seqno"], i["item_name"], i["result"]) for i in c["items"]] == [
        (1, "道路货物运输经营", "未发现问题"), (2, "车辆技术管理", "未发现问题")]
    assert pub.due_on == D(2024, 10, 23)  # 20 working days across 国庆 2024 and its 调休 weekends


def test_leader_batch_approval_publishes_and_the_portal_shows_only_published(session, people):
    a, b, c = (_approved_pub(session, people["office"]) for _ in range(3))
    _publish(session, people, a, b)
    assert (a.status, a.revision, b.status, c.status) == ("published", 1, "published", "draft")
    assert a.revisions[-1].action == "publish" and a.revisions[-1].on_time is True
    found = publication.public_search(session)
    assert found.total == 2 and {r.id for r in found.items} == {a.id, b.id}
    assert publication.public_search(session, q=c.target_uscc).total == 0
    assert publication.public_search(session, q=a.target_uscc.lower()).total == 1


def test_refusal_returns_the_record_to_draft_and_double_requests_are_refused(session, people):
    pub = _approved_pub(session, people["office"])
    [approval] = publication.request_approval(session, people["office"], [pub.id])
    with pytest.raises(Conflict, match="当前为“待领导审批”，不能提交审批"):
        publication.request_approval(session, people["office"], [pub.id])
    approvals.decide(session, people["leader"], approval.id, approve=False, note="结果描述需核实")
    assert pub.status == "draft" and publication.public_search(session).total == 0


def test_inspector_and_office_cannot_publish(session, people):
    pub = _approved_pub(session, people["office"])
    with pytest.raises(PermissionDenied):
        publication.request_approval(session, create_user(session, role="inspector"), [pub.id])
    [approval] = publication.request_approval(session, people["office"], [pub.id])
    with pytest.raises(PermissionDenied):
        approvals.decide(session, create_user(session, role="office"), approval.id, approve=True)


def test_a_recorded_reason_counts_toward_the_goal(session, people):
    a, b, c = (_approved_pub(session, people["office"]) for _ in range(3))
    _publish(session, people, a)
    with pytest.raises(ValidationError, match="^请填写不予公示的理由$"):
        publication.decline(session, people["office"], b.id, "")
    publication.decline(session, people["office"], b.id, "涉及正在侦办的刑事案件，暂不公开")
    s = publication.share(session)
    assert (s["approved"], s["published"], s["declined"], s["open"], s["percent"]) == (3, 1, 1, 1, 66.7)
    with pytest.raises(Conflict):
        publication.decline(session, people["office"], a.id, "已公示的不能再不予公示")


def test_correction_keeps_history_and_is_timed_from_the_confirmed_error(session, people):
    pub = _approved_pub(session, people["office"])
    _publish(session, people, pub)
    with pytest.raises(ValidationError, match="无需更正"):
        publication.correct(session, people["office"], pub.id, {1: ["01"], 2: ["01"]}, "无变化", since=today())
    with pytest.raises(ValidationError, match="^第 2 项（车辆技术管理）请至少选择一个检查结果$"):
        publication.correct(session, people["office"], pub.id, {1: ["02"]}, "补正", since=today())
    publication.flag(session, people["office"], pub.id, "correct", "企业提出异议，经核实第 2 项结果有误", today())
    assert pub.pending_due == add_workdays(today(), 5)
    publication.correct(session, people["office"], pub.id, {1: ["01"], 2: ["02"]}, "")
    assert pub.revision == 2 and pub.content["items"][1]["result"] == "发现问题已责令改正"
    last = pub.revisions[-1]
    assert (last.action, last.reason, last.on_time, pub.pending_action) == (
        "correct", "企业提出异议，经核实第 2 项结果有误", True, "")
    assert pub.revisions[0].content["items"][1]["result"] == "未发现问题"


def test_late_correction_is_recorded_as_late(session, people):
    pub = _approved_pub(session, people["office"])
    _publish(session, people, pub)
    publication.correct(session, people["office"], pub.id, {1: ["02"], 2: ["01"]}, "核实有误", since=D(2024, 9, 27))
    # 5 working days after Friday 9-27: the 调休 Sunday 9-29, 9-30, then 10-08, 10-09, 10-10
    assert pub.revisions[-1].due_on == D(2024, 10, 10) and pub.revisions[-1].on_time is False


def test_withdrawal_within_three_working_days_of_an_overturned_decision(session, people):
    pub = _approved_pub(session, people["office"])
    _publish(session, people, pub)
    publication.flag(session, people["office"], pub.id, "withdraw", "处罚决定被复议撤销", D(2024, 9, 30))
    assert pub.pending_due == D(2024, 10, 10)  # 10-08, 10-09, 10-10 after the holiday
    publication.withdraw(session, people["office"], pub.id, "")
    assert pub.status == "withdrawn" and pub.revisions[-1].reason == "处罚决定被复议撤销"
    assert publication.public_search(session).total == 0
    with pytest.raises(Conflict, match="只有已公示的记录可以撤回"):
        publication.withdraw(session, people["office"], pub.id, "again", since=today())


def test_export_is_one_row_per_item_in_xlsx_and_csv(session, people):
    pub = _approved_pub(session, people["office"])
    _publish(session, people, pub)
    _approved_pub(session, people["office"])  # a draft is not exported
    rows = publication_export.rows(session, people["office"])
    assert len(rows) == 2 and rows[0][9:12] == [1, "道路货物运输经营", "未发现问题"]
    sheet = openpyxl.load_workbook(io.BytesIO(publication_export.to_xlsx(rows))).active
    assert sheet["A1"].value == "抽查计划编号" and sheet["K3"].value == "车辆技术管理"
    data = publication_export.to_csv(rows)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0][:3] == ["抽查计划编号", "抽查计划名称", "抽查任务编号"] and len(parsed) == 3


def test_export_neutralises_spreadsheet_formulas():
    data = publication_export.to_csv([["=HYPERLINK(\"x\")", "+1", "a"]])
    assert "'=HYPERLINK" in data.decode("utf-8-sig") and "'+1" in data.decode("utf-8-sig")


PUB_ALLOWED = {"draft": {"request", "decline"}, "pending": set(), "published": {"flag", "correct", "withdraw"},
               "withdrawn": set(), "not_published": set()}


def test_publication_state_machine(session, people):
    o = people["office"]
    steps = {
        "request": lambda p: publication.request_approval(session, o, [p.id]),
        "decline": lambda p: publication.decline(session, o, p.id, "理由"),
        "flag": lambda p: publication.flag(session, o, p.id, "correct", "有误", today()),
        "correct": lambda p: publication.correct(session, o, p.id, {1: ["02"], 2: ["02"]}, "有误", since=today()),
        "withdraw": lambda p: publication.withdraw(session, o, p.id, "撤销", since=today()),
    }
    reach = {"draft": [], "pending": ["request"], "published": ["request", "approve"],
             "withdrawn": ["request", "approve", "withdraw"], "not_published": ["decline"]}
    for status, ok in PUB_ALLOWED.items():
        pub = _approved_pub(session, o)
        for step in reach[status]:
            if step == "approve":
                _publish_pending(session, people)
            else:
                steps[step](pub)
        assert pub.status == status
        session.commit()
        for step, call in steps.items():
            nested = session.begin_nested()
            try:
                call(pub)
                done = True
            except Conflict:
                done = False
            finally:
                nested.rollback()
            assert done == (step in ok), (status, step)


def _publish_pending(session, people):
    for a in session.scalars(select(approvals.Approval).where(approvals.Approval.status == "pending")).all():
        approvals.decide(session, people["leader"], a.id, approve=True)

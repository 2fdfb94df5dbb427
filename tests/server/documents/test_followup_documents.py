"""Documents after the field: the referral letters (案件移送函, 涉嫌犯罪案件移送书), the result list (公示) and the
Beijing-time days they print."""
from __future__ import annotations

import datetime as dt

import pytest

from server.errors import NotFound, PermissionDenied
from server.services.documents import render
from tests import factories as f
from tests.server import document_samples as samples
from tests.server.documents.conftest import BUREAU, member_user, text_of


# --- referrals and the result list ------------------------------------------------------------------

def _referral(session, inspection, office, **kw):
    from server.models.followup import Referral, Violation
    violation = Violation(inspection_id=inspection.id, finding_ref=kw.pop("finding_ref", ""), description="x")
    session.add(violation)
    session.flush()
    r = Referral(violation_id=violation.id, inspection_id=inspection.id, created_by_id=office.id,
                 party="阳城县顺达货物运输有限公司", cause=kw.pop("cause", "未取得道路运输经营许可擅自从事经营"),
                 reason=kw.pop("reason", "经营者使用伪造的道路运输证"), legal_basis=kw.pop("legal_basis", "《道路运输条例》第六十三条"),
                 **kw)
    session.add(r)
    session.flush()
    return r


def test_administrative_referral_letter(session, inspection, office, settings, tmp_path):
    r = _referral(session, inspection, office, kind="administrative", doc_no="阳交移〔2024〕3号", status="sent",
                  receiving_dept="阳城县市场监督管理局", materials=["询问笔录1份", "证据照片4张"],
                  referral_date=dt.date(2024, 5, 10), feedback_due=dt.date(2024, 6, 9))
    doc = render.referral_document(session, office, r.id, settings)
    samples.save_pages("referral", doc.data)
    text = text_of(doc, tmp_path)
    for expected in ["案件移送函", "编号：阳交移〔2024〕3号", "阳城县市场监督管理局：", "当事人阳城县顺达货物运输有限公司",
                     "涉嫌未取得道路运输经营许可擅自从事经营一案", "移送理由：经营者使用伪造的道路运输证",
                     "依照《道路运输条例》第六十三条的规定", "2024年6月9日前", "现场检查笔录（编号T20240007-001）",
                     "询问笔录1份", "证据照片4张", "2024年5月10日", "回执"]:
        assert expected in text, expected
    assert "草稿" not in text and doc.filename == "案件移送函_阳交移〔2024〕3号.pdf"


def test_criminal_referral_cites_the_2021_law_and_the_310_rules(session, inspection, office, settings, tmp_path):
    from server.models.approvals import Approval
    leader = f.create_user(session, role="leader", display_name="赵局长")
    team = [m.inspector_id for m in inspection.members]
    approval = Approval(kind="criminal_referral", object_type="referrals", object_id="1", title="t", status="approved",
                        requested_by_id=office.id, decided_by_id=leader.id,
                        decided_at=dt.datetime(2024, 5, 11, 2, tzinfo=dt.timezone.utc))
    session.add(approval)
    session.flush()
    r = _referral(session, inspection, office, kind="criminal", doc_no="阳交刑移〔2024〕1号", status="transferred",
                  receiving_dept="阳城县公安局", team=team, approval_id=approval.id, referral_date=dt.date(2024, 5, 11),
                  materials=["涉嫌犯罪案件移送书：1份", "涉嫌犯罪案件情况的调查报告：1份", "涉案物品清单：伪造道路运输证2本",
                             "有关检验报告或者鉴定结论：无（尚未鉴定）", "其他有关涉嫌犯罪的材料：现场检查笔录1份"])
    doc = render.referral_document(session, office, r.id, settings)
    samples.save_pages("criminal-referral", doc.data)
    text = text_of(doc, tmp_path)
    for expected in ["涉嫌犯罪案件移送书", "阳城县公安局：", "《中华人民共和国行政处罚法》第二十七条",
                     "《行政执法机关移送涉嫌犯罪案件的规定》第三条", "本案经我局负责人赵局长于2024年5月11日批准",
                     "伪造道路运输证2本", "无（尚未鉴定）", "3日内", "第八条", "第十二条", "张伟（执法证号：14052200001）",
                     "刘洋（执法证号：14052200002）", "回执", "第七条"]:
        assert expected in text, expected
    assert "第二十二条" not in text  # the pre-2021 article some old templates still cite


def test_a_criminal_referral_awaiting_approval_is_marked(session, inspection, office, settings, tmp_path):
    r = _referral(session, inspection, office, kind="criminal", doc_no="阳交刑移〔2024〕2号", status="reported",
                  receiving_dept="阳城县公安局", team=[m.inspector_id for m in inspection.members])
    text = text_of(render.referral_document(session, office, r.id, settings), tmp_path)
    assert "文书状态：待负责人审批，批准前不得移送" in text
    assert "负责人________于____年__月__日批准" in text


def test_referral_documents_are_for_staff_only(session, inspection, office, settings):
    r = _referral(session, inspection, office, kind="notify", doc_no="阳交抄〔2024〕1号", status="draft",
                  receiving_dept="阳城县公安局交通警察大队")
    with pytest.raises(PermissionDenied):
        render.referral_document(session, member_user(session, inspection), r.id, settings)
    with pytest.raises(NotFound, match="找不到该移送记录"):
        render.referral_document(session, office, 99999, settings)


def test_result_list_shows_only_published_records(session, inspection, office, settings, tmp_path):
    from server.models.followup import Publication
    other = f.create_inspection(session, task=inspection.task, target=f.create_target(session, name="未公示运输公司"))
    content = {"plan_code": "", "plan_name": "", "task_code": "T20240007", "task_name": "2024年普货运输双随机抽查",
               "type": "不定向", "authority": BUREAU, "completed_on": "2024-05-03",
               "items": [{"seqno": 1, "item_name": "道路普通货物运输经营许可的监督检查", "result": "发现问题已责令改正"}]}
    session.add_all([
        Publication(inspection_id=inspection.id, target_id=inspection.target_id, target_name="阳城县顺达货物运输有限公司",
                    target_uscc=inspection.target.uscc, status="published", revision=2, content=content,
                    completed_on=dt.date(2024, 5, 3), due_on=dt.date(2024, 5, 31),
                    published_at=dt.datetime(2024, 5, 20, 2, tzinfo=dt.timezone.utc)),
        Publication(inspection_id=other.id, target_id=other.target_id, target_name="未公示运输公司",
                    target_uscc=other.target.uscc, status="pending", content=content,
                    completed_on=dt.date(2024, 5, 3), due_on=dt.date(2024, 5, 31))])
    session.flush()
    doc = render.publication_list(session, office, inspection.task_id, settings)
    samples.save_pages("publications", doc.data)
    text = text_of(doc, tmp_path, "-raw")
    for expected in ["“双随机、一公开”抽查结果公示表", "阳城县顺达货物运输有限公司", inspection.target.uscc,
                     "1.道路普通货物运输经营许可的监督检查：发现问题已责令改正", "2024年5月3日", "2024年5月20日",
                     "已更正", "不定向抽查"]:
        assert expected in text, expected
    assert "未公示运输公司" not in text


def test_dates_printed_from_stored_moments_are_beijing_days(session, inspection, office):
    """A moment before 08:00 Beijing time is still the previous day in UTC; the paper shows the Beijing day."""
    from server.models.followup import Publication
    from server.services.documents import contexts, followup_context
    early = dt.datetime(2024, 5, 9, 17, 30, tzinfo=dt.timezone.utc)  # 2024-05-10 01:30 Beijing time
    inspection.started_at = early
    inspection.status, inspection.approved_at = "approved", early
    inspection.draw = None
    inspection.created_at = early
    r = _referral(session, inspection, office, kind="administrative", doc_no="阳交移〔2024〕8号", status="sent",
                  receiving_dept="阳城县市场监督管理局")
    session.add(Publication(inspection_id=inspection.id, target_id=inspection.target_id, target_name="甲",
                            target_uscc=inspection.target.uscc, status="published", content={"items": []},
                            completed_on=dt.date(2024, 5, 3), due_on=dt.date(2024, 5, 31), published_at=early))
    session.flush()
    assert followup_context.referral_context(session, r, BUREAU)["inspection"]["inspected_on"] == "2024-05-10"
    [row] = followup_context.publications_context(session, inspection.task, BUREAU)["rows"]
    assert row["published_on"] == "2024-05-10"
    assert contexts.record_status(inspection)[0] == "文书状态：已审核，2024-05-10"
    assert contexts.notice_context(session, inspection, BUREAU)["issued_on"] == "2024-05-10"

import datetime as dt
import io
import re

import openpyxl
import pytest
from flask import g
from sqlalchemy import select

from server.extensions import db
from server.models.followup import CreditRecord, Publication, Referral
from server.models.types import utcnow
from server.services.followup import credit, publication, review
from server.services.kernel.workdays import local_midnight_utc, today
from tests.factories import create_inspector, create_submitted_inspection, create_target, create_user

XSS = "<script>alert('x')</script>"


def _commit():
    db.session.commit()


@pytest.fixture
def office(session):
    return create_user(session, role="office", display_name="法制股小王")


@pytest.fixture
def leader(session):
    return create_user(session, role="leader", display_name="李局长")


def _page(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def test_queue_shows_submitted_results_with_their_clock(client, login, session, office):
    old = local_midnight_utc(today() - dt.timedelta(days=45)) + dt.timedelta(hours=9)
    insp = create_submitted_inspection(session, completed_at=old, target=create_target(session, name="凤城镇货运公司"))
    _commit()
    html = _page(login(office), "/office/review")
    assert "凤城镇货运公司" in html and "已超期" in html
    assert f"/office/review/{insp.id}" in html


def test_inspector_cannot_open_the_review_pages(client, login, session):
    inspector = create_user(session, role="inspector")
    insp = create_submitted_inspection(session)
    _commit()
    login(inspector)
    for url in ("/office/review", f"/office/review/{insp.id}", "/office/approvals", "/office/publications"):
        resp = client.get(url)
        assert resp.status_code == 403 and "您的角色无权访问此页面" in resp.get_data(as_text=True)
    resp = client.post(f"/office/review/{insp.id}/approve", data={"version": "1"})
    assert resp.status_code == 403
    assert db.session.get(type(insp), insp.id).status == "submitted"


def test_approve_and_return_through_the_page(client, login, session, office):
    insp = create_submitted_inspection(session, result_categories=["02"])
    other = create_submitted_inspection(session)
    _commit()
    login(office)
    resp = client.post(f"/office/review/{other.id}/return", data={"version": "1", "note": ""}, follow_redirects=True)
    assert "退回时请填写需要检查人员补正的内容" in resp.get_data(as_text=True)
    resp = client.post(f"/office/review/{other.id}/return", data={"version": "1", "note": "请补拍车辆照片"},
                       follow_redirects=True)
    assert "退回意见将在检查人员下次同步时送达手机" in resp.get_data(as_text=True)
    assert db.session.get(type(other), other.id).reviewer_note == "请补拍车辆照片"
    resp = client.post(f"/office/review/{insp.id}/approve", data={"version": "1", "note": "同意"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "审核通过：已生成公示记录" in html and "违法行为处置" in html and "记录信用" in html
    assert db.session.scalar(select(Publication).where(Publication.inspection_id == insp.id)).status == "draft"


def test_every_free_text_is_escaped(client, login, session, office, leader):
    target = create_target(session, name=f"公司{XSS}")
    insp = create_submitted_inspection(session, target=target, result_categories=["02"], summary=XSS)
    review.approve(session, office, insp.id, note=XSS)
    credit.create_record(session, office, insp.id, kind="violation", severity="general", description=XSS,
                         legal_basis=XSS, effective_from=today(), effective_to=today() + dt.timedelta(days=30),
                         publish=True)
    pub = session.scalar(select(Publication).where(Publication.inspection_id == insp.id))
    from server.services.followup import referrals
    r = referrals.create(session, office, kind="notify", inspection_id=insp.id, doc_no="阳交移〔2024〕9号", party=XSS,
                         cause=XSS, reason=XSS, legal_basis=XSS, receiving_dept=XSS, materials=XSS)
    referrals.send(session, office, r.id)
    referrals.acknowledge(session, office, r.id, receiver=XSS, note=XSS)
    publication.request_approval(session, office, [pub.id], reason=XSS)
    _commit()
    login(office)
    pages = [f"/office/review/{insp.id}", "/office/review", f"/office/referrals/{r.id}", "/office/referrals",
             "/office/publications", f"/office/publications/{pub.id}", "/office/credit", "/office/"]
    for url in pages:
        html = _page(client, url)
        assert "<script>alert" not in html, url
    assert "&lt;script&gt;" in _page(client, f"/office/referrals/{r.id}")
    login(leader)
    assert "<script>alert" not in _page(client, "/office/approvals")
    approval_id = session.scalar(select(publication.Approval.id).where(publication.Approval.kind == "publication"))
    client.post("/office/approvals/decide", data={"approval_id": str(approval_id), "decision": "approve"})
    html = _page(client, "/public/results?q=" + target.uscc)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_leader_batch_approves_publications_and_the_portal_shows_only_those(client, login, session, office, leader):
    insps = [create_submitted_inspection(session, target=create_target(session, name=f"润城镇维修厂{i}"))
             for i in range(3)]
    for insp in insps:
        review.approve(session, office, insp.id)
    pubs = session.scalars(select(Publication).order_by(Publication.id)).all()
    _commit()
    login(office)
    client.post("/office/publications/request", data={"pub_id": [str(pubs[0].id), str(pubs[1].id)]})
    resp = client.post("/office/approvals/decide", data={"approval_id": "1", "decision": "approve"})
    assert resp.status_code == 403  # office staff do not decide
    login(leader)
    html = _page(client, "/office/approvals")
    assert "抽查结果公示" in html and "润城镇维修厂0" in html
    ids = [str(a) for a in session.scalars(select(publication.Approval.id))]
    resp = client.post("/office/approvals/decide", data={"approval_id": ids, "decision": "approve", "note": "同意"},
                       follow_redirects=True)
    assert "已批准 2 项" in resp.get_data(as_text=True)
    public = _page(client, "/public/results")
    assert "润城镇维修厂0" in public and "润城镇维修厂1" in public and "润城镇维修厂2" not in public
    assert "共 2 条" in public


def test_batch_refusal_needs_a_reason_and_changes_nothing(client, login, session, office, leader):
    insp = create_submitted_inspection(session)
    review.approve(session, office, insp.id)
    [approval] = publication.request_approval(session, office, [session.scalar(select(Publication.id))])
    _commit()
    login(leader)
    resp = client.post("/office/approvals/decide", data={"approval_id": str(approval.id), "decision": "reject"},
                       follow_redirects=True)
    assert "不批准时请填写理由" in resp.get_data(as_text=True)
    assert db.session.get(type(approval), approval.id).status == "pending"


def test_public_portal_never_shows_unpublished_results(client, session, office):
    insp = create_submitted_inspection(session, target=create_target(session, name="未公示运输公司"))
    review.approve(session, office, insp.id)
    _commit()
    html = _page(client, "/public/results")
    assert "未公示运输公司" not in html and "没有找到已公示的抽查结果" in html
    assert "共 0 条与“未公示运输公司”相关" in _page(client, "/public/results?q=未公示运输公司")


def test_referral_pages_walk_an_administrative_referral(client, login, session, office):
    insp = create_submitted_inspection(session, result_categories=["03"], follow_ups=["notify_other"])
    _commit()
    login(office)
    html = _page(client, f"/office/referrals/new?inspection_id={insp.id}&kind=notify")
    assert "案由" in html and "依据的法律规定" in html
    resp = client.post(f"/office/referrals/new?inspection_id={insp.id}&kind=notify",
                       data={"doc_no": "阳交移〔2024〕5号", "party": "某公司", "cause": "", "reason": "抄告",
                             "legal_basis": "《道路运输条例》", "receiving_dept": "市场监管局"})
    assert resp.status_code == 422 and "请填写案由" in resp.get_data(as_text=True)
    resp = client.post(f"/office/referrals/new?inspection_id={insp.id}&kind=notify",
                       data={"doc_no": "阳交移〔2024〕5号", "party": "某公司", "cause": "超范围经营", "reason": "抄告",
                             "legal_basis": "《道路运输条例》", "receiving_dept": "市场监管局"}, follow_redirects=True)
    assert "已登记移送" in resp.get_data(as_text=True)
    r = db.session.scalar(select(Referral))
    resp = client.post(f"/office/referrals/{r.id}/acknowledge", data={"receiver": "张三"}, follow_redirects=True)
    assert "该移送当前为“待发送”，不能登记签收" in resp.get_data(as_text=True)
    client.post(f"/office/referrals/{r.id}/send", data={"referral_date": today().isoformat()})
    client.post(f"/office/referrals/{r.id}/acknowledge", data={"receiver": "张三"})
    html = client.post(f"/office/referrals/{r.id}/feedback", data={"content": "已处理"},
                       follow_redirects=True).get_data(as_text=True)
    assert "接收部门反馈" in html and "已收到反馈，待办结" in html
    listing = _page(client, "/office/referrals?status=all")
    assert f'<a href="/office/referrals/{r.id}">阳交移〔2024〕5号</a>' in listing  # the referral row
    assert "阳交移〔2024〕5号（已收到反馈，待办结）" in listing  # and its open violation


def test_criminal_referral_team_form(client, login, session, office):
    insp = create_submitted_inspection(session, result_categories=["03"])
    a, b = create_inspector(session, name="赵执法"), create_inspector(session, name="钱执法")
    _commit()
    login(office)
    data = {"doc_no": "阳交刑移〔2024〕1号", "party": "某公司", "cause": "非法经营", "reason": "涉嫌犯罪",
            "legal_basis": "《行政执法机关移送涉嫌犯罪案件的规定》第三条", "receiving_dept": "阳城县公安局"}
    resp = client.post(f"/office/referrals/new?inspection_id={insp.id}&kind=criminal", data={**data, "team": [str(a.id)]})
    assert "涉嫌犯罪案件须指定 2 名以上执法人员组成专案组" in resp.get_data(as_text=True)
    resp = client.post(f"/office/referrals/new?inspection_id={insp.id}&kind=criminal",
                       data={**data, "team": [str(a.id), str(b.id)]}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "赵执法" in html and "专案组提交书面报告" in html


def test_dashboard_shows_clocks_and_level_changes(client, login, session, office):
    old = local_midnight_utc(today() - dt.timedelta(days=60)) + dt.timedelta(hours=9)
    insp = create_submitted_inspection(session, completed_at=old, target=create_target(session, name="町店镇客运站"))
    review.approve(session, office, insp.id)
    credit.create_record(session, office, insp.id, kind="violation", severity="severe", description="事实",
                         legal_basis="依据", effective_from=today(), effective_to=today() + dt.timedelta(days=90))
    _commit()
    html = _page(login(office), "/office/")
    assert "结果审核与公示时限" in html and "超期未公示：町店镇客运站" in html
    assert "风险等级变化预警" in html and "一般 → 高" in html


def test_export_downloads(client, login, session, office, leader):
    insp = create_submitted_inspection(session)
    review.approve(session, office, insp.id)
    from server.services.kernel import approvals
    [a] = publication.request_approval(session, office, [session.scalar(select(Publication.id))])
    approvals.decide(session, leader, a.id, approve=True)
    _commit()
    login(office)
    resp = client.get("/office/publications/export.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(resp.data)).active["A1"].value == "抽查计划编号"
    resp = client.get("/office/publications/export.csv")
    assert resp.data.startswith("\ufeff抽查计划编号".encode())
    assert client.get("/office/publications/export.pdf").status_code == 404


def test_target_credit_partial_shows_records_and_history(app, session, office):
    insp = create_submitted_inspection(session)
    review.approve(session, office, insp.id)
    credit.create_record(session, office, insp.id, kind="uncooperative", severity="serious", description="拒绝检查",
                         legal_basis="条例", effective_from=today(), effective_to=today() + dt.timedelta(days=30))
    _commit()
    with app.test_request_context("/office/targets/1"):
        g.user = office
        html = app.jinja_env.get_template("office/_target_credit.html").render(target=insp.target)
    assert "不配合检查情节严重" in html and "较重" in html and "一般 → 较高" in html and "信用修复" in html


def test_forms_need_a_csrf_token(csrf_app, session):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session)
    db.session.commit()
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/office/login").get_data(as_text=True))[1]
    client.post("/office/login", data={"username": office.username, "password": "password123", "csrf_token": token})
    resp = client.post(f"/office/review/{insp.id}/approve", data={"version": "1"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    page = client.get(f"/office/review/{insp.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    resp = client.post(f"/office/review/{insp.id}/approve", data={"version": "1", "csrf_token": token})
    assert resp.status_code == 302


def test_inspector_dashboard_lists_their_desk_inspections(client, login, session):
    from tests.factories import create_inspection
    insp = create_inspection(session, mode="online")
    create_inspection(session, mode="on_site", inspectors=[insp.members[0].inspector])
    user = create_user(session, role="inspector", inspector_id=insp.members[0].inspector_id)
    _commit()
    html = _page(login(user), "/office/")
    assert "我的书面检查 / 网络监测" in html
    assert '<a href="/office/desk">待录入的检查</a></th><td>1</td>' in html


def test_approval_inbox_links_to_the_record_to_decide(client, login, session, office, leader):
    insp = create_submitted_inspection(session)
    review.approve(session, office, insp.id)
    pub_id = session.scalar(select(Publication.id))
    publication.request_approval(session, office, [pub_id])
    _commit()
    html = _page(login(leader), "/office/approvals")
    assert f'href="/office/publications/{pub_id}"' in html


def test_dashboard_lists_overdue_referral_steps(client, login, session, office):
    from server.services.followup import referrals
    insp = create_submitted_inspection(session, result_categories=["03"])
    r = referrals.create(session, office, kind="notify", inspection_id=insp.id, doc_no="阳交移〔2024〕77号",
                         party="某公司", cause="案由", reason="理由", legal_basis="依据", receiving_dept="市场监管局")
    referrals.send(session, office, r.id, referral_date=dt.date(2024, 9, 2), feedback_due=dt.date(2024, 9, 30))
    _commit()
    html = _page(login(office), "/office/")
    assert "移送步骤已超期</a></th><td>1</td>" in html
    assert "超期：阳交移〔2024〕77号 反馈期限" in html and "期限 2024-09-30 当日内" in html


def test_a_new_referral_proposes_the_next_document_number(client, login, session, office):
    insp = create_submitted_inspection(session, result_categories=["03"])
    _commit()
    login(office)
    year = today().year
    assert f'value="阳交刑移〔{year}〕1号"' in _page(client, f"/office/referrals/new?inspection_id={insp.id}&kind=criminal")
    from server.services.followup import referrals
    referrals.create(session, office, kind="notify", inspection_id=insp.id, doc_no="阳交移〔2024〕1号", party="某公司",
                     cause="案由", reason="理由", legal_basis="依据", receiving_dept="市场监管局")
    _commit()
    assert f'value="阳交移〔{year}〕2号"' in _page(client, f"/office/referrals/new?inspection_id={insp.id}&kind=notify")
    resp = client.get("/office/referrals/new?inspection_id=999999")
    assert resp.status_code == 404 and "检查记录不存在" in resp.get_data(as_text=True)
    resp = client.post("/office/violations/999999/close", data={"note": "办结"})
    assert resp.status_code == 404 and "违法行为记录不存在" in resp.get_data(as_text=True)


def test_a_missing_publication_or_export_format_is_a_404_page(client, login, session, office):
    _commit()
    login(office)
    resp = client.get("/office/publications/999999")
    assert resp.status_code == 404 and "公示记录不存在" in resp.get_data(as_text=True)
    resp = client.get("/office/publications/export.pdf")
    assert resp.status_code == 404 and "不支持的导出格式" in resp.get_data(as_text=True)


def test_credit_records_page_on_to_the_last_record_and_no_further(client, login, session, office):
    insp = create_submitted_inspection(session, status="approved")

    def record(n):
        session.add(CreditRecord(target_id=insp.target_id, inspection_id=insp.id, kind="other", severity="minor",
                                 description=f"第{n}条失信事实", effective_from=today(), effective_to=today(),
                                 created_by_id=office.id, created_at=utcnow() - dt.timedelta(minutes=n)))
    for n in range(50):
        record(n)
    _commit()
    login(office)
    assert "下一页" not in _page(client, "/office/credit")  # exactly one full page: nothing after it
    record(50)
    _commit()
    first = _page(client, "/office/credit")
    assert "第0条失信事实" in first and "第50条失信事实" not in first
    assert 'href="/office/credit?page=2">下一页</a>' in first
    second = _page(client, "/office/credit?page=2")
    assert "第50条失信事实" in second and "第49条失信事实" not in second
    assert "下一页" not in second and 'href="/office/credit?page=1">上一页</a>' in second


def test_review_queue_pages_by_the_configured_size(app, client, login, session, office):
    app.config["PAGE_SIZE"] = 1
    older = create_submitted_inspection(session, target=create_target(session, name="先提交运输公司"))
    newer = create_submitted_inspection(session, target=create_target(session, name="后提交运输公司"))
    older.submitted_at, newer.submitted_at = utcnow() - dt.timedelta(hours=2), utcnow() - dt.timedelta(hours=1)
    _commit()
    login(office)
    first = _page(client, "/office/review")
    assert "待审核：<strong>2</strong> 项" in first and "先提交运输公司" in first and "后提交运输公司" not in first
    assert "第 1 页，共 2 页" in first and 'href="/office/review?page=2">下一页</a>' in first
    last = _page(client, "/office/review?page=5")
    assert "后提交运输公司" in last and "第 2 页，共 2 页" in last and "下一页" not in last


def test_the_approval_inbox_lists_recent_decisions(client, login, session, office, leader):
    insp = create_submitted_inspection(session, target=create_target(session, name="已审批运输公司"))
    review.approve(session, office, insp.id)
    [a] = publication.request_approval(session, office, [session.scalar(select(Publication.id))])
    from server.services.kernel import approvals
    approvals.decide(session, leader, a.id, approve=False, note="内容需核实")
    _commit()
    html = _page(login(office), "/office/approvals")
    assert "暂无待审批事项。" in html
    recent = html[html.index("最近的审批"):]
    assert "已审批运输公司" in recent and "不批准" in recent and "内容需核实" in recent and "李局长" in recent

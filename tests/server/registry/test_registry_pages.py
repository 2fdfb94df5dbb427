"""一单两库 office pages: what office staff, leaders and inspectors see and may do."""
import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from server.models.audit import AuditEntry
from server.models.registry import Recusal, Target
from tests import factories as f
from tests.server.sheet_builders import TARGET_HEAD, target_row, xlsx_bytes


def html(resp):
    return resp.get_data(as_text=True)


def text(resp):
    """The page's visible text, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(resp)))


@pytest.fixture
def office(session, login):
    user = f.create_user(session, role="office")
    session.commit()
    return login(user)


def as_role(session, login, role):
    user = f.create_user(session, role=role)
    session.commit()
    return login(user)


def upload(client, name, data, filename="名录.xlsx", **form):
    return client.post(f"/office/{name}/import", data={"file": (io.BytesIO(data), filename), **form},
                       content_type="multipart/form-data")


def test_anonymous_visitors_are_sent_to_login(client):
    resp = client.get("/office/targets")
    assert resp.status_code == 302 and "/office/login" in resp.headers["Location"]


@pytest.mark.parametrize("name, title", [("targets", "检查对象名录库"), ("inspectors", "执法检查人员名录库"),
                                         ("items", "随机抽查事项清单")])
def test_list_pages_link_to_import_and_exports(office, name, title):
    page = html(office.get(f"/office/{name}"))
    assert f"<h1>{title}</h1>" in page
    assert f'href="/office/{name}/import">导入</a>' in page
    assert f'href="/office/{name}/export?fmt=xlsx">导出 Excel</a>' in page
    assert f'href="/office/{name}/export?fmt=csv">导出 CSV</a>' in page


def test_target_list_search_filters_and_paging(app, session, office):
    app.config["PAGE_SIZE"] = 2
    for i, (name, cat, region) in enumerate([("顺达运输", "freight", "凤城镇"), ("顺达维修", "repair", "北留镇"),
                                             ("通达客运", "passenger", "凤城镇")]):
        f.create_target(session, uscc=f.make_uscc(8000 + i), name=f"阳城县{name}有限公司", category=cat, region=region)
    session.commit()
    first = text(office.get("/office/targets"))
    assert "共 3 条，第 1 / 2 页" in first and "下一页" in first
    second = html(office.get("/office/targets?page=2"))
    assert "阳城县顺达运输有限公司" in second and '<a href="/office/targets?page=1">上一页</a>' in second
    found = text(office.get("/office/targets?q=顺达&region=凤城镇"))
    assert "阳城县顺达运输有限公司" in found and "顺达维修" not in found and "通达客运" not in found
    by_code = text(office.get(f"/office/targets?q={f.make_uscc(8002)}"))
    assert "阳城县通达客运有限公司" in by_code and "共 1 条" in by_code
    assert "没有符合条件的检查对象" in text(office.get("/office/targets?category=taxi"))


def test_import_page_has_the_file_input_and_button(office):
    page = html(office.get("/office/targets/import"))
    assert '<label for="import-file">导入文件</label>' in page and 'id="import-file" type="file"' in page
    assert '<button type="submit">校验并导入</button>' in page
    assert 'href="/office/targets/template"' in page


def test_a_rejected_file_shows_each_row_column_and_problem(session, office):
    code = f.make_uscc(8101)
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    data = xlsx_bytes([TARGET_HEAD, target_row(8100), target_row(8101, {"统一社会信用代码": bad}),
                       target_row(8100, {"行业类别": "水路运输"})])
    resp = upload(office, "targets", data)
    assert resp.status_code == 422
    page = html(resp)
    assert "<th>行号</th><th>列</th><th>问题</th>" in page
    assert "文件中有错误，未导入任何数据" in page
    assert f"<tr><td>4</td><td>统一社会信用代码</td><td>统一社会信用代码校验位错误（应为 {code[17]}）</td></tr>" in page
    assert "<tr><td>5</td><td>统一社会信用代码</td><td>与第 3 行重复</td></tr>" in page
    assert "<td>5</td><td>行业类别</td><td>“水路运输”不是有效的行业类别" in page
    assert session.scalar(select(func.count(Target.id))) == 0


def test_a_good_file_is_imported_and_shows_the_counts(session, office):
    data = xlsx_bytes([TARGET_HEAD, target_row(8201), target_row(8202)])
    resp = upload(office, "targets", data)
    assert resp.status_code == 200 and "导入完成：新增 2 条，更新 0 条，未变 0 条" in html(resp)
    assert "阳城县第8201运输有限公司" in html(office.get("/office/targets"))
    again = upload(office, "targets", data)
    assert "导入完成：新增 0 条，更新 0 条，未变 2 条" in html(again)


def test_dry_run_from_the_page_writes_nothing(session, office):
    resp = upload(office, "targets", xlsx_bytes([TARGET_HEAD, target_row(8301)]), dry_run="1")
    assert "校验通过（试导入，未写入）：将新增 1 条，更新 0 条，未变 0 条" in html(resp)
    assert session.scalar(select(func.count(Target.id))) == 0


@pytest.mark.parametrize("data, filename, message", [
    (None, "", "请选择要导入的文件（Excel .xlsx、.xls，WPS .et 或 CSV）"),
    (b"%PDF-1.7", "名录.pdf", "不支持的文件类型“.pdf”，请上传 Excel（.xlsx、.xls）、WPS（.et）或 CSV 文件"),
    (b"", "名录.csv", "文件是空的，请选择填好数据的文件"),
])
def test_missing_or_wrong_files_get_a_message(office, data, filename, message):
    payload = {} if data is None else {"file": (io.BytesIO(data), filename)}
    resp = office.post("/office/targets/import", data=payload, content_type="multipart/form-data")
    assert resp.status_code in (400, 422) and message in html(resp)


def test_leader_reads_lists_but_may_not_import_or_edit(session, login):
    target = f.create_target(session)
    client = as_role(session, login, "leader")
    page = html(client.get("/office/targets"))
    assert target.name in page and ">导入</a>" not in page and ">新增</a>" not in page
    refused = client.get("/office/targets/import")
    assert refused.status_code == 403 and "只有系统管理员和科室工作人员可以修改或导入名录库" in html(refused)
    assert client.post(f"/office/targets/{target.id}/edit", data={"name": "改名"}).status_code == 403
    assert session.get(Target, target.id).name != "改名"
    assert client.get("/office/targets/export?fmt=csv").status_code == 200


def test_inspector_account_reads_but_may_not_export(session, login):
    f.create_target(session)
    client = as_role(session, login, "inspector")
    assert client.get("/office/targets").status_code == 200
    refused = client.get("/office/targets/export?fmt=xlsx")
    assert refused.status_code == 403 and "执法检查人员账号不能导出名录库" in html(refused)


def test_edit_form_shows_field_messages_then_saves(session, office):
    target = f.create_target(session, name="原名称有限公司", category="station", status="suspended", tags=["二级客运站"])
    session.commit()
    form = html(office.get(f"/office/targets/{target.id}/edit"))
    assert 'value="原名称有限公司"' in form and "创建后不可修改" in form and 'value="二级客运站"' in form
    assert '<option value="station" selected>道路客运站（场）</option>' in form
    assert '<option value="suspended" selected>停业</option>' in form
    bad = office.post(f"/office/targets/{target.id}/edit", data={"name": "", "category": "freight", "status": "active",
                                                                 "longitude": "东经112", "latitude": "35.5"})
    assert bad.status_code == 422
    assert "提交的内容有误，请按提示修改后再保存" in html(bad) and "请填写单位名称" in html(bad)
    assert "“东经112”不是数字，经度应为 73 到 136 之间的数字（中国境内，如 112.41）" in html(bad)
    good = office.post(f"/office/targets/{target.id}/edit", data={"name": "新名称有限公司", "category": "repair",
                                                                  "tags": ["重点企业"], "status": "active"})
    assert good.status_code == 302
    detail = text(office.get(good.headers["Location"]))
    assert "新名称有限公司" in detail and "机动车维修" in detail and "已保存" in detail
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "target.update")) == "target.update"


def test_new_item_with_checkboxes_and_checkpoint_lines(session, office):
    resp = office.post("/office/items/new", data={
        "code": "jt-020", "name": "机动车维修经营检查", "kind": "key", "methods": ["on_site", "document"],
        "target_categories": ["repair"], "checkpoints": "是否备案\r\n维修档案是否齐全", "status": "published"})
    assert resp.status_code == 302
    page = text(office.get(resp.headers["Location"]))
    assert "JT-020 机动车维修经营检查" in page and "实地检查、书面检查" in page and "检查要点（2 条）" in page
    item_id = resp.headers["Location"].rstrip("/").split("/")[-1]
    form = html(office.get(f"/office/items/{item_id}/edit"))
    assert 'value="on_site" checked' in form and 'value="document" checked' in form and 'value="online" checked' not in form
    assert '<option value="key" selected>重点</option>' in form and "是否备案\n维修档案是否齐全</textarea>" in form


def test_inspector_form_offers_date_pickers_and_a_department_list(session, office):
    f.create_department(session, name="法制股")
    session.commit()
    form = html(office.get("/office/inspectors/new"))
    assert '<input id="f-cert_issued_on" name="cert_issued_on" value="" type="date">' in form
    assert '<input id="f-cert_expires_on" name="cert_expires_on" value="" type="date">' in form
    assert '<option value="法制股">法制股</option>' in form


def test_target_detail_shows_ratings_licences_recusals_and_adds_a_rating(session, office):
    target = f.create_target(session, licences=[{"no": "晋交运管许可140522001号", "kind": "道路运输经营许可证"}])
    f.create_rating(session, target, source="transport", level="B", effective_from=dt.date(2023, 1, 1))
    inspector = f.create_inspector(session, name="回避人")
    session.add(Recusal(inspector_id=inspector.id, target_uscc=target.uscc, reason="亲属任职"))
    session.commit()
    page = text(office.get(f"/office/targets/{target.id}"))
    assert "晋交运管许可140522001号" in page and "交通运输 B" in page and "回避人" in page and "亲属任职" in page
    bad = office.post(f"/office/targets/{target.id}/ratings", data={"source": "market", "level": "AA",
                                                                    "effective_from": "2024-01-01"})
    assert bad.status_code == 422 and "“AA”不是有效的市场监管信用等级，可选：A、B、C、D" in html(bad)
    ok = office.post(f"/office/targets/{target.id}/ratings", data={"source": "market", "level": "D",
                                                                   "effective_from": "2024-01-01"})
    assert ok.status_code == 302
    assert "风险等级 高" in text(office.get(f"/office/targets/{target.id}"))


def test_inspector_detail_warns_about_the_certificate_and_manages_recusals(session, office):
    inspector = f.create_inspector(session, name="老张", cert_issued_on=dt.date(2018, 1, 1),
                                   cert_expires_on=dt.date.today() - dt.timedelta(days=3))
    target = f.create_target(session, name="阳城县回避对象公司")
    session.commit()
    page = html(office.get(f"/office/inspectors/{inspector.id}"))
    assert '<span class="badge bad">已过期' in page and "执法证已过期，该人员不会被抽取参加检查" in page
    assert '<span class="badge bad">已过期</span>' in html(office.get("/office/inspectors?cert=expired"))
    bad = office.post(f"/office/inspectors/{inspector.id}/recusals", data={"target_uscc": "123", "reason": ""})
    assert bad.status_code == 422
    assert "统一社会信用代码应为 18 位，实际为 3 位" in html(bad) and "请填写回避事由" in html(bad)
    office.post(f"/office/inspectors/{inspector.id}/recusals", data={"target_uscc": target.uscc, "reason": "曾在该公司任职"})
    assert "阳城县回避对象公司" in html(office.get(f"/office/inspectors/{inspector.id}"))
    recusal_id = session.scalar(select(Recusal.id))
    url = f"/office/inspectors/{inspector.id}/recusals/{recusal_id}/delete"
    assert "请填写撤销回避的理由" in html(office.post(url, data={"reason": ""}))
    assert office.post(url, data={"reason": "已满三年"}).status_code == 302
    assert session.scalar(select(func.count(Recusal.id))) == 0


def test_inspector_list_shows_an_expiring_badge(session, office):
    f.create_inspector(session, name="快到期", cert_expires_on=dt.date.today() + dt.timedelta(days=10))
    session.commit()
    page = html(office.get("/office/inspectors?cert=expiring"))
    assert "快到期" in page and '<span class="badge warn">即将到期</span>' in page


def test_export_and_template_downloads(session, office):
    f.create_target(session, name="导出测试公司")
    session.commit()
    resp = office.get("/office/targets/export?fmt=csv")
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in resp.headers["Content-Disposition"] and "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert "导出测试公司" in resp.data.decode("utf-8-sig")
    tpl = office.get("/office/inspectors/template")
    assert tpl.status_code == 200 and tpl.data.startswith(b"PK")
    assert office.get("/office/nothing/template").status_code == 404


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(csrf_app):
    from server.extensions import db
    from server.services.accounts import sessions

    user = f.create_user(db.session, role="office")
    target = f.create_target(db.session, name="CSRF 测试公司")
    db.session.commit()
    client = csrf_app.test_client()
    # Log in through the session: csrf_app keeps one app context (and so Flask-WTF's token cached in g)
    # for the whole test, so a token made before a form login would outlive the login's new session.
    with client.session_transaction() as s:
        s["sid"] = sessions.start(db.session, user)  # a server-side session, as a form login makes
    db.session.commit()
    form = html(client.get(f"/office/targets/{target.id}/edit"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    refused = client.post(f"/office/targets/{target.id}/edit", data={"name": "改名", "category": "freight"})
    assert refused.status_code == 400 and "CSRF 校验失败" in html(refused)
    ok = client.post(f"/office/targets/{target.id}/edit", data={"name": "改名", "category": "freight", "csrf_token": token})
    assert ok.status_code == 302, text(ok)
    assert 'name="csrf_token"' in html(client.get("/office/targets/import"))

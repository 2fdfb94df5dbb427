"""Documents from the database: permissions, contexts, the content-hash cache, downloads and zips."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from server.errors import Conflict, NotFound, PermissionDenied, Unauthorized
from server.models.planning import Plan, PlanVersion
from server.services.documents import fieldwork_context, render
from tests import factories as f
from tests.server import document_samples as samples

BUREAU = "阳城县交通运输局"


@pytest.fixture
def settings(app):
    return render.Settings(bureau=BUREAU, cache_dir=app.config["PDF_CACHE_DIR"],
                              media_dir=app.config["MEDIA_DIR"], workers=1)


@pytest.fixture
def inspection(session):
    dept = f.create_department(session, name="运输执法一中队")
    item = f.create_item(session, name="道路普通货物运输经营许可的监督检查", legal_basis="《道路运输条例》第五十九条",
                         methods=["on_site", "document"], checkpoints=("是否取得道路运输经营许可证", "车辆技术档案是否齐全"))
    task = f.create_task(session, items=[item], departments=[dept], code="T20240007", name="2024年普货运输双随机抽查")
    target = f.create_target(session, name="阳城县顺达货物运输有限公司", legal_rep="李建国", address="阳城县凤城镇新阳东街88号")
    inspectors = [f.create_inspector(session, dept, name="张伟", cert_no="14052200001", phone="13900000001"),
                  f.create_inspector(session, dept, name="刘洋", cert_no="14052200002")]
    return f.create_inspection(session, task=task, target=target, inspectors=inspectors, status="submitted",
                               started_at=dt.datetime(2024, 5, 3, 1, 30, tzinfo=dt.timezone.utc),
                               submitted_at=dt.datetime(2024, 5, 3, 2, 45, tzinfo=dt.timezone.utc),
                               result_categories=["02"], methods=["on_site"], follow_ups=["rectify"],
                               summary="车辆技术档案不全，已责令限期整改。")


@pytest.fixture
def office(session):
    return f.create_user(session, role="office")


def member_user(session, inspection):
    return f.create_user(session, role="inspector", inspector_id=inspection.members[0].inspector_id)


def text_of(doc, tmp_path, *args) -> str:
    return samples.squeeze(samples.pdftotext(doc.data, tmp_path, *args))


# --- permissions ------------------------------------------------------------------------------------

def test_staff_and_group_members_get_the_record_others_do_not(session, inspection, office, settings, tmp_path):
    assert render.inspection_record(session, office, inspection.id, settings).data.startswith(b"%PDF")
    member = member_user(session, inspection)
    assert render.inspection_record(session, member, inspection.id, settings).cached is True
    outsider = f.create_user(session, role="inspector")
    with pytest.raises(PermissionDenied, match="您不是该检查的检查组成员，无权查看其文书"):
        render.inspection_record(session, outsider, inspection.id, settings)
    with pytest.raises(Unauthorized, match="请先登录"):
        render.inspection_notice(session, None, inspection.id, settings)
    with pytest.raises(NotFound, match="找不到该检查记录"):
        render.inspection_record(session, office, 999999, settings)


def test_a_replaced_member_no_longer_gets_the_documents(session, inspection, settings):
    user = member_user(session, inspection)
    inspection.members[0].active = False
    session.flush()
    with pytest.raises(PermissionDenied):
        render.inspection_notice(session, user, inspection.id, settings)


def test_withdrawn_inspections_have_no_documents(session, inspection, office, settings):
    inspection.status = "withdrawn"
    session.flush()
    with pytest.raises(Conflict, match="该检查已撤回，不再出具文书"):
        render.inspection_record(session, office, inspection.id, settings)


def test_only_staff_get_task_zips_and_plans(session, inspection, settings):
    member = member_user(session, inspection)
    with pytest.raises(PermissionDenied, match="您没有执行此操作的权限"):
        render.task_zip(session, member, inspection.task_id, "record", settings)
    with pytest.raises(PermissionDenied):
        render.plan_document(session, member, 1, settings)


# --- the content-hash cache -------------------------------------------------------------------------

def test_unchanged_inspection_comes_from_the_cache_and_a_change_gives_a_new_pdf(
        session, inspection, office, settings, monkeypatch):
    first = render.inspection_record(session, office, inspection.id, settings)
    assert first.cached is False
    assert render.cache_path(settings, "record", first.key).read_bytes() == first.data
    renders = []
    monkeypatch.setattr(render.pdf, "render_pdf", lambda *a, **k: renders.append(a) or b"%PDF-new")
    again = render.inspection_record(session, office, inspection.id, settings)
    assert (again.cached, again.key, again.data, renders) == (True, first.key, first.data, [])
    inspection.summary = "补充：已现场整改完毕。"
    session.flush()
    changed = render.inspection_record(session, office, inspection.id, settings)
    assert (changed.cached, changed.data, len(renders)) == (False, b"%PDF-new", 1)
    assert changed.key != first.key


def test_a_replaced_photo_changes_the_key(session, inspection, office, settings, monkeypatch):
    record = {"photos": [{"id": "p1", "sha256": "a" * 64, "taken_at": None}]}
    monkeypatch.setattr(fieldwork_context, "load_record", lambda s, i: record)
    key1 = render.record_job(session, office, inspection.id, settings).key
    record["photos"][0]["sha256"] = "b" * 64
    assert render.record_job(session, office, inspection.id, settings).key != key1


# --- contexts and their text ------------------------------------------------------------------------

def test_record_from_the_models_prints_header_group_and_conclusion(session, inspection, office, settings, tmp_path):
    text = text_of(render.inspection_record(session, office, inspection.id, settings), tmp_path)
    for expected in ["阳城县交通运输局", "现场检查笔录", "T20240007-001", "阳城县顺达货物运输有限公司", inspection.target.uscc,
                     "李建国", "2024年5月3日09时30分至10时45分", "张伟（执法证号：14052200001，运输执法一中队）",
                     "刘洋（执法证号：14052200002", "是否取得道路运输经营许可证", "■发现问题已责令改正", "■实地检查",
                     "车辆技术档案不全，已责令限期整改。", "文书状态：已提交，待审核", "本次检查未发现问题。"]:
        assert expected in text, expected


def test_an_inspection_not_started_prints_a_blank_record(session, inspection, office, settings, tmp_path):
    inspection.status, inspection.started_at, inspection.submitted_at = "assigned", None, None
    inspection.result_categories, inspection.methods, inspection.follow_ups = [], [], []
    session.flush()
    text = text_of(render.inspection_record(session, office, inspection.id, settings), tmp_path)
    assert "空白笔录，可打印后手工填写" in text
    assert "____年__月__日__时__分至____年__月__日__时__分" in text
    assert "■" not in text


def test_the_synced_field_record_fills_answers_findings_party_signatures_and_photos(
        session, inspection, office, settings, monkeypatch, tmp_path):
    media = settings.media_dir
    shas = [samples.photo(media, 1), samples.photo(media, 2)]
    sig = samples.signature(media, 1)
    cps = [cp["id"] for cp in inspection.checklist_snapshot[0]["checkpoints"]]
    record = {
        "started_at": "2024-05-03T01:20:00+00:00",
        "registers": [{"checkpoint_id": cps[0], "answer": "compliant", "note": "", "conflict": False},
                      {"checkpoint_id": cps[1], "answer": "noncompliant", "note": "缺2辆车档案", "conflict": True}],
        "findings": [
            {"id": "f1", "checkpoint_id": cps[1], "description": "旧的描述", "legal_basis": "旧依据",
             "rectification": "", "rectify_by": None, "supersedes": None, "superseded_by": ["f2"]},
            {"id": "f2", "checkpoint_id": cps[1], "description": "2辆营运货车缺少二级维护记录",
             "legal_basis": "《道路运输车辆技术管理规定》第二十条", "rectification": "责令补齐车辆技术档案",
             "rectify_by": "2024-05-18", "supersedes": "f1", "superseded_by": []}],
        "photos": [{"id": "p1", "sha256": shas[0], "finding_id": "f1", "caption": "档案柜", "taken_at":
                    "2024-05-03T01:40:00+00:00", "latitude": 35.4864, "longitude": 112.4157, "accuracy_m": 6.0},
                   {"id": "p2", "sha256": shas[1], "finding_id": None, "caption": "", "taken_at": None,
                    "latitude": None, "longitude": None, "accuracy_m": None}],
        "signatures": [{"id": "s1", "sha256": sig, "signer_role": "party", "signer_name": "王小红",
                        "signed_at": "2024-05-03T02:44:00+00:00"}],
        "party": [{"name": "路人甲", "position": ""}, {"name": "王小红", "position": "安全主管", "phone": "13800001234",
                                                       "id_number": "", "refused_to_sign": False, "note": ""}],
        "result": {"result_categories": ["02"], "methods": ["on_site", "document"], "follow_ups": ["rectify"],
                   "summary": "已责令整改", "submitted_at": "2024-05-03T02:50:00+00:00"},
        "late_evidence": 1,
    }
    monkeypatch.setattr(fieldwork_context, "load_record", lambda s, i: record)
    doc = render.inspection_record(session, office, inspection.id, settings)
    samples.save_pages("record-synced", doc.data)
    text = text_of(doc, tmp_path)
    for expected in ["2024年5月3日09时20分至10时44分", "■符合□不符合□不涉及", "□符合■不符合□不涉及",
                     "缺2辆车档案；组内答案不一致，待审核", "问题1（道路普通货物运输经营许可的监督检查/车辆技术档案是否齐全）",
                     "2辆营运货车缺少二级维护记录", "整改期限至2024年5月18日", "证据照片：见附件照片1",
                     "王小红，安全主管", "现场人员签名：王小红", "照片1（问题1）：档案柜", "GPS：未记录", "拍摄时间：未记录",
                     "本事项检查结果：发现问题已责令改正",
                     f"SHA-256：{shas[0][:12]}", f"SHA-256：{shas[1][:12]}", "■书面检查", "另有1项证据在提交后送达"]:
        assert expected in text, expected
    assert "旧的描述" not in text and "路人甲" not in text and "问题2" not in text
    assert samples.pdftotext(doc.data, tmp_path).count("照片文件尚未上传") == 0


def test_notice_lists_items_methods_inspectors_materials_and_consequences(
        session, inspection, office, settings, tmp_path):
    doc = render.inspection_notice(session, office, inspection.id, settings)
    samples.save_pages("notice", doc.data)
    text = text_of(doc, tmp_path)
    for expected in ["随机抽查告知书", "阳城县顺达货物运输有限公司", "2024年普货运输双随机抽查", "T20240007",
                     "2024年4月1日至2024年10月31日", "一、抽查事项", "道路普通货物运输经营许可的监督检查",
                     "1.是否取得道路运输经营许可证；2.车辆技术档案是否齐全", "《道路运输条例》第五十九条",
                     "检查方式：实地检查、书面检查", "14052200001", "14052200002", "运输执法一中队",
                     "四、需要准备的资料", "道路运输经营许可证", "营业执照（副本）", "不配合检查情节严重",
                     "依法向社会公开", "联系人：张伟联系电话：13900000001", "送达回执", "国办发〔2015〕58号"]:
        assert expected in text, expected


def test_plan_for_filing_lists_tasks_ratios_and_versions(session, inspection, office, settings, tmp_path):
    plan = Plan(code="140522202401", year=2024, name="阳城县交通运输局2024年度双随机抽查工作计划", status="published",
                current_version=2)
    plan.versions = [PlanVersion(version=1, status="superseded", content={}),
                     PlanVersion(version=2, status="published", content={}, reason="增加客运站抽查任务",
                                 approved_at=dt.datetime(2024, 6, 1, 2, tzinfo=dt.timezone.utc))]
    session.add(plan)
    session.flush()
    inspection.task.plan_id = plan.id
    session.flush()
    session.expire(plan)
    doc = render.plan_document(session, office, plan.id, settings)
    samples.save_pages("plan", doc.data)
    text = text_of(doc, tmp_path, "-raw")  # table cells in drawing order
    for expected in ["2024年度“双随机、一公开”抽查工作计划", "140522202401（第2版）", "2024年普货运输双随机抽查",
                     "T20240007", "低风险3%", "一般风险5%", "较高风险20%", "高风险50%", "增加客运站抽查任务", "第1版",
                     "首次制定", "2024年6月1日", "备案回执"]:
        assert expected in text, expected
    assert "第2版.pdf" in doc.filename
    with pytest.raises(NotFound, match="该计划没有第 7 版"):
        render.plan_document(session, office, plan.id, settings, version=7)


# --- the field record merge, without a database -----------------------------------------------------

def test_fill_from_record_keeps_the_context_when_nothing_was_synced():
    ctx = {"time": {"start": None, "end": None}, "findings": [], "photos": []}
    fieldwork_context.fill_from_record(ctx, {})
    assert ctx == {"time": {"start": None, "end": None}, "findings": [], "photos": []}


def test_a_refusal_to_sign_is_printed():
    party = fieldwork_context._party([{"name": "王小红", "refused_to_sign": True, "note": ""}])
    assert party["refusal_note"] == "现场人员拒绝签名"


# --- office downloads -------------------------------------------------------------------------------

def test_office_download_is_an_inline_pdf_with_a_chinese_name_and_an_etag(app, session, inspection, office, login):
    session.commit()
    client = login(office)
    resp = client.get(f"/office/inspections/{inspection.id}/record.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("inline") and "filename*=UTF-8''%E7%8E%B0%E5%9C%BA" in disposition  # 现场…
    assert resp.headers["Cache-Control"] == "private, no-cache"
    again = client.get(f"/office/inspections/{inspection.id}/record.pdf", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    notice = client.get(f"/office/inspections/{inspection.id}/notice.pdf")
    assert notice.status_code == 200 and notice.data.startswith(b"%PDF")


def test_office_download_refuses_outsiders_and_anonymous_users(app, session, inspection, login):
    outsider = f.create_user(session, role="inspector")
    session.commit()
    anonymous = app.test_client().get(f"/office/inspections/{inspection.id}/record.pdf")
    assert anonymous.status_code == 302 and "/office/login" in anonymous.headers["Location"]
    client = login(outsider, c=app.test_client())
    resp = client.get(f"/office/inspections/{inspection.id}/record.pdf")
    assert resp.status_code == 403
    assert "您不是该检查的检查组成员，无权查看其文书" in resp.get_data(as_text=True)
    assert client.get("/office/inspections/999999/notice.pdf").status_code == 404
    assert client.get(f"/office/tasks/{inspection.task_id}/records.zip").status_code == 403


def test_task_zip_holds_every_record_and_an_index(app, session, inspection, office, login, tmp_path):
    for n in range(2):
        f.create_inspection(session, task=inspection.task, target=f.create_target(session, name=f"阳城县第{n}运输公司"))
    session.commit()
    resp = login(office).get(f"/office/tasks/{inspection.task_id}/records.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    pdfs = sorted(n for n in zf.namelist() if n.endswith(".pdf"))
    assert [p.split("_")[1] for p in pdfs] == ["T20240007-001", "T20240007-002", "T20240007-003"]
    assert all(zf.read(p).startswith(b"%PDF") for p in pdfs)
    index = list(csv.reader(io.StringIO(zf.read("现场检查笔录目录.csv").decode("utf-8-sig"))))
    assert index[0][:3] == ["文件名", "文书编号", "检查对象"]
    assert {row[2] for row in index[1:]} == {"阳城县顺达货物运输有限公司", "阳城县第0运输公司", "阳城县第1运输公司"}
    assert "空白" in samples.squeeze(samples.pdftotext(zf.read(pdfs[1]), tmp_path))


def test_task_zip_renders_with_a_process_pool_and_then_reads_the_cache(session, inspection, office, settings):
    for n in range(4):
        f.create_inspection(session, task=inspection.task, target=f.create_target(session))
    pooled = render.Settings(settings.bureau, settings.cache_dir, settings.media_dir, workers=2)
    first = render.task_zip(session, office, inspection.task_id, "notice", pooled)
    jobs = [render.notice_job(session, office, i.id, pooled) for i in _task_inspections(session, inspection.task_id)]
    assert len(jobs) == 5
    assert all(render.cache_path(pooled, "notice", j.key).is_file() for j in jobs)
    again = render.task_zip(session, office, inspection.task_id, "notice", pooled)
    assert zipfile.ZipFile(io.BytesIO(again.data)).namelist() == zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert again.key == first.key


def _task_inspections(session, task_id):
    from sqlalchemy import select

    from server.models.inspections import Inspection
    return session.scalars(select(Inspection).where(Inspection.task_id == task_id)).all()


def test_a_task_without_inspections_has_no_zip(session, office, settings):
    task = f.create_task(session)
    with pytest.raises(Conflict, match="该任务还没有检查对象（尚未抽取），没有可下载的文书"):
        render.task_zip(session, office, task.id, "record", settings)


def test_documents_pages_list_tasks_and_inspectors_see_only_their_own(app, session, inspection, office, login):
    other = f.create_inspection(session, task=f.create_task(session, name="另一个抽查任务"))
    member = member_user(session, inspection)
    session.commit()
    page = login(office).get("/office/documents").get_data(as_text=True)
    assert "2024年普货运输双随机抽查" in page and "另一个抽查任务" in page
    mine = login(member, c=app.test_client())
    page = mine.get("/office/documents").get_data(as_text=True)
    assert "2024年普货运输双随机抽查" in page and "另一个抽查任务" not in page and "批量 zip" not in page
    detail = mine.get(f"/office/tasks/{inspection.task_id}/documents").get_data(as_text=True)
    assert "阳城县顺达货物运输有限公司" in detail and f"/office/inspections/{inspection.id}/record.pdf" in detail
    assert mine.get(f"/office/tasks/{other.task_id}/documents").status_code == 403


def test_documents_page_pages_tasks_newest_first(app, session, inspection, office, login):
    later = f.create_inspection(session, task=f.create_task(session, name="下半年抽查任务",
                                                            period_start=inspection.task.period_start
                                                            + dt.timedelta(days=180)))
    session.commit()
    app.config["PAGE_SIZE"] = 1
    client = login(office)
    first = client.get("/office/documents").get_data(as_text=True)
    assert later.task.name in first and inspection.task.name not in first
    assert "第 1 / 2 页，共 2 个任务" in first and 'href="/office/documents?page=2">下一页</a>' in first
    last = client.get("/office/documents?page=7").get_data(as_text=True)
    assert inspection.task.name in last and "第 2 / 2 页，共 2 个任务" in last and "下一页" not in last
    outsider = login(f.create_user(session, role="inspector"), c=app.test_client())
    assert "还没有可打印文书的任务" in outsider.get("/office/documents").get_data(as_text=True)


def test_document_pages_escape_names(app, session, inspection, office, login):
    inspection.target_snapshot = dict(inspection.target_snapshot, name='<script>alert(1)</script>顺达')
    inspection.task.name = "<img src=x onerror=alert(1)>任务"
    session.commit()
    client = login(office)
    for url in ("/office/documents", f"/office/tasks/{inspection.task_id}/documents"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;顺达" in page


# --- the phone's download, after a real sync --------------------------------------------------------

def test_the_inspector_downloads_the_record_of_a_synced_inspection(app, session, inspection, tmp_path):
    inspection.status, inspection.started_at, inspection.submitted_at = "assigned", None, None
    member = member_user(session, inspection)
    outsider = f.create_user(session, role="inspector")
    session.commit()
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": member.username, "password": "password123",
                                                    "device_name": "测试手机"}).get_json()["token"]
    url = f"/api/v1/inspections/{inspection.id}/record.pdf"
    early = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert early.status_code == 409 and early.get_json()["code"] == "not_synced"
    assert early.get_json()["message"] == "该检查尚未同步任何现场记录，请先在手机上完成同步后再下载笔录"
    photos = samples.sync_a_whole_inspection(client, inspection, token, str(tmp_path / "m"))
    resp = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    samples.save_pages("record-api", resp.data)
    text = samples.squeeze(samples.pdftotext(resp.data, tmp_path))
    for expected in ["文书状态：已提交，待审核", "□符合■不符合□不涉及", "2辆营运货车缺少二级维护记录<script>",
                     "整改要求：限期补齐，整改期限至2024年5月18日", "证据照片：见附件照片1、2", "赵志强，经理",
                     "现场人员签名：赵志强", "执法人员：张伟", "证据已全部上传", "■发现问题已责令改正", "已责令改正"]:
        assert expected in text, expected
    for sha in photos:
        assert f"SHA-256：{sha[:12]}" in text
    pdf_path = tmp_path / "api.pdf"
    pdf_path.write_bytes(resp.data)
    import subprocess
    images = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, check=True).stdout.decode()
    jpegs = [line.split() for line in images.splitlines() if " jpeg " in line]
    assert len(jpegs) == 4  # the four photos, as print copies of the stored 1600×1200 originals
    assert all((row[3], row[4]) == ("1000", "750") for row in jpegs), jpegs
    _same_record_as_the_sync_area_reads_it(session, inspection)
    cached = client.get(url, headers={"Authorization": f"Bearer {token}", "If-None-Match": resp.headers["ETag"]})
    assert cached.status_code == 304
    other = client.post("/api/v1/auth/token", json={"username": outsider.username, "password": "password123",
                                                    "device_name": "另一部手机"}).get_json()["token"]
    refused = client.get(url, headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.get_json()["message"] == "您不是该检查的检查组成员，无权查看其文书"
    assert client.get(url).status_code == 401


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


def _same_record_as_the_sync_area_reads_it(session, inspection):
    """fieldwork_context reads rows without the ORM; it must agree with the sync area's bundle record."""
    from server.services.fieldwork import bundles, records
    session.expire_all()
    rec = records.load(session, [inspection.id])[inspection.id]
    theirs = bundles.record_state(inspection, rec, {})
    ours = fieldwork_context.load_record(session, inspection)
    for key, fields in {"registers": ("checkpoint_id", "answer", "note", "conflict"),
                        "findings": ("id", "checkpoint_id", "description", "legal_basis", "rectification", "rectify_by",
                                     "supersedes", "superseded_by"),
                        "photos": ("id", "sha256", "finding_id", "caption", "taken_at", "latitude", "longitude",
                                   "accuracy_m", "held"),
                        "signatures": ("sha256", "signer_role", "signer_name", "signed_at", "held"),
                        "party": ("name", "position", "id_number", "phone", "refused_to_sign", "note")}.items():
        assert [{k: r[k] for k in fields} for r in ours[key]] == [{k: r[k] for k in fields} for r in theirs[key]], key
        assert ours[key], key
    assert (ours["started_at"], ours["result"], ours["late_evidence"]) == \
        (theirs["started_at"], theirs["result"], theirs["late_evidence"])


def test_the_dashboard_shows_the_documents_panel(app, session, inspection, office, login):
    f.create_inspection(session, task=inspection.task, target=f.create_target(session), status="approved")
    session.commit()
    page = login(office).get("/office/").get_data(as_text=True)
    assert "文书打印" in page and "已提交待审核的笔录" in page and "/office/documents" in page
    panel = render.dashboard_panel(session, office)
    assert [row[1] for row in panel["rows"]] == [1, 0, 1, 1]
    member = member_user(session, inspection)
    assert [row[1] for row in render.dashboard_panel(session, member)["rows"]] == [1, 0, 1, 0]


# --- pruning the cache ------------------------------------------------------------------------------

def test_prune_removes_only_documents_unused_for_the_given_days(app, session, inspection, office, settings):
    import os
    import time
    old = render.inspection_record(session, office, inspection.id, settings)
    fresh = render.inspection_notice(session, office, inspection.id, settings)
    old_path = render.cache_path(settings, "record", old.key)
    fresh_path = render.cache_path(settings, "notice", fresh.key)
    month_ago = time.time() - 31 * 86400
    os.utime(old_path, (month_ago, month_ago))
    os.utime(fresh_path, (month_ago, month_ago))
    assert render.inspection_notice(session, office, inspection.id, settings).cached  # a download marks it used
    result = app.test_cli_runner().invoke(args=["prune-pdf-cache", "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("已删除 1 个缓存文件")
    assert not old_path.exists() and fresh_path.exists()
    assert render.inspection_record(session, office, inspection.id, settings).cached is False  # made again
    refused = app.test_cli_runner().invoke(args=["prune-pdf-cache", "--older-than-days", "0"])
    assert refused.exit_code != 0 and "保留天数至少为 1 天" in refused.output

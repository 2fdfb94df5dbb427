"""Downloading documents: the office's PDFs and task zips, the documents pages, and the phone's download after a real sync."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from server.errors import Conflict
from server.services.documents import fieldwork_context, render
from tests import factories as f
from tests.server import document_samples as samples

from tests.server.documents.conftest import member_user


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

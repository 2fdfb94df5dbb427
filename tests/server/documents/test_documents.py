"""Documents from the database: permissions, contexts and their text, the content-hash cache, pruning."""
from __future__ import annotations

import datetime as dt

import pytest

from server.errors import Conflict, NotFound, PermissionDenied, Unauthorized
from server.models.planning import Plan, PlanVersion
from server.services.documents import fieldwork_context, render
from tests import factories as f
from tests.server import document_samples as samples

from tests.server.documents.conftest import member_user, text_of


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

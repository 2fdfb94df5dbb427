"""Fixtures shared by the document tests: an inspection with its task, target and group, and a settings object."""
from __future__ import annotations

import datetime as dt

import pytest

from server.services.documents import render
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

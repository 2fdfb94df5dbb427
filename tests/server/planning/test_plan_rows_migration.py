"""Existing plans' free-text rows migrate to rows that name registry records; what matches nothing stays."""
from __future__ import annotations

import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from server import create_app
from server.extensions import db

BEFORE = "bd645d6d6559"
LEGACY = [
    {"name": "出租汽车联合抽查", "task_type": "不定向", "items": "JT007、巡游出租汽车经营服务",
     "departments": "交通运输综合行政执法队（牵头）、县市场监督管理局（配合）", "period": "4—10月",
     "scope": "全部巡游出租汽车经营者", "ratio": "5%", "note": ""},
    {"name": "驾培专项", "task_type": "专项", "items": "JT006、驾校收费检查", "departments": "县交警大队（配合）",
     "period": "全年", "scope": "", "ratio": "10%", "note": "重点"},
    {"name": "跨年抽查", "task_type": "定向", "items": "", "departments": "", "period": "11月至次年1月"},
]


def _url(request, tmp_path, backend):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/legacy.db"
    return request.getfixturevalue("pg_cluster").create_database("spotcheck_plan_rows")


def _seed(conn):
    conn.execute(text("INSERT INTO departments (id, code, name, is_active, created_at) VALUES "
                      "(1, 'ZFD', '交通运输综合行政执法队', true, CURRENT_TIMESTAMP), "
                      "(2, 'SCJ', '县市场监督管理局', true, CURRENT_TIMESTAMP)"))
    conn.execute(text("INSERT INTO inspection_items (id, code, name, kind, legal_basis, methods, target_categories, "
                      "qualification_tags, status, version, note, created_at, updated_at) VALUES "
                      "(7, 'JT007', '巡游出租汽车经营服务', 'general', '', '[]', '[]', '[]', 'published', 1, '', "
                      "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
                      "(6, 'JT006', '机动车驾驶员培训', 'general', '', '[]', '[]', '[]', 'published', 1, '', "
                      "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    conn.execute(text("INSERT INTO plans (id, code, year, name, status, current_version, created_at) "
                      "VALUES (1, 'JH202401', 2024, '计划', 'adjusting', 2, CURRENT_TIMESTAMP)"))
    for version, rows in ((1, LEGACY[:2]), (2, LEGACY)):
        conn.execute(text("INSERT INTO plan_versions (plan_id, version, status, content, reason, created_at) "
                          "VALUES (1, :v, 'draft', :c, '', CURRENT_TIMESTAMP)"),
                     {"v": version, "c": json.dumps({"description": "", "entries": rows}, ensure_ascii=False)})


def _content(conn, version):
    raw = conn.execute(text("SELECT content FROM plan_versions WHERE version = :v"), {"v": version}).scalar()
    return json.loads(raw) if isinstance(raw, str) else raw


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_free_text_rows_migrate_to_registry_ids_keeping_what_matches_nothing(request, tmp_path, backend):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": _url(request, tmp_path, backend)})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _seed(conn)
        upgrade()
        with db.engine.connect() as conn:
            taxi, school, late = _content(conn, 2)["entries"]
            old_taxi, old_school = _content(conn, 1)["entries"]
        assert (taxi["key"], school["key"], late["key"]) == ("R1", "R2", "R3")
        assert (old_taxi["key"], old_school["key"]) == ("R1", "R2")  # the same row keeps its key in each version
        assert taxi["item_ids"] == [7] and taxi["department_ids"] == [1, 2] and taxi["task_type"] == "undirected"
        assert (taxi["period_start"], taxi["period_end"]) == ("2024-04-01", "2024-10-31") and "unmatched" not in taxi
        assert school["item_ids"] == [6] and school["department_ids"] == []
        assert school["unmatched"] == {"task_type": "专项", "items": "驾校收费检查", "departments": "县交警大队（配合）",
                                       "period": "全年"}
        assert (school["ratio"], school["note"]) == ("10%", "重点")
        assert (late["period_start"], late["period_end"]) == ("2024-11-01", "2025-01-31")
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            restored = _content(conn, 2)["entries"]
        db.engine.dispose()
    assert restored[0]["items"] == "JT007 巡游出租汽车经营服务"
    assert restored[0]["departments"] == "交通运输综合行政执法队（牵头）、县市场监督管理局"
    assert restored[1]["items"] == "JT006 机动车驾驶员培训、驾校收费检查" and restored[1]["period"] == "全年"

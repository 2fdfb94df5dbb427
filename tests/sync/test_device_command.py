"""`spotcheck device play` against a real server, and `spotcheck device verify-receipt`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from server.commands.device import play_command
from server.services.fieldwork import receipts
from tests.sync.live_server import LiveServer, prepare_database
from tests.sync.scenario import one_inspection


@pytest.mark.slow
def test_play_records_a_whole_inspection_and_sees_the_complete_receipt(tmp_path):
    url, media = f"sqlite:///{tmp_path / 'live.db'}", str(tmp_path / "media")
    prepare_database(url, media, one_inspection)
    server = LiveServer(url, media)
    server.start()
    try:
        result = CliRunner().invoke(play_command, ["--url", server.base_url, "--username", "wangjg", "--password",
                                                   "password123", "--photos", "2",
                                                   "--outbox", str(tmp_path / "outbox.sqlite")])
        assert result.exit_code == 0, result.output
        assert "证据已全部上传" in result.output and "检查 #1" in result.output
        again = CliRunner().invoke(play_command, ["--url", server.base_url, "--username", "wangjg",
                                                  "--password", "password123", "--inspection", "2"])
        assert again.exit_code == 1 and "没有编号为 2 的检查任务" in again.output
        bad = CliRunner().invoke(play_command, ["--url", server.base_url, "--username", "wangjg",
                                                "--password", "wrong"])
        assert bad.exit_code == 1 and "用户名或密码错误" in bad.output
    finally:
        server.stop()
    engine = create_engine(url)
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM inspections WHERE id = 1")).scalar()
        files = conn.execute(text("SELECT count(*) FROM media_files")).scalar()
    engine.dispose()
    assert status == "submitted" and files == 2 + 3  # two photos, the party's and both inspectors' signatures


def test_verify_receipt_accepts_the_original_and_refuses_an_edit(app, tmp_path):
    body = {"receipt_version": 1, "inspection_id": 1, "server_time": "2024-05-06T01:00:00+00:00",
            "evidence": [{"kind": "photo", "id": "x", "sha256": "a" * 64, "held": True, "bytes": 10}],
            "missing": [], "complete": True, "key_id": receipts.key_id(app.config["SECRET_KEY"])}
    body["signature"] = receipts.sign(body, app.config["SECRET_KEY"])
    good, edited = tmp_path / "good.json", tmp_path / "edited.json"
    good.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    edited.write_text(json.dumps({**body, "complete": False}), "utf-8")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["device", "verify-receipt", str(good)])
    assert ok.exit_code == 0 and "回执签名有效" in ok.output
    bad = runner.invoke(args=["device", "verify-receipt", str(edited)])
    assert bad.exit_code == 1 and "回执内容在签发后被改动过" in bad.output

"""`spotcheck verify-draw` and draw.checks.verify: a record that checks out fails once any field is altered."""
from __future__ import annotations

import copy
import json

import pytest

from server.services.draw import checks, records
from tests.server import drawkit


@pytest.fixture
def record(session):
    """A real sealed record: a joint task with a recusal, drawn through the service."""
    from server.models.registry import Recusal
    kit = drawkit.setup(session, targets_per_level=(6, 4, 3, 2), departments=2, inspectors_per_dept=3,
                        ratios={"low": "0.5", "general": "0.5", "higher": "1", "high": "1"})
    session.add(Recusal(inspector_id=kit.inspectors[0].id, target_uscc=kit.targets[-1].uscc, reason="亲属"))
    session.flush()
    d = drawkit.drawn(session, kit.office, kit.task.id, "监督人：李四（企业代表）")
    return copy.deepcopy(d.record)


def leaves(obj, path=()):
    """Every (path, value) of the scalars inside a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, path + (i,))
    else:
        yield path, obj


def altered(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "x"
    if isinstance(value, str):
        return value[:-1] + ("0" if value[-1:] != "0" else "1") if value else "x"
    raise AssertionError(value)


def set_path(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def accepted(rec) -> bool:
    try:
        loaded = records.load(json.dumps(rec, ensure_ascii=False))
    except records.RecordError:
        return False
    return checks.verify(loaded) == []


def test_a_record_verifies_and_fails_once_any_field_is_altered(record):
    assert accepted(record)
    paths = list(leaves(record))
    assert len(paths) > 60
    for path, value in paths:
        rec = copy.deepcopy(record)
        set_path(rec, path, altered(value))
        assert not accepted(rec), f"altering {path} went unnoticed"


@pytest.mark.parametrize("path, value, message", [
    (("server_seed",), "00" * 32, "承诺值（sha256(服务器种子)）不一致"),
    (("witness_entropy",), "别的字符串", "抽取种子不一致"),
    (("task", "ratios", "low"), "0.1", "风险等级“低”的抽取比例不一致"),
    (("task", "group_size"), 3, "第 1 个检查组不一致"),
])
def test_a_forger_who_reseals_the_record_is_still_caught(record, path, value, message):
    rec = copy.deepcopy(record)
    set_path(rec, path, value)
    rec["record_sha256"] = records.seal(rec)
    problems = checks.verify(rec)
    assert problems and any(message in p for p in problems), problems


def test_a_hidden_recusal_changes_the_groups(record):
    rec = copy.deepcopy(record)
    first = rec["assignments"][0]
    rec["recusals"].append({"cert_no": first["inspectors"][0]["cert_no"], "uscc": first["uscc"]})
    rec["record_sha256"] = records.seal(rec)
    assert any(p.startswith(f"第 1 个检查组不一致：记录为 对象 {first['uscc']}") for p in checks.verify(rec))


def test_a_swapped_selection_is_named_by_position(record):
    rec = copy.deepcopy(record)
    first, second = rec["selections"][0], rec["selections"][1]
    rec["selections"][0], rec["selections"][1] = second, first
    rec["record_sha256"] = records.seal(rec)
    problems = checks.verify(rec)
    assert problems[0] == (f"第 1 个抽中对象不一致：记录为 {second['uscc']}（风险等级 "
                           f"{records.STRATUM_LABELS[second['stratum']]}，得分 {second['score']}），重算为 "
                           f"{first['uscc']}（风险等级 {records.STRATUM_LABELS[first['stratum']]}，得分 "
                           f"{first['score']}）")


def test_a_dropped_listing_line_changes_the_hash(record):
    rec = copy.deepcopy(record)
    rec["population_listing"] = "".join(rec["population_listing"].splitlines(keepends=True)[1:])
    rec["record_sha256"] = records.seal(rec)
    problems = checks.verify(rec)
    assert any(p.startswith("检查对象名单的哈希不一致") for p in problems)
    assert any(p.startswith("检查对象总数不一致：记录为 15，重算为 14") for p in problems)


# --- the command ------------------------------------------------------------------------------------------

def run(app, tmp_path, content: bytes | str):
    path = tmp_path / "record.json"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return app.test_cli_runner().invoke(args=["verify-draw", str(path)])


def test_command_accepts_a_good_record(app, tmp_path, record):
    result = run(app, tmp_path, json.dumps(record, ensure_ascii=False, indent=2))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"验证通过：任务 {record['task']['code']}")
    assert f"检查对象 15 个，抽中 {len(record['selections'])} 个" in result.stdout


def test_command_lists_each_difference_and_exits_1(app, tmp_path, record):
    record["selections"][2]["uscc"] = "91140522000000000X"
    result = run(app, tmp_path, json.dumps(record, ensure_ascii=False))
    assert result.exit_code == 1
    assert "第 3 个抽中对象不一致：记录为 91140522000000000X" in result.stdout
    assert "记录摘要 record_sha256 不一致" in result.stdout
    assert "验证失败" in result.stderr


@pytest.mark.parametrize("content, message", [
    (None, "无法验证：文件不是有效的 JSON（可能下载不完整或已损坏）"),
    ("这不是 JSON", "无法验证：文件不是有效的 JSON（可能下载不完整或已损坏）：第 1 行第 1 列附近出错"),
    ("", "无法验证：文件是空的，不是抽取记录"),
    (b"\xff\xfe\x00", "无法验证：文件不是 UTF-8 编码的文本"),
    ("[1, 2]", "无法验证：文件不是抽取记录：顶层应为 JSON 对象"),
    ('{"algorithm": "spotcheck-draw-v1"}', "无法验证：文件不是完整的抽取记录：缺少字段"),
])
def test_command_refuses_a_truncated_or_non_json_file_with_status_2(app, tmp_path, record, content, message):
    if content is None:  # truncated in the middle, as an interrupted download would be
        text = json.dumps(record, ensure_ascii=False)
        content = text[: len(text) // 2]
    result = run(app, tmp_path, content)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(message), result.stderr


def test_command_says_an_unrevealed_record_cannot_be_checked_yet(app, tmp_path, record):
    result = run(app, tmp_path, json.dumps(records.public_view(record, revealed=False), ensure_ascii=False))
    assert result.exit_code == 2
    assert "服务器种子尚未公开" in result.stderr


def test_command_reports_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["verify-draw", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "无法读取文件" in result.stderr


# --- the public portal ------------------------------------------------------------------------------------

def _public_task(session, *, at_once: bool):
    import datetime as dt
    kit = drawkit.setup(session, targets_per_level=(3, 3, 3, 3), reveal_seed_at_once=at_once,
                        period_start=dt.date(2029, 4, 1), period_end=dt.date(2029, 10, 31),
                        ratios={"low": "0.5", "general": "0.5", "higher": "0.5", "high": "0.5"})
    for i in kit.inspectors:
        i.phone = "13900001111"
    for t in kit.targets:
        t.contact_phone = "13800002222"
    made = drawkit.drawn(session, kit.office, kit.task.id, "公开见证")
    session.commit()
    return kit, made


def test_before_the_reveal_the_portal_shows_the_commitment_but_no_seed_or_results(client, session):
    kit, made = _public_task(session, at_once=False)
    listing = client.get("/public/tasks").get_data(as_text=True)
    assert kit.task.commitment in listing and "未公开" in listing
    page = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert kit.task.commitment in page and made.record["population_hash"] in page and made.record_sha256 in page
    assert kit.task.server_seed_hex not in page and made.record["selections"][0]["uscc"] not in page
    assert "任务结束（2029-10-31）后公开" in page
    assert client.get(f"/public/tasks/{kit.task.code}/draws/{made.id}.json").status_code == 404


def test_after_the_reveal_the_portal_publishes_a_record_that_verifies(client, session):
    kit, made = _public_task(session, at_once=True)
    page = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert kit.task.server_seed_hex in page and made.record["draw_seed"] in page
    assert ("本页已按公开记录重新计算（算法 spotcheck-draw-v2）：抽中对象与检查组与记录一致，抽取所用的名单与封存时公开的一致，"
            "封存早于监督人输入" in page)
    first = made.record["assignments"][0]["inspectors"][0]
    assert f"{first['name']}（{first['cert_no']}）" in page
    assert "13900001111" not in page and "13800002222" not in page  # no phone numbers
    assert "如何自己核对" in page
    resp = client.get(f"/public/tasks/{kit.task.code}/draws/{made.id}.json")
    record = records.load(resp.data)
    assert checks.verify(record) == [] and record["server_seed"] == kit.task.server_seed_hex
    listing = client.get(f"/public/tasks/{kit.task.code}/draws/{made.id}/listing.txt").data
    assert __import__("hashlib").sha256(listing).hexdigest() == record["population_hash"]


def test_a_tampered_record_is_flagged_on_the_public_page(client, session):
    kit, made = _public_task(session, at_once=True)
    record = copy.deepcopy(made.record)
    record["selections"][0]["score"] = "0" * 64
    made.record = record  # someone edited the stored record behind the system's back
    session.commit()
    page = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert "本页按公开记录重新计算（算法 spotcheck-draw-v2），发现不一致" in page and "第 1 个抽中对象不一致" in page


def test_draft_tasks_are_not_public(client, session):
    kit = drawkit.setup(session, publish=False)
    session.commit()
    assert client.get(f"/public/tasks/{kit.task.code}").status_code == 404
    assert kit.task.code not in client.get("/public/tasks").get_data(as_text=True)


def test_draw_method_page_explains_the_algorithm_with_a_worked_example_that_verifies(client, session):
    from server.services.draw.example import worked_example
    page = client.get("/public/draw-method").get_data(as_text=True)
    example = worked_example()["record"]
    assert "抽取方法说明（算法 spotcheck-draw-v2）" in page
    assert example["draw_seed"] in page and example["selections"][0]["score"] in page
    assert "⌈100 × 0.07⌉ = 7" in page and "风险等级的确定" in page and "AA → 低" in page
    assert checks.verify(example) == []

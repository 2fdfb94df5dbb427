"""Verifying records by the algorithm they name: v1 records still verify; a v2 record is checked against its
seal and against what the task page published; each forgery is named in Chinese."""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from server.services.draw import checks, records, sealing
from tests.server import drawkit

V1_RECORD = Path(__file__).with_name("data") / "record_v1.json"  # made by the v1 code, before v2 existed


@pytest.fixture
def record(session):
    """A sealed v2 record: two departments, one recusal touching the draw and some that do not."""
    from server.models.registry import Recusal
    kit = drawkit.setup(session, targets_per_level=(6, 4, 3, 2), departments=2, inspectors_per_dept=3,
                        ratios={"low": "0.5", "general": "0.5", "higher": "1", "high": "1"})
    session.add(Recusal(inspector_id=kit.inspectors[0].id, target_uscc=kit.targets[-1].uscc, reason="亲属"))
    for t in kit.targets[:6]:
        session.add(Recusal(inspector_id=kit.inspectors[4].id, target_uscc=t.uscc, reason="曾在该企业任职"))
    session.flush()
    d = drawkit.drawn(session, kit.office, kit.task.id, "监督人：李四（企业代表）")
    return copy.deepcopy(d.record)


def resealed(rec: dict) -> dict:
    rec["record_sha256"] = records.seal(rec)
    return rec


def cli(app, tmp_path, rec, *options):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    return app.test_cli_runner().invoke(args=["verify-draw", str(path), *options])


def test_the_record_publishes_only_the_recusals_touching_the_draw_and_never_a_reason(record):
    selected = {s["uscc"] for s in record["selections"]}
    assert record["recusals"] and record["recusals_other"]
    assert all(r["uscc"] in selected and set(r) == {"cert_no", "uscc", "nonce"} for r in record["recusals"])
    assert all(r["uscc"] not in selected and set(r) == {"uscc", "digest"} for r in record["recusals_other"])
    assert record["seal"]["recusals_count"] == 7 == len(record["recusals"]) + len(record["recusals_other"])
    text = json.dumps(record, ensure_ascii=False)
    assert "亲属" not in text and "曾在该企业任职" not in text
    assert checks.verify(record) == []


def test_a_v1_record_made_before_v2_still_verifies_and_its_algorithm_is_named(app, tmp_path):
    rec = records.load(V1_RECORD.read_bytes())
    assert rec["algorithm"] == "spotcheck-draw-v1" and checks.verify(rec) == []
    result = cli(app, tmp_path, rec, "--commitment", rec["commitment"], "--record-sha256", rec["record_sha256"])
    assert result.exit_code == 0, result.output
    assert "（算法 spotcheck-draw-v1；检查对象 40 个" in result.stdout
    assert f"记录摘要：{rec['record_sha256']}（与公开的一致）" in result.stdout
    rec["assignments"][0]["inspectors"][0]["cert_no"] = rec["assignments"][1]["inspectors"][0]["cert_no"]
    assert any(p.startswith("第 1 个检查组不一致") for p in checks.verify(resealed(rec)))
    result = cli(app, tmp_path, rec, "--seal-sha256", "ab" * 32)
    assert result.exit_code == 1 and "该记录使用 spotcheck-draw-v1，没有封存摘要" in result.stdout


def test_an_unknown_algorithm_is_named_and_nothing_is_checked(app, tmp_path, record):
    record["algorithm"] = "spotcheck-draw-v9"
    with pytest.raises(records.RecordError, match="不支持的抽取算法“spotcheck-draw-v9”：本工具能验证的算法为 "
                                                  "spotcheck-draw-v1、spotcheck-draw-v2"):
        records.load(json.dumps(record, ensure_ascii=False))
    result = cli(app, tmp_path, record)
    assert result.exit_code == 2 and result.stderr.startswith("无法验证：不支持的抽取算法“spotcheck-draw-v9”")
    assert checks.verify(record)[0].startswith("无法按记录重新计算：不支持的抽取算法")


def test_reordered_groups_are_named_as_such(record):
    rec = copy.deepcopy(record)
    rec["assignments"][0], rec["assignments"][1] = rec["assignments"][1], rec["assignments"][0]
    problems = checks.verify(resealed(rec))
    assert problems[0] == "检查组的顺序与重新计算的不一致：各检查组本身相同，但应按抽中顺序（得分从小到大）排列"
    assert problems[1].startswith(f"第 1 个检查组不一致：记录为 对象 {record['assignments'][1]['uscc']}")


def test_members_swapped_between_groups_are_named_by_position(record):
    rec = copy.deepcopy(record)
    a = rec["assignments"][0]["inspectors"]
    # the seed is random: swap with the first later group whose second member differs, else nothing changes
    other = next(i for i, g in enumerate(rec["assignments"][1:], 1) if g["inspectors"][1] != a[1])
    b = rec["assignments"][other]["inspectors"]
    a[1], b[1] = b[1], a[1]
    problems = checks.verify(resealed(rec))
    assert any(p.startswith("第 1 个检查组不一致") for p in problems)
    assert any(p.startswith(f"第 {other + 1} 个检查组不一致") for p in problems)
    assert not any(p.startswith("检查组的顺序") for p in problems)


def test_a_forger_who_changes_a_ratio_but_not_n_k_is_caught_by_the_published_digest(app, tmp_path, record):
    rec = copy.deepcopy(record)
    rec["task"]["ratios"]["low"] = "0.45"  # ceil(6 × 0.45) = ceil(6 × 0.5) = 3
    rec["strata"][0]["ratio"] = "0.45"
    resealed(rec)
    assert checks.verify(rec) == []  # consistent in itself …
    assert checks.verify(rec, {"record_sha256": record["record_sha256"]}) == [
        f"记录摘要与公开的不一致：公开为 {record['record_sha256']}，记录中为 {rec['record_sha256']}（这不是公开的那次抽取的"
        f"记录，或记录已被改动）"]  # … but not the record the task page published
    result = cli(app, tmp_path, rec)
    assert result.exit_code == 0 and "请与任务页面公开的记录摘要逐字核对，或用 --record-sha256 给出" in result.stdout
    result = cli(app, tmp_path, rec, "--record-sha256", record["record_sha256"].upper())
    assert result.exit_code == 1 and "记录摘要与公开的不一致" in result.stdout


def test_a_target_left_out_after_the_seal_is_caught(app, tmp_path, record):
    rec = copy.deepcopy(record)
    unselected = next(line for line in rec["population_listing"].splitlines()
                      if line.split("\t")[0] not in {s["uscc"] for s in rec["selections"]})
    rec["population_listing"] = rec["population_listing"].replace(unselected + "\n", "")
    rec["population_hash"] = sealing.sha256_hex(rec["population_listing"])
    rec["population_size"] -= 1
    problems = checks.verify(resealed(rec))
    assert f"封存时的检查对象名单哈希与抽取所用的不一致：封存为 {record['population_hash']}，抽取所用为 " \
           f"{rec['population_hash']}" in problems
    # a forger who rewrites the seal too is caught by the seal digest the task page showed before the draw
    stratum = unselected.split("\t")[1]
    next(s for s in rec["strata"] if s["stratum"] == stratum)["population"] -= 1
    rec["seal"].update(population_hash=rec["population_hash"], population_size=rec["population_size"])
    rec["seal"]["strata"][stratum] -= 1
    rec["seal"]["seal_sha256"] = sealing.seal_digest(rec["seal"])
    resealed(rec)
    assert checks.verify(rec) == []
    result = cli(app, tmp_path, rec, "--seal-sha256", record["seal"]["seal_sha256"])
    assert result.exit_code == 1 and "封存摘要与公开的不一致" in result.stdout


@pytest.mark.parametrize("forge, message", [
    (lambda r: r["recusals_other"].append({"uscc": r["recusals"][0]["uscc"], "digest": sealing.recusal_digest(
        r["recusals"][0]["nonce"], r["recusals"][0]["cert_no"], r["recusals"][0]["uscc"])}) or r["recusals"].pop(0),
     "未公开的回避关系涉及抽中对象"),
    (lambda r: r["recusals_other"].pop(), "回避关系条数与封存时不一致：封存为 7 条，记录中为 6 条"),
    (lambda r: r["recusals_other"][0].update(digest="0" * 64), "回避关系哈希与封存时不一致"),
    (lambda r: r["recusals"][0].update(nonce="0" * 32), "回避关系哈希与封存时不一致"),
    (lambda r: r.update(drawn_at=r["seal"]["sealed_at"]), "不早于抽取时间"),
    (lambda r: r.update(drawn_at="2024-04-01 09:00"), "不是带时区的时间"),
    (lambda r: r["inspectors"].pop(), "封存时的执法人员名单哈希与抽取所用的不一致"),
    (lambda r: r.pop("seal"), "记录缺少完整的封存信息"),
])
def test_a_record_that_departs_from_its_seal_is_named(record, forge, message):
    rec = copy.deepcopy(record)
    forge(rec)
    problems = checks.verify(resealed(rec))
    assert any(message in p for p in problems), problems


def test_success_prints_the_values_to_compare_with_the_task_page(app, tmp_path, record):
    result = cli(app, tmp_path, record, "--commitment", record["commitment"], "--record-sha256",
                 record["record_sha256"], "--seal-sha256", record["seal"]["seal_sha256"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"验证通过：任务 {record['task']['code']}")
    assert "（算法 spotcheck-draw-v2；" in result.stdout
    for label, value in (("承诺值", record["commitment"]), ("记录摘要", record["record_sha256"]),
                         ("封存摘要", record["seal"]["seal_sha256"])):
        assert f"{label}：{value}（与公开的一致）" in result.stdout
    assert f"封存时间：{record['seal']['sealed_at']}，监督人输入时间：{record['drawn_at']}（先封存后抽取）" in result.stdout
    result = cli(app, tmp_path, record, "--commitment", "00" * 32)
    assert result.exit_code == 1 and "承诺值与公开的不一致" in result.stdout and "验证失败" in result.stderr


def test_the_digest_rule_the_method_page_states_gives_the_published_digest(client, record):
    page = client.get("/public/draw-method").get_data(as_text=True)
    assert "去掉 <code>record_sha256</code> 和 <code>revealed</code> 两个键" in page
    downloaded = json.loads(json.dumps(records.public_view(record, revealed=True), ensure_ascii=False))
    assert downloaded["revealed"] is True
    body = {k: v for k, v in downloaded.items() if k not in ("record_sha256", "revealed")}
    stated = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                            .encode("utf-8")).hexdigest()
    assert stated == record["record_sha256"]
    assert "为什么公开回避关系" in page and "不公开理由" in page


def test_before_the_reveal_the_public_view_shows_the_seal_but_no_recusal(record):
    hidden = records.public_view(record, revealed=False)
    assert hidden["seal"] == record["seal"] and "recusals" not in hidden and "recusals_other" not in hidden
    assert "inspectors" not in hidden and "population_listing" not in hidden


def test_the_method_page_works_the_example_slots_out_as_the_code_draws_them(client):
    from server.services.draw.example import worked_example
    ex = worked_example()
    steps, groups = ex["steps"], ex["record"]["assignments"]
    assert [st["picked"] for st in steps] == [i["cert_no"] for g in groups[:3] for i in g["inspectors"]]
    assert any(st["recused"] for st in steps) and any(st["in_group"] for st in steps)  # both exclusions shown
    page = client.get("/public/draw-method").get_data(as_text=True)
    assert all(st["hmac"] in page for st in steps) and "已在本组：" in page and "（回避：李二）" in page


def test_a_record_can_carry_further_parts_each_recomputed_by_its_registered_kind(monkeypatch):
    """The hook a joint inspection's department parts use: a part drawn with the record's seed, verified too."""
    from server.services.draw import v2
    from server.services.draw.example import worked_example

    def department_part(record, part, seed, selections):
        pool = [v2.InspectorRef(i["cert_no"], part["department"]) for i in part["inspectors"]]
        groups, unstaffed = v2.assign_department_slots(seed, [s[0] for s in selections], pool, part["department"],
                                                       first_slot=record["task"]["group_size"])
        return {"assignments": [{"uscc": u, "inspectors": [r.cert_no for r in g]} for u, g in groups],
                "unstaffed": [u.uscc for u in unstaffed]}
    monkeypatch.setitem(records.PART_KINDS, "department", department_part)
    base = worked_example()["record"]
    inputs = {k: v for k, v in base.items() if k in ("kind", "selection_rule", "task", "population_listing",
                                                       "server_seed", "witness_entropy", "inspectors", "seal",
                                                       "drawn_at")}
    inputs["recusals"] = [{"cert_no": "14052202", "uscc": u, "nonce": hashlib.sha256(u.encode()).hexdigest()[:32]}
                          for u in ("911405220000001019", "91140522000000105M")]
    inputs["parts"] = [{"part": "department", "department": "YZS", "inspectors": [{"cert_no": "2001"},
                                                                                 {"cert_no": "2002"}]}]
    rec = records.complete(inputs)
    assert rec["record_sha256"] == records.seal(rec) and checks.verify(rec) == []
    assert len(rec["parts"][0]["assignments"]) == len(rec["selections"])
    forged = copy.deepcopy(rec)
    forged["parts"][0]["assignments"].reverse()
    assert checks.verify(resealed(forged)) == ["记录的组成部分（parts）与重新计算的结果不一致"]
    monkeypatch.delitem(records.PART_KINDS, "department")
    assert checks.verify(rec) == ["无法按记录重新计算：记录中有本工具不认识的组成部分“department”，请升级 spotcheck 后再验证"]

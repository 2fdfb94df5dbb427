"""Verifying a draw record: re-run it with the algorithm it names, check its seal (v2), its digest, and
what was published about it (the commitment, the record digest, the seal digest); differences in Chinese.
"""
from __future__ import annotations

from collections import Counter

from server.services.draw import records, sealing, v1, v2

MAX_REPORTED = 30
PUBLISHED = {"commitment": "承诺值", "record_sha256": "记录摘要", "seal_sha256": "封存摘要"}


def verify(record: dict, published: dict | None = None) -> list[str]:
    """Every difference between the record, a re-run of it and `published` ({commitment, record_sha256,
    seal_sha256}, any of them, as the task page showed them); empty means it all matches."""
    try:
        outputs = records.compute_outputs(record)
    except v1.DrawInputError as err:
        return [f"无法按记录重新计算：{err}"]
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        return [f"记录的结构不正确，无法重新计算（字段 {err}）"]
    problems: list[str] = []
    _scalar(problems, record, outputs, "commitment", "承诺值（sha256(服务器种子)）")
    _scalar(problems, record, outputs, "population_hash", "检查对象名单的哈希")
    _scalar(problems, record, outputs, "population_size", "检查对象总数")
    _scalar(problems, record, outputs, "draw_seed", "抽取种子")
    _strata(problems, record.get("strata"), outputs["strata"])
    _compare_list(problems, record.get("selections"), outputs["selections"], "抽中对象", _describe_selection)
    _groups(problems, _without_names(record.get("assignments")), outputs["assignments"])
    _unstaffed(problems, record.get("unstaffed"), outputs["unstaffed"])
    if outputs["parts"] is not None and record.get("parts") != outputs["parts"]:
        problems.append("记录的组成部分（parts）与重新计算的结果不一致")
    if record.get("algorithm") == v2.ALGORITHM:
        try:
            problems += sealing.problems(record, outputs)
        except (KeyError, TypeError, AttributeError) as err:
            problems.append(f"记录的封存或回避关系结构不正确（字段 {err}）")
    expected = records.seal(record)
    if record.get("record_sha256") != expected:
        problems.append(f"记录摘要 record_sha256 不一致：记录为 {record.get('record_sha256')}，重算为 {expected}"
                        f"（记录内容在生成后被改动过）")
    problems += _against_published(record, published or {})
    return problems


def published_values(record: dict) -> dict:
    """The values a person should compare with the task page: commitment, record and seal digests."""
    values = {"commitment": record.get("commitment"), "record_sha256": record.get("record_sha256")}
    if isinstance(record.get("seal"), dict):
        values["seal_sha256"] = record["seal"].get("seal_sha256")
    return values


def _against_published(record: dict, published: dict) -> list[str]:
    own = published_values(record)
    found = []
    for key, label in PUBLISHED.items():
        expected = (published.get(key) or "").strip().lower()
        if not expected:
            continue
        if key not in own:
            found.append(f"该记录使用 {record.get('algorithm')}，没有{label}，无法与公开的{label}核对")
        elif own[key] != expected:
            found.append(f"{label}与公开的不一致：公开为 {expected}，记录中为 {own[key]}（这不是公开的那次抽取的记录，"
                         f"或记录已被改动）")
    return found


def _scalar(problems, record, outputs, key, label):
    if record.get(key) != outputs[key]:
        problems.append(f"{label}不一致：记录为 {record.get(key)}，重算为 {outputs[key]}")


def _strata(problems, recorded, computed):
    if recorded == computed:
        return
    if not isinstance(recorded, list) or len(recorded) != len(computed):
        problems.append("各风险等级的对象数和抽中数不一致")
        return
    for rec, com in zip(recorded, computed):
        label = records.STRATUM_LABELS.get(com["stratum"], com["stratum"])
        for key, what in (("stratum", "风险等级"), ("population", "对象数"), ("ratio", "抽取比例"),
                          ("selected", "抽中数")):
            if not isinstance(rec, dict) or rec.get(key) != com[key]:
                value = rec.get(key) if isinstance(rec, dict) else rec
                problems.append(f"风险等级“{label}”的{what}不一致：记录为 {value}，重算为 {com[key]}")


def _describe_selection(s) -> str:
    if not isinstance(s, dict):
        return str(s)
    label = records.STRATUM_LABELS.get(s.get("stratum"), s.get("stratum"))
    return f"{s.get('uscc')}（风险等级 {label}，得分 {s.get('score')}）"


def _compare_list(problems, recorded, computed, noun: str, describe) -> None:
    """Report a missing list, a different length, and the first differing entries of `noun`s."""
    if not isinstance(recorded, list):
        problems.append(f"{noun}列表缺失或格式不对")
        return
    if len(recorded) != len(computed):
        problems.append(f"{noun}数量不一致：记录为 {len(recorded)} 个，重算为 {len(computed)} 个")
    shown = 0
    for n, (rec, com) in enumerate(zip(recorded, computed), start=1):
        if rec != com and shown < MAX_REPORTED:
            problems.append(f"第 {n} 个{noun}不一致：记录为 {describe(rec)}，重算为 {describe(com)}")
            shown += 1


def _without_names(groups):
    """Groups as a re-run computes them: names are not an output of the algorithm."""
    if not isinstance(groups, list):
        return groups
    return [{**g, "inspectors": [{k: v for k, v in i.items() if k != "name"} if isinstance(i, dict) else i
                                 for i in g["inspectors"]]}
            if isinstance(g, dict) and isinstance(g.get("inspectors"), list) else g for g in groups]


def _describe_group(g) -> str:
    if not isinstance(g, dict) or not isinstance(g.get("inspectors"), list):
        return str(g)
    people = "、".join(f"执法证号 {i.get('cert_no')}" if isinstance(i, dict) else str(i) for i in g["inspectors"])
    return f"对象 {g.get('uscc')}：{people}"


def _frozen(groups) -> Counter:
    return Counter(_describe_group(g) for g in groups)


def _groups(problems, recorded, computed):
    before = len(problems)
    _compare_list(problems, recorded, computed, "检查组", _describe_group)
    if len(problems) > before and isinstance(recorded, list) and _frozen(recorded) == _frozen(computed):
        problems.insert(before, "检查组的顺序与重新计算的不一致：各检查组本身相同，但应按抽中顺序（得分从小到大）排列")


def _unstaffed(problems, recorded, computed):
    if recorded != computed:
        def show(items):
            if not isinstance(items, list):
                return str(items)
            return "；".join(f"{u.get('uscc')}：{u.get('reason')}" if isinstance(u, dict) else str(u)
                            for u in items) or "无"
        problems.append(f"无法派员的对象不一致：记录为 {show(recorded)}，重算为 {show(computed)}")

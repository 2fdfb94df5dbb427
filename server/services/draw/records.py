"""The locked draw record (DESIGN §5): building it, sealing it, what the public sees, and verifying it.

Pure code (no database): the draw service builds a record from its inputs with `complete()`, and
`verify()` — used by `spotcheck verify-draw` and the public task page — recomputes every output
from the same inputs with the same functions and names each difference in Chinese.

A record is a JSON object of strings, integers, booleans, null, lists and objects (no floats):

inputs  algorithm, kind, selection_rule ("ratios" | "all" | "counts"), counts (for "counts"),
        task {code, name, type, items, scope, ratios, exclusion_months, group_size,
        departments [{code, name}] (lead first), period_start, period_end, reveal_seed_at_once},
        population_listing, server_seed (hex), witness_entropy (NFC), inspectors [{cert_no,
        department}] (the eligible pool: 执法证号 only, no names), recusals [{cert_no, uscc}],
        existing_members [{uscc, inspectors}] (递补), drawn_at and, for supplementary draws,
        parent_record_sha256, replaces, reason.
outputs commitment, population_hash, population_size, draw_seed (hex), strata [{stratum,
        population, ratio, selected}], selections [{uscc, stratum, score}], assignments [{uscc,
        inspectors [{cert_no, name, department}]}] (names of the group members, as published in the
        inspection notice; a re-run compares cert_no and department), unstaffed [{uscc, reason}].
seal    record_sha256 = hex SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8, not
        ASCII-escaped) of the record without record_sha256.
"""
from __future__ import annotations

import hashlib
import json

from server.services.draw import v1 as algo
from server.vocab import RiskLevel

KINDS = ("main", "targeted", "replace_target", "replace_inspector")
RULES = ("ratios", "all", "counts")
STRATUM_LABELS = {lv.value: lv.label for lv in RiskLevel}
REQUIRED = ("algorithm", "kind", "selection_rule", "task", "population_listing", "server_seed", "witness_entropy",
            "inspectors", "recusals", "commitment", "population_hash", "population_size", "draw_seed", "strata",
            "selections", "assignments", "unstaffed", "record_sha256")
PUBLIC_BEFORE_REVEAL = ("algorithm", "kind", "task", "commitment", "population_hash", "population_size", "strata",
                        "drawn_at", "reason", "replaces", "parent_record_sha256", "record_sha256")
MAX_REPORTED = 30


class RecordError(ValueError):
    """A file that is not a verifiable draw record; the message says why in Chinese."""


def canonical_json(obj) -> bytes:
    """The bytes the seal is computed over."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(record: dict) -> str:
    """record_sha256 of a record (ignoring any record_sha256 already in it)."""
    body = {k: v for k, v in record.items() if k != "record_sha256"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def compute_outputs(record: dict, pairs: list[tuple[str, str]] | None = None) -> dict:
    """Every output field, recomputed from the record's inputs (raises DrawInputError on bad inputs).

    `pairs` may be given by a caller that has just built the listing from them, to skip parsing it back.
    """
    try:
        server_seed = bytes.fromhex(record["server_seed"])
    except (TypeError, ValueError):
        raise algo.DrawInputError("服务器种子不是有效的十六进制字符串") from None
    listing = record["population_listing"]
    if not isinstance(listing, str):
        raise algo.DrawInputError("检查对象名单应为文本")
    if pairs is None:
        pairs = algo.parse_listing(listing)
    seed = algo.draw_seed(server_seed, record["witness_entropy"])
    sizes = algo.stratum_sizes(pairs)
    counts, ratios = _counts(record, sizes)
    selections = algo.select_targets(seed, pairs, counts)
    task = record["task"]
    pool = [algo.InspectorRef(i["cert_no"], i["department"]) for i in record["inspectors"]]
    departments = [d["code"] for d in task["departments"]]
    dept_names = {d["code"]: d["name"] for d in task["departments"]}
    recusals = [(r["cert_no"], r["uscc"]) for r in record["recusals"]]
    existing = {m["uscc"]: [algo.InspectorRef(i["cert_no"], i["department"]) for i in m["inspectors"]]
                for m in record.get("existing_members") or []}
    group_size = task["group_size"]
    if not isinstance(group_size, int) or group_size < 1:
        raise algo.DrawInputError("检查组人数无效")
    assignments, unstaffed = algo.assign_inspectors(seed, [s[0] for s in selections], pool, departments,
                                                    group_size, recusals, dept_names, existing)
    picked = dict.fromkeys(algo.STRATA, 0)
    for _, stratum, _ in selections:
        picked[stratum] += 1
    return {
        "commitment": algo.commitment(server_seed),
        "population_hash": algo.population_hash(listing),
        "population_size": len(pairs),
        "draw_seed": seed.hex(),
        "strata": [{"stratum": k, "population": sizes[k], "ratio": ratios.get(k), "selected": picked[k]}
                   for k in algo.STRATA],
        "selections": [{"uscc": u, "stratum": k, "score": score} for u, k, score in selections],
        "assignments": [{"uscc": uscc, "inspectors": [{"cert_no": r.cert_no, "department": r.department}
                                                      for r in group]} for uscc, group in assignments],
        "unstaffed": [{"uscc": u.uscc, "reason": u.reason} for u in unstaffed],
    }


def _counts(record: dict, sizes: dict) -> tuple[dict, dict]:
    rule = record["selection_rule"]
    if rule == "ratios":
        ratios = record["task"]["ratios"] or {}
        unknown = set(ratios) - set(algo.STRATA)
        if unknown:
            raise algo.DrawInputError(f"抽取比例中有未知的风险等级：{'、'.join(sorted(unknown))}")
        return algo.counts_from_ratios(sizes, ratios), {k: str(ratios[k]) if k in ratios else None
                                                         for k in algo.STRATA}
    if rule == "all":
        return dict(sizes), {}
    if rule == "counts":
        counts = record.get("counts") or {}
        if any(not isinstance(v, int) or v < 0 for v in counts.values()):
            raise algo.DrawInputError("抽取数量应为非负整数")
        return counts, {}
    raise algo.DrawInputError(f"未知的抽取规则“{rule}”")


def complete(inputs: dict, names: dict[str, str] | None = None, pairs: list[tuple[str, str]] | None = None) -> dict:
    """The sealed record: the inputs, every output computed from them, the group members' names
    (from `names`, 执法证号 → 姓名, as the inspection notice shows them) and record_sha256."""
    record = dict(inputs)
    record["algorithm"] = algo.ALGORITHM
    record["witness_entropy"] = algo.normalize_entropy(record.get("witness_entropy", ""))
    record.update(compute_outputs(record, pairs))
    for group in record["assignments"]:
        group["inspectors"] = [{"cert_no": i["cert_no"], "name": (names or {}).get(i["cert_no"], ""),
                                "department": i["department"]} for i in group["inspectors"]]
    record["record_sha256"] = seal(record)
    return record


def _without_names(groups):
    """Groups as a re-run computes them: names are not an output of the algorithm."""
    if not isinstance(groups, list):
        return groups
    return [{**g, "inspectors": [{k: v for k, v in i.items() if k != "name"} if isinstance(i, dict) else i
                                 for i in g["inspectors"]]}
            if isinstance(g, dict) and isinstance(g.get("inspectors"), list) else g for g in groups]


def public_view(record: dict, revealed: bool) -> dict:
    """What the public may see: everything once revealed, before that no seed, listing or results."""
    if revealed:
        return dict(record, revealed=True)
    view = {k: record[k] for k in PUBLIC_BEFORE_REVEAL if k in record}
    view["revealed"] = False
    return view


# --- verification -------------------------------------------------------------------------------------------

def load(data: bytes | str) -> dict:
    """Parse a record file; RecordError (in Chinese) for anything that is not a complete record."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RecordError("文件不是 UTF-8 编码的文本，不是抽取记录") from None
    if not data.strip():
        raise RecordError("文件是空的，不是抽取记录")
    try:
        record = json.loads(data)
    except json.JSONDecodeError as err:
        raise RecordError(f"文件不是有效的 JSON（可能下载不完整或已损坏）：第 {err.lineno} 行第 {err.colno} 列附近"
                          f"出错") from None
    if not isinstance(record, dict):
        raise RecordError("文件不是抽取记录：顶层应为 JSON 对象")
    if record.get("revealed") is False or ("commitment" in record and record.get("server_seed") is None):
        raise RecordError("记录中的服务器种子尚未公开（任务期满后或按任务设定公开），暂时无法验证")
    record = {k: v for k, v in record.items() if k != "revealed"}
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise RecordError(f"文件不是完整的抽取记录：缺少字段 {'、'.join(missing)}")
    if record["algorithm"] != algo.ALGORITHM:
        raise RecordError(f"不支持的抽取算法“{record['algorithm']}”，本工具只验证 {algo.ALGORITHM}")
    return record


def verify(record: dict) -> list[str]:
    """Every difference between the record and a re-run of it, in Chinese; empty means it matches."""
    try:
        outputs = compute_outputs(record)
    except algo.DrawInputError as err:
        return [f"无法按记录重新计算：{err}"]
    except (KeyError, TypeError, AttributeError) as err:
        return [f"记录的结构不正确，无法重新计算（字段 {err}）"]
    problems: list[str] = []
    _scalar(problems, record, outputs, "commitment", "承诺值（sha256(服务器种子)）")
    _scalar(problems, record, outputs, "population_hash", "检查对象名单的哈希")
    _scalar(problems, record, outputs, "population_size", "检查对象总数")
    _scalar(problems, record, outputs, "draw_seed", "抽取种子")
    _strata(problems, record.get("strata"), outputs["strata"])
    _selections(problems, record.get("selections"), outputs["selections"])
    _assignments(problems, _without_names(record.get("assignments")), outputs["assignments"])
    _unstaffed(problems, record.get("unstaffed"), outputs["unstaffed"])
    expected_seal = seal(record)
    if record.get("record_sha256") != expected_seal:
        problems.append(f"记录摘要 record_sha256 不一致：记录为 {record.get('record_sha256')}，重算为 {expected_seal}"
                        f"（记录内容在生成后被改动过）")
    return problems


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
        label = STRATUM_LABELS.get(com["stratum"], com["stratum"])
        for key, what in (("stratum", "风险等级"), ("population", "对象数"), ("ratio", "抽取比例"),
                          ("selected", "抽中数")):
            if not isinstance(rec, dict) or rec.get(key) != com[key]:
                value = rec.get(key) if isinstance(rec, dict) else rec
                problems.append(f"风险等级“{label}”的{what}不一致：记录为 {value}，重算为 {com[key]}")


def _describe_selection(s) -> str:
    if not isinstance(s, dict):
        return str(s)
    return f"{s.get('uscc')}（风险等级 {STRATUM_LABELS.get(s.get('stratum'), s.get('stratum'))}，得分 {s.get('score')}）"


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


def _selections(problems, recorded, computed):
    _compare_list(problems, recorded, computed, "抽中对象", _describe_selection)


def _describe_group(g) -> str:
    if not isinstance(g, dict) or not isinstance(g.get("inspectors"), list):
        return str(g)
    people = "、".join(f"执法证号 {i.get('cert_no')}" if isinstance(i, dict) else str(i) for i in g["inspectors"])
    return f"对象 {g.get('uscc')}：{people}"


def _assignments(problems, recorded, computed):
    _compare_list(problems, recorded, computed, "检查组", _describe_group)


def _unstaffed(problems, recorded, computed):
    if recorded != computed:
        def show(items):
            if not isinstance(items, list):
                return str(items)
            return "；".join(f"{u.get('uscc')}：{u.get('reason')}" if isinstance(u, dict) else str(u)
                            for u in items) or "无"
        problems.append(f"无法派员的对象不一致：记录为 {show(recorded)}，重算为 {show(computed)}")

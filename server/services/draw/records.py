"""The locked draw record (DESIGN §5): building it, its digest, what the public sees, and loading a file.

Pure code (no database): the draw service builds a record from its inputs with `complete()`, and
`verify()` (in draw.checks) — used by `spotcheck verify-draw` and the public task page — recomputes
every output with the algorithm the record names, and names each difference in Chinese. A record keeps
its algorithm name forever, so `spotcheck-draw-v1` records verify with v1's code and new ones with v2's.

A record is a JSON object of strings, integers, booleans, null, lists and objects (no floats):

inputs  algorithm, kind, selection_rule ("ratios" | "all" | "counts"), counts (for "counts"),
        task {code, name, type, items, scope, ratios, exclusion_months, group_size,
        departments [{code, name}] (lead first), period_start, period_end, reveal_seed_at_once},
        population_listing, server_seed (hex), witness_entropy (NFC), inspectors [{cert_no,
        department}] (the eligible pool: 执法证号 only, no names), recusals [{cert_no, uscc}],
        existing_members [{uscc, inspectors}] (递补), drawn_at (the witness's input) and, for
        supplementary draws, parent_record_sha256, reason, and replaces (补抽, 递补) or staffs (补派).
v2 also seal {sealed_at, population_hash, population_size, strata, inspectors_hash, inspectors_count,
        recusals_hash, recusals_count, [existing_members], seal_sha256} (see draw.sealing); recusals
        then holds only the pairs touching the draw, each with its nonce, and recusals_other the
        others as {uscc, digest}; parts (optional): further parts drawn with the record's draw seed,
        each {"part": kind, …}, recomputed by the function registered for its kind (register_part).
outputs commitment, population_hash, population_size, draw_seed (hex), strata [{stratum,
        population, ratio, selected}], selections [{uscc, stratum, score}], assignments [{uscc,
        inspectors [{cert_no, name, department}]}] (names of the group members, as published in the
        inspection notice; a re-run compares cert_no and department), unstaffed [{uscc, reason}].
digest  record_sha256 = hex SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8, not
        ASCII-escaped) of the record without the keys record_sha256 and revealed.
"""
from __future__ import annotations

import hashlib
import json
from typing import Callable

from server.services.draw import sealing, selection, v1, v2
from server.services.draw.sealing import canonical_json  # noqa: F401  (part of this module's interface)
from server.vocab import RiskLevel

ALGORITHMS = {v1.ALGORITHM: v1, v2.ALGORITHM: v2}
CURRENT = v2.ALGORITHM
KINDS = ("main", "targeted", "replace_target", "replace_inspector", "staff_target")
RULES = ("ratios", "all", "counts")
STRATUM_LABELS = {lv.value: lv.label for lv in RiskLevel}
REQUIRED = ("algorithm", "kind", "selection_rule", "task", "population_listing", "server_seed", "witness_entropy",
            "inspectors", "recusals", "commitment", "population_hash", "population_size", "draw_seed", "strata",
            "selections", "assignments", "unstaffed", "record_sha256")
REQUIRED_V2 = ("seal", "recusals_other", "drawn_at")
NOT_DIGESTED = ("record_sha256", "revealed")
PUBLIC_BEFORE_REVEAL = ("algorithm", "kind", "task", "commitment", "population_hash", "population_size", "strata",
                        "seal", "drawn_at", "reason", "replaces", "parent_record_sha256", "record_sha256")

# part kind -> compute(record, part, draw_seed, selections) -> the part's outputs recomputed
PartCompute = Callable[[dict, dict, bytes, list], dict]
PART_KINDS: dict[str, PartCompute] = {}


class RecordError(ValueError):
    """A file that is not a verifiable draw record; the message says why in Chinese."""


def register_part(kind: str, compute: PartCompute) -> None:
    """Declare a kind of record part (e.g. a cooperating department's own members of a joint draw)."""
    PART_KINDS[kind] = compute


def seal(record: dict) -> str:
    """record_sha256 of a record (ignoring any record_sha256 or revealed already in it)."""
    body = {k: v for k, v in record.items() if k not in NOT_DIGESTED}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def algorithm_of(record: dict):
    """The module of the algorithm the record names; DrawInputError for one this code does not know."""
    name = record.get("algorithm")
    if name not in ALGORITHMS:
        raise v1.DrawInputError(f"不支持的抽取算法“{name}”：本工具能验证的算法为 {'、'.join(ALGORITHMS)}；请确认记录文件"
                                f"来自本系统，或升级 spotcheck 后再试")
    return ALGORITHMS[name]


def compute_outputs(record: dict, pairs: list[tuple[str, str]] | None = None, workers: int = 1) -> dict:
    """Every output field, recomputed from the record's inputs (raises DrawInputError on bad inputs).

    `pairs` may be given by a caller that has just built the listing from them, to skip parsing it back.
    """
    algo = algorithm_of(record)
    try:
        server_seed = bytes.fromhex(record["server_seed"])
    except (TypeError, ValueError):
        raise v1.DrawInputError("服务器种子不是有效的十六进制字符串") from None
    listing = record["population_listing"]
    if not isinstance(listing, str):
        raise v1.DrawInputError("检查对象名单应为文本")
    if pairs is None:
        pairs = v1.parse_listing(listing)
    seed = v1.draw_seed(server_seed, record["witness_entropy"])
    sizes = v1.stratum_sizes(pairs)
    counts, ratios = _counts(record, sizes)
    if algo is v1:
        population_hash, selections = v1.population_hash(listing), v1.select_targets(seed, pairs, counts)
    else:
        with selection.Selector(seed, pairs, counts, workers) as selector:
            population_hash = v1.population_hash(listing)  # while the helpers hash
            selections = selector.result()
    assignments, unstaffed = _groups(record, algo, seed, [s[0] for s in selections])
    picked = dict.fromkeys(v1.STRATA, 0)
    for _, stratum, _ in selections:
        picked[stratum] += 1
    return {
        "commitment": v1.commitment(server_seed),
        "population_hash": population_hash,
        "population_size": len(pairs),
        "draw_seed": seed.hex(),
        "strata": [{"stratum": k, "population": sizes[k], "ratio": ratios.get(k), "selected": picked[k]}
                   for k in v1.STRATA],
        "selections": [{"uscc": u, "stratum": k, "score": score} for u, k, score in selections],
        "assignments": [{"uscc": uscc, "inspectors": [{"cert_no": r.cert_no, "department": r.department}
                                                      for r in group]} for uscc, group in assignments],
        "unstaffed": [{"uscc": u.uscc, "reason": u.reason} for u in unstaffed],
        "parts": _parts(record, seed, selections),
    }


def _groups(record: dict, algo, seed: bytes, walk: list[str]):
    """The inspector groups of the record's selected targets, by the record's algorithm."""
    task = record["task"]
    pool = [v1.InspectorRef(i["cert_no"], i["department"]) for i in record["inspectors"]]
    departments = [d["code"] for d in task["departments"]]
    dept_names = {d["code"]: d["name"] for d in task["departments"]}
    recusals = [(r["cert_no"], r["uscc"]) for r in record["recusals"]]
    existing = {m["uscc"]: [v1.InspectorRef(i["cert_no"], i["department"]) for i in m["inspectors"]]
                for m in record.get("existing_members") or []}
    group_size = task["group_size"]
    if not isinstance(group_size, int) or group_size < 1:
        raise v1.DrawInputError("检查组人数无效")
    return algo.assign_inspectors(seed, walk, pool, departments, group_size, recusals, dept_names, existing)


def _counts(record: dict, sizes: dict) -> tuple[dict, dict]:
    rule = record["selection_rule"]
    if rule == "ratios":
        ratios = record["task"]["ratios"] or {}
        unknown = set(ratios) - set(v1.STRATA)
        if unknown:
            raise v1.DrawInputError(f"抽取比例中有未知的风险等级：{'、'.join(sorted(unknown))}")
        return v1.counts_from_ratios(sizes, ratios), {k: str(ratios[k]) if k in ratios else None
                                                       for k in v1.STRATA}
    if rule == "all":
        return dict(sizes), {}
    if rule == "counts":
        counts = record.get("counts") or {}
        if any(not isinstance(v, int) or v < 0 for v in counts.values()):
            raise v1.DrawInputError("抽取数量应为非负整数")
        return counts, {}
    raise v1.DrawInputError(f"未知的抽取规则“{rule}”")


def _parts(record: dict, seed: bytes, selections: list) -> list[dict] | None:
    parts = record.get("parts")
    if parts is None:
        return None
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise v1.DrawInputError("记录的组成部分 parts 格式不对")
    unknown = [p.get("part") for p in parts if p.get("part") not in PART_KINDS]
    if unknown:
        raise v1.DrawInputError(f"记录中有本工具不认识的组成部分“{unknown[0]}”，请升级 spotcheck 后再验证")
    return [{**p, **PART_KINDS[p["part"]](record, p, seed, selections)} for p in parts]


def complete(inputs: dict, names: dict[str, str] | None = None, pairs: list[tuple[str, str]] | None = None,
             *, algorithm: str = CURRENT, workers: int = 1) -> dict:
    """The record: the inputs, every output computed from them, the group members' names (from `names`,
    执法证号 → 姓名, as the inspection notice shows them) and record_sha256.

    For v2 the inputs carry `seal` and, as `recusals`, every sealed pair with its nonce; the record keeps
    the pairs touching the selected targets and publishes the others as (uscc, digest) only.
    """
    record = dict(inputs)
    record["algorithm"] = algorithm
    record["witness_entropy"] = v1.normalize_entropy(record.get("witness_entropy", ""))
    outputs = compute_outputs(record, pairs, workers)
    if outputs["parts"] is None:
        del outputs["parts"]
    record.update(outputs)
    if algorithm != v1.ALGORITHM:
        selected = {s["uscc"] for s in record["selections"]}
        record["recusals"], record["recusals_other"] = sealing.split_recusals(inputs["recusals"], selected)
        mismatch = sealing.problems(record, outputs)
        if mismatch:
            raise v1.DrawInputError(f"抽取所用数据与封存时不一致：{mismatch[0]}")
    for group in record["assignments"]:
        group["inspectors"] = [{"cert_no": i["cert_no"], "name": (names or {}).get(i["cert_no"], ""),
                                "department": i["department"]} for i in group["inspectors"]]
    record["record_sha256"] = seal(record)
    return record


def public_view(record: dict, revealed: bool) -> dict:
    """What the public may see: everything once revealed; before that the commitment, the seal and the
    digest, but no seed, listing or results."""
    if revealed:
        return dict(record, revealed=True)
    view = {k: record[k] for k in PUBLIC_BEFORE_REVEAL if k in record}
    view["revealed"] = False
    return view


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
    if "algorithm" in record:
        try:
            algorithm_of(record)
        except v1.DrawInputError as err:
            raise RecordError(str(err)) from None
    missing = [k for k in REQUIRED + (REQUIRED_V2 if record.get("algorithm") == v2.ALGORITHM else ())
               if k not in record]
    if missing:
        raise RecordError(f"文件不是完整的抽取记录：缺少字段 {'、'.join(missing)}")
    return record

"""Verifying a joint task's draw as a whole (联合抽查): every part re-run, and the parts tied together. Pure code.

A joint task's public record is a bundle {"task": code, "records": [initiating record, department records,
supplementary records …]} (`/public/tasks/<code>/draws.json`). Each record verifies on its own (draw.checks).
On top of that, each cooperating department's record (kind `department`) must name the initiating record by
its digest (`parent_record_sha256`), draw over exactly the targets the initiating draw staffed, in the strata
they were drawn in, from that department's inspectors only, and be for a department the initiating record lists
among `joint_departments`, once. A department's own 补派 or 递补 (kinds `department_staff`,
`department_replace`) must name that department's record, draw one member per target from its inspectors only,
over targets of the task (staffed by the bureau's draw, 补抽 or 补派) in the strata they were drawn in. The
bureau's 补抽, 递补 and 补派 must name a record of the bundle.
"""
from __future__ import annotations

import json

from server.services.draw import checks, records, v1

MAIN_KINDS = ("main", "targeted")
DEPARTMENT = "department"
DEPARTMENT_SUPPLEMENTARY = ("department_staff", "department_replace")
BUREAU_SUPPLEMENTARY = ("replace_target", "replace_inspector", "staff_target")
TARGET_KINDS = MAIN_KINDS + ("replace_target", "staff_target")  # records that bring targets into the task
WHAT = {"department": "本部门人员抽取", "department_staff": "本部门补派", "department_replace": "本部门递补",
        "replace_target": "补抽", "replace_inspector": "递补", "staff_target": "补派"}


class BundleError(ValueError):
    """A file that is not a joint task's bundle of draw records; the message says why in Chinese."""


def is_bundle(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("records"), list) and "algorithm" not in data


def records_of(bundle: dict) -> list[dict]:
    records = bundle.get("records")
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise BundleError("文件中的 records 应为抽取记录的列表")
    return records


def _name(record: dict) -> str:
    dept = (record.get("task") or {}).get("department") or {}
    return dept.get("name") or dept.get("code") or "（未知部门）"


def _staffed(main: dict) -> list[tuple[str, str]]:
    strata = {s.get("uscc"): s.get("stratum") for s in main.get("selections") or [] if isinstance(s, dict)}
    return sorted((a.get("uscc"), strata.get(a.get("uscc"))) for a in main.get("assignments") or []
                  if isinstance(a, dict))


def _code(record: dict):
    return ((record.get("task") or {}).get("department") or {}).get("code")


def _listed(part: dict, what: str) -> tuple[list[tuple[str, str]] | None, list[str]]:
    try:
        return sorted(v1.parse_listing(part.get("population_listing") or "")), []
    except v1.DrawInputError as err:
        return None, [f"{what}的检查对象名单无法读取：{err}"]


def _own_part(part: dict, what: str) -> list[str]:
    """One member per target, from the department's own inspectors only."""
    found = []
    if part.get("selection_rule") != "all" or (part.get("task") or {}).get("group_size") != 1:
        found.append(f"{what}应为每个对象抽取 1 名本部门人员")
    others = sorted({i.get("department") for i in part.get("inspectors") or [] if isinstance(i, dict)} - {_code(part)})
    if others:
        found.append(f"{what}的可选人员中有其他部门（{'、'.join(str(o) for o in others)}）的人员，应只从本部门人员中抽取")
    return found


def link_problems(main: dict, part: dict) -> list[str]:
    """Where a department's record does not follow from the initiating one, in Chinese."""
    name = _name(part)
    found = []
    if part.get("parent_record_sha256") != main.get("record_sha256"):
        found.append(f"配合部门“{name}”的抽取记录所依据的发起部门记录摘要为 {part.get('parent_record_sha256')}，"
                     f"与发起部门的记录摘要 {main.get('record_sha256')} 不一致")
    listed, unreadable = _listed(part, f"配合部门“{name}”")
    if listed is None:
        return found + unreadable
    if listed != _staffed(main):
        found.append(f"配合部门“{name}”抽取所用的检查对象（{len(listed)} 个）与发起部门抽中并派员的对象"
                     f"（{len(_staffed(main))} 个）不一致")
    return found + _own_part(part, f"配合部门“{name}”的抽取")


def task_targets(records: list[dict]) -> dict[str, str]:
    """uscc → stratum of every target a record of the bundle staffed for the bureau (the task's targets)."""
    out: dict[str, str] = {}
    for record in records:
        if record.get("kind") not in TARGET_KINDS:
            continue
        strata = {s.get("uscc"): s.get("stratum") for s in record.get("selections") or [] if isinstance(s, dict)}
        for a in record.get("assignments") or []:
            if isinstance(a, dict):
                out[a.get("uscc")] = strata.get(a.get("uscc"))
    return out


def supplementary_problems(records: list[dict], part: dict) -> list[str]:
    """Where a department's 补派 or 递补 does not follow from its own draw and the task's targets, in Chinese."""
    what = f"配合部门“{_name(part)}”的{WHAT.get(part.get('kind'), '补充抽取')}记录"
    own = [r for r in records if r.get("kind") == DEPARTMENT and _code(r) == _code(part)]
    found = []
    if not own:
        found.append(f"{what}之前没有该部门的本部门人员抽取记录（应先完成本部门的抽取）")
    elif part.get("parent_record_sha256") != own[0].get("record_sha256"):
        found.append(f"{what}所依据的记录摘要为 {part.get('parent_record_sha256')}，与该部门本部门人员抽取的记录摘要 "
                     f"{own[0].get('record_sha256')} 不一致")
    listed, unreadable = _listed(part, what)
    if listed is None:
        return found + unreadable
    targets = task_targets(records)
    strange = [u for u, k in listed if targets.get(u) != k]
    if strange:
        found.append(f"{what}中的对象 {'、'.join(strange[:5])} 不是本任务抽中并派员的对象，或风险等级与抽中时不一致")
    return found + _own_part(part, what)


def bureau_problems(records: list[dict], part: dict) -> list[str]:
    """A bureau's 补抽, 递补 or 补派 must name a record of the task."""
    if part.get("parent_record_sha256") in {r.get("record_sha256") for r in records if r is not part}:
        return []
    return [f"{WHAT[part['kind']]}记录所依据的记录摘要 {part.get('parent_record_sha256')} 不是本任务的抽取记录"]


def links(records: list[dict]) -> list[str]:
    """Every problem in how the records of a joint task follow from each other (no re-run), in Chinese."""
    mains = [r for r in records if r.get("kind") in MAIN_KINDS]
    if len(mains) != 1:
        return [f"应有且只有 1 份发起部门的抽取记录，文件中有 {len(mains)} 份"]
    main = mains[0]
    expected = [d.get("code") for d in (main.get("task") or {}).get("joint_departments") or []]
    problems: list[str] = []
    seen: list[str] = []
    for part in records:
        kind = part.get("kind")
        if kind in (DEPARTMENT,) + DEPARTMENT_SUPPLEMENTARY and _code(part) not in expected:
            problems.append(f"配合部门“{_name(part)}”不在发起部门记录所列的配合部门中")
            continue
        if kind == DEPARTMENT:
            if _code(part) in seen:
                problems.append(f"配合部门“{_name(part)}”有不止一份本部门人员抽取记录")
            seen.append(_code(part))
            problems += link_problems(main, part)
        elif kind in DEPARTMENT_SUPPLEMENTARY:
            problems += supplementary_problems(records, part)
        elif kind in BUREAU_SUPPLEMENTARY:
            problems += bureau_problems(records, part)
    return problems


def verify_bundle(bundle: dict, published: dict[str, dict] | None = None) -> list[str]:
    """Every problem of a joint task's records: each re-run (draw.checks.verify, against `published` values by
    record digest when given) and the links between them; empty means the whole draw checks out."""
    records = records_of(bundle)
    problems: list[str] = []
    for record in records:
        what = describe(record)
        problems += [f"{what}：{p}" for p in checks.verify(record, (published or {}).get(record.get("record_sha256")))]
    return problems + links(records)


def label(record: dict) -> str:
    """Which draw of a joint task a record is, in Chinese (发起部门的抽取, 配合部门“…”的本部门补派 …)."""
    kind = record.get("kind")
    if kind in MAIN_KINDS:
        return "发起部门的抽取"
    if _code(record):
        return f"配合部门“{_name(record)}”的{WHAT.get(kind, '抽取')}"
    return f"发起部门的{WHAT.get(kind, '补充抽取')}"


def describe(record: dict) -> str:
    return label(record) + "记录"


def waiting(bundle: dict) -> list[str]:
    """Codes of the cooperating departments the initiating record lists that have no record in the bundle yet."""
    records = records_of(bundle)
    main = next((r for r in records if r.get("kind") in MAIN_KINDS), {})
    drawn = {((r.get("task") or {}).get("department") or {}).get("code") for r in records
             if r.get("kind") == DEPARTMENT}
    return [d.get("name") or d.get("code") for d in (main.get("task") or {}).get("joint_departments") or []
            if d.get("code") not in drawn]


def load(data: bytes | str) -> dict | None:
    """A joint task's bundle from a downloaded file, each record checked as records.load does; None when the
    file is not a bundle (a single record); BundleError for a bundle that cannot be checked."""
    try:
        parsed = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # records.load says what is wrong with the file
    if not is_bundle(parsed):
        return None
    loaded = []
    for n, record in enumerate(records_of(parsed), start=1):
        try:
            loaded.append(records.load(json.dumps(record, ensure_ascii=False)))
        except records.RecordError as err:
            raise BundleError(f"第 {n} 份抽取记录无法验证：{err}") from None
    return {**parsed, "records": loaded}


def bundle_of(task_code: str, task_records: list[dict]) -> dict:
    """The public bundle of a joint task's records (each complete, as revealed)."""
    return {"task": task_code, "records": [{k: v for k, v in r.items() if k != "revealed"} for r in task_records]}

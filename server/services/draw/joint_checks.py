"""Verifying a joint task's draw as a whole (联合抽查): every part re-run, and the parts tied together. Pure code.

A joint task's public record is a bundle {"task": code, "records": [initiating record, department records …]}
(`/public/tasks/<code>/draws.json`). Each record verifies on its own (draw.checks). On top of that, each
cooperating department's record (kind `department`) must name the initiating record by its digest
(`parent_record_sha256`), draw over exactly the targets the initiating draw staffed, in the strata they were
drawn in, and be for a department the initiating record lists among `joint_departments`, once.
"""
from __future__ import annotations

import json

from server.services.draw import checks, records, v1

MAIN_KINDS = ("main", "targeted")
DEPARTMENT = "department"


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


def link_problems(main: dict, part: dict) -> list[str]:
    """Where a department's record does not follow from the initiating one, in Chinese."""
    name = _name(part)
    found = []
    if part.get("parent_record_sha256") != main.get("record_sha256"):
        found.append(f"配合部门“{name}”的抽取记录所依据的发起部门记录摘要为 {part.get('parent_record_sha256')}，"
                     f"与发起部门的记录摘要 {main.get('record_sha256')} 不一致")
    try:
        listed = sorted(v1.parse_listing(part.get("population_listing") or ""))
    except v1.DrawInputError as err:
        return found + [f"配合部门“{name}”的检查对象名单无法读取：{err}"]
    if listed != _staffed(main):
        found.append(f"配合部门“{name}”抽取所用的检查对象（{len(listed)} 个）与发起部门抽中并派员的对象"
                     f"（{len(_staffed(main))} 个）不一致")
    if part.get("selection_rule") != "all" or (part.get("task") or {}).get("group_size") != 1:
        found.append(f"配合部门“{name}”的抽取应为每个抽中对象抽取 1 名本部门人员")
    return found


def verify_bundle(bundle: dict, published: dict[str, dict] | None = None) -> list[str]:
    """Every problem of a joint task's records: each re-run (draw.checks.verify, against `published` values by
    record digest when given) and the links between them; empty means the whole draw checks out."""
    records = records_of(bundle)
    problems: list[str] = []
    for n, record in enumerate(records, start=1):
        what = "发起部门的抽取记录" if record.get("kind") in MAIN_KINDS else f"配合部门“{_name(record)}”的抽取记录"
        problems += [f"{what}：{p}" for p in checks.verify(record, (published or {}).get(record.get("record_sha256")))]
    mains = [r for r in records if r.get("kind") in MAIN_KINDS]
    if len(mains) != 1:
        return problems + [f"应有且只有 1 份发起部门的抽取记录，文件中有 {len(mains)} 份"]
    main = mains[0]
    expected = [d.get("code") for d in (main.get("task") or {}).get("joint_departments") or []]
    seen: list[str] = []
    for part in (r for r in records if r.get("kind") == DEPARTMENT):
        code = ((part.get("task") or {}).get("department") or {}).get("code")
        if code not in expected:
            problems.append(f"配合部门“{_name(part)}”不在发起部门记录所列的配合部门中")
        elif code in seen:
            problems.append(f"配合部门“{_name(part)}”有不止一份本部门人员抽取记录")
        seen.append(code)
        problems += link_problems(main, part)
    return problems


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

"""封存 (the seal): a v2 draw's inputs fixed and published before the witness types (DESIGN §5). Pure code.

At the seal the population listing, the inspector pool and the recusals are frozen; the public task page
shows their hashes and counts at once, and the draw form shows them to the witness. The record carries
the same block, so anyone can check that the inputs the draw ran on are the ones sealed, and that the
seal came before the witness's input.

- `inspectors_hash`: SHA-256 of the lines `cert_no<TAB>department\\n`, sorted by cert_no, UTF-8.
- Recusals: each sealed pair (an inspector of the pool, a target of the population) gets a random
  `nonce` (32 hex digits) and `digest = SHA-256(UTF-8(nonce + "|" + cert_no + "|" + uscc))`;
  `recusals_hash` = SHA-256 of the lines `uscc<TAB>digest\\n`, sorted. The record publishes the pairs
  that touch the draw (a selected target) with their nonces, and of the others only (uscc, digest):
  never who, never why. A verifier recomputes the digests, hashes all lines, and checks that no
  unpublished pair names a selected target.
- `seal_sha256`: SHA-256 of the canonical JSON of the block without `seal_sha256`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Iterable

FIELDS = ("sealed_at", "population_hash", "population_size", "strata", "inspectors_hash", "inspectors_count",
          "recusals_hash", "recusals_count", "seal_sha256")


def canonical_json(obj) -> bytes:
    """Keys sorted, no spaces, UTF-8 and not ASCII-escaped: the bytes every digest is computed over."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pool_listing(inspectors: Iterable[dict]) -> str:
    """`cert_no<TAB>department\\n` per inspector of the pool, sorted by cert_no."""
    return "".join(f"{c}\t{d}\n" for c, d in sorted((i["cert_no"], i["department"]) for i in inspectors))


def new_nonce() -> str:
    return secrets.token_hex(16)


def recusal_digest(nonce: str, cert_no: str, uscc: str) -> str:
    """SHA-256(UTF-8(nonce + "|" + cert_no + "|" + uscc)), lowercase hex."""
    return sha256_hex(f"{nonce}|{cert_no}|{uscc}")


def recusals_listing(lines: Iterable[tuple[str, str]]) -> str:
    """`uscc<TAB>digest\\n` per sealed recusal, sorted."""
    return "".join(f"{u}\t{d}\n" for u, d in sorted(lines))


def seal_digest(block: dict) -> str:
    return hashlib.sha256(canonical_json({k: v for k, v in block.items() if k != "seal_sha256"})).hexdigest()


def make_block(sealed_at: str, population_hash: str, population_size: int, strata: dict[str, int],
               inspectors: list[dict], recusals: list[dict], existing: list[dict] | None = None) -> dict:
    """The public seal block; `recusals` are the sealed pairs with their nonces."""
    block = {"sealed_at": sealed_at, "population_hash": population_hash, "population_size": population_size,
             "strata": dict(strata), "inspectors_hash": sha256_hex(pool_listing(inspectors)),
             "inspectors_count": len(inspectors),
             "recusals_hash": sha256_hex(recusals_listing(
                 (r["uscc"], recusal_digest(r["nonce"], r["cert_no"], r["uscc"])) for r in recusals)),
             "recusals_count": len(recusals)}
    if existing:
        block["existing_members"] = strip_names(existing)
    block["seal_sha256"] = seal_digest(block)
    return block


def strip_names(existing: list[dict]) -> list[dict]:
    """Kept group members as the algorithm reads them: cert_no and department."""
    return [{"uscc": m["uscc"], "inspectors": [{"cert_no": i["cert_no"], "department": i["department"]}
                                               for i in m["inspectors"]]} for m in existing]


def split_recusals(sealed: list[dict], selected: set[str]) -> tuple[list[dict], list[dict]]:
    """(pairs touching the draw with their nonces, the others as uscc and digest), both sorted."""
    touching = sorted(({"cert_no": r["cert_no"], "uscc": r["uscc"], "nonce": r["nonce"]} for r in sealed
                       if r["uscc"] in selected), key=lambda r: (r["uscc"], r["cert_no"]))
    other = sorted(({"uscc": r["uscc"], "digest": recusal_digest(r["nonce"], r["cert_no"], r["uscc"])}
                    for r in sealed if r["uscc"] not in selected), key=lambda r: (r["uscc"], r["digest"]))
    return touching, other


def parse_time(value) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def problems(record: dict, outputs: dict) -> list[str]:
    """Where a v2 record's inputs differ from its seal, in Chinese; empty when they agree."""
    block = record.get("seal")
    if not isinstance(block, dict) or any(k not in block for k in FIELDS):
        return ["记录缺少完整的封存信息（封存时间、名单哈希和数量），无法确认抽取前已封存"]
    found = []
    if block["seal_sha256"] != seal_digest(block):
        found.append(f"封存摘要 seal_sha256 不一致：记录为 {block['seal_sha256']}，重算为 {seal_digest(block)}")
    sizes = {s["stratum"]: s["population"] for s in outputs["strata"]}
    for key, label, value in (("population_hash", "检查对象名单哈希", outputs["population_hash"]),
                              ("population_size", "检查对象数", outputs["population_size"]),
                              ("strata", "各风险等级对象数", sizes),
                              ("inspectors_hash", "执法人员名单哈希", sha256_hex(pool_listing(record["inspectors"]))),
                              ("inspectors_count", "执法人员数", len(record["inspectors"]))):
        if block[key] != value:
            found.append(f"封存时的{label}与抽取所用的不一致：封存为 {block[key]}，抽取所用为 {value}")
    found += _recusal_problems(record, block, {s["uscc"] for s in outputs["selections"]})
    if block.get("existing_members", []) != strip_names(record.get("existing_members") or []):
        found.append("封存时检查组中保留的执法人员与抽取所用的不一致")
    sealed_at, drawn_at = parse_time(block["sealed_at"]), parse_time(record.get("drawn_at"))
    if sealed_at is None or drawn_at is None:
        found.append("封存时间或抽取时间不是带时区的时间，无法确认先封存后抽取")
    elif not sealed_at < drawn_at:
        found.append(f"封存时间 {block['sealed_at']} 不早于抽取时间 {record.get('drawn_at')}：监督人输入前名单未封存")
    return found


def _recusal_problems(record: dict, block: dict, selected: set[str]) -> list[str]:
    shown, hidden = record["recusals"], record["recusals_other"]
    pool = {i["cert_no"] for i in record["inspectors"]}
    found = [f"公开的回避关系（执法证号 {r['cert_no']}，对象 {r['uscc']}）不涉及本次抽中对象和可选人员，不应公开"
             for r in shown if r["uscc"] not in selected or r["cert_no"] not in pool]
    found += [f"未公开的回避关系涉及抽中对象 {r['uscc']}：涉及抽中对象的回避关系必须公开" for r in hidden
              if r["uscc"] in selected]
    lines = [(r["uscc"], recusal_digest(r["nonce"], r["cert_no"], r["uscc"])) for r in shown]
    lines += [(r["uscc"], r["digest"]) for r in hidden]
    if len(lines) != block["recusals_count"]:
        found.append(f"回避关系条数与封存时不一致：封存为 {block['recusals_count']} 条，记录中为 {len(lines)} 条")
    digest = sha256_hex(recusals_listing(lines))
    if digest != block["recusals_hash"]:
        found.append(f"回避关系哈希与封存时不一致：封存为 {block['recusals_hash']}，按记录重算为 {digest}"
                     f"（回避关系在封存后被增删或改动）")
    return found

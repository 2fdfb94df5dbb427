"""The worked example on the public 抽取方法 page: a small v2 draw computed by the real code, and the
inspector slots of its first targets worked out step by step, as a reader would by hand."""
from __future__ import annotations

import functools
import hashlib

from server.services.draw import records, sealing, v2
from server.services.registry.uscc import check_digit

SEALED_AT, DRAWN_AT = "2024-04-01T01:00:00.000+00:00", "2024-04-01T01:05:00.000+00:00"
NAMES = {"14052201": "王一", "14052202": "李二", "14052203": "赵三", "14052204": "钱四"}


def _example_uscc(n: int) -> str:
    body = f"91140522{n:09d}"
    return body + check_digit(body)


@functools.lru_cache(maxsize=1)
def worked_example() -> dict:
    """A small draw computed by the real code, so the page's numbers are always right."""
    server_seed = hashlib.sha256("spotcheck 示例".encode("utf-8")).digest()
    witness = "阳城县交通运输局 2024年4月1日 监督人张三"
    levels = ["low", "low", "low", "low", "general", "general", "general", "higher", "higher", "high"]
    pairs = [(_example_uscc(101 + i), level) for i, level in enumerate(levels)]
    ratios = {"low": "0.2", "general": "0.3", "higher": "0.5", "high": "0.5"}
    listing = v2.canonical_listing(pairs)
    inspectors = [{"cert_no": cert, "department": "ZFD"} for cert in NAMES]
    # 李二 declared conflicts (回避) with two targets; fixed nonces, so that the page is the same on every load
    recused = [{"cert_no": "14052202", "uscc": u, "nonce": hashlib.sha256(u.encode()).hexdigest()[:32]}
               for u, _ in (pairs[0], pairs[4])]
    inputs = {"kind": "main", "selection_rule": "ratios", "population_listing": listing,
              "task": {"code": "示例", "name": "示例任务", "ratios": ratios, "group_size": 2,
                       "departments": [{"code": "ZFD", "name": "执法大队"}]},
              "server_seed": server_seed.hex(), "witness_entropy": witness, "inspectors": inspectors,
              "recusals": recused, "drawn_at": DRAWN_AT,
              "seal": sealing.make_block(SEALED_AT, v2.population_hash(listing), len(pairs), v2.stratum_sizes(pairs),
                                         inspectors, recused)}
    record = records.complete(inputs, names=NAMES)
    seed = bytes.fromhex(record["draw_seed"])
    scores = sorted(((v2.target_score(seed, u), u, k) for u, k in pairs),
                    key=lambda s: (v2.STRATA.index(s[2]), s[0]))
    return {"record": record, "ratios": ratios, "scores": scores, "witness": witness, "names": NAMES,
            "selected": {s["uscc"] for s in record["selections"]}, "steps": slot_steps(record, 3)}


def slot_steps(record: dict, targets: int) -> list[dict]:
    """The slots of the first `targets` targets of a one-department record, worked out literally."""
    seed = bytes.fromhex(record["draw_seed"])
    recused = {(r["cert_no"], r["uscc"]) for r in record["recusals"]}
    load = {i["cert_no"]: 0 for i in record["inspectors"]}
    steps = []
    for s in record["selections"][:targets]:
        uscc, group = s["uscc"], []
        for j in range(record["task"]["group_size"]):
            free = sorted(c for c in load if (c, uscc) not in recused and c not in group)
            low = min(load[c] for c in free)
            candidates = [c for c in free if load[c] == low]
            h = v2.slot_index(seed, uscc, j)
            group.append(candidates[h % len(candidates)])
            steps.append({"uscc": uscc, "j": j, "loads": dict(load), "in_group": group[:-1],
                          "recused": sorted(c for c, u in recused if u == uscc),
                          "candidates": candidates, "hmac": format(h, "064x"), "index": h % len(candidates),
                          "picked": group[-1]})
        for c in group:
            load[c] += 1
    return steps

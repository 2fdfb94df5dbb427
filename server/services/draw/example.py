"""The worked example on the public 抽取方法 page: a small draw computed by the real code."""
from __future__ import annotations

import functools
import hashlib

from server.services.draw import records, v1 as draw_v1
from server.services.registry.uscc import check_digit


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
    record = records.complete({
        "kind": "main", "selection_rule": "ratios",
        "task": {"code": "示例", "name": "示例任务", "ratios": ratios, "group_size": 2,
                 "departments": [{"code": "ZFD", "name": "执法大队"}]},
        "population_listing": draw_v1.canonical_listing(pairs), "server_seed": server_seed.hex(),
        "witness_entropy": witness, "recusals": [],
        "inspectors": [{"cert_no": f"1405220{n}", "department": "ZFD"} for n in (1, 2, 3)]},
        names={"14052201": "王一", "14052202": "李二", "14052203": "赵三"})
    seed = bytes.fromhex(record["draw_seed"])
    scores = sorted(((draw_v1.target_score(seed, u), u, k) for u, k in pairs),
                    key=lambda s: (draw_v1.STRATA.index(s[2]), s[0]))
    first = record["selections"][0]["uscc"]
    names = {i["cert_no"]: i["name"] for a in record["assignments"] for i in a["inspectors"]}
    inspector_scores = sorted((draw_v1.inspector_score(seed, first, i["cert_no"]), i["cert_no"],
                               names.get(i["cert_no"], "")) for i in record["inspectors"])
    return {"record": record, "ratios": ratios, "scores": scores, "first": first,
            "inspector_scores": inspector_scores, "witness": witness,
            "selected": {s["uscc"] for s in record["selections"]}}

"""A cooperating department's own draw of a joint task (联合抽查): the whole record — selection of every listed
target by HMAC score, one slot per target from the department's pool, the seal check and the digest — for a
province-sized joint task of 50,000 targets over a department of 200 inspectors, beside the initiating draw's
inspector assignment for the same 50,000 targets (spotcheck-draw-v2, 2,000 inspectors, groups of 2) measured in
the same run. Budget: the inspector assignment's (DESIGN §11, ≤ 1 s for 50,000 targets).

Run: `python -m tests.bench.bench_joint_draw`.
"""
from __future__ import annotations

import os
import time

from server.services.draw import records, sealing, v2

N_TARGETS, N_DEPT, N_MAIN = 50_000, 200, 2_000
SEED_HEX = bytes(range(32)).hex()
BUDGET_S = 1.0
ROUNDS = 3


def _uscc(n: int) -> str:
    return f"91140522{n:09d}X"


def department_inputs() -> dict:
    pairs = [(_uscc(i), v2.STRATA[i % 4]) for i in range(N_TARGETS)]
    listing = v2.canonical_listing(pairs)
    pool = [{"cert_no": f"14052299{i:06d}", "department": "SCJ"} for i in range(N_DEPT)]
    block = sealing.make_block("2026-01-01T00:00:00.000+00:00", v2.population_hash(listing), len(pairs),
                               v2.stratum_sizes(pairs), pool, [])
    task = {"code": "T", "name": "联合抽查", "type": "undirected", "items": [], "scope": {}, "ratios": {},
            "exclusion_months": 0, "group_size": 1, "departments": [{"code": "SCJ", "name": "县市场监督管理局"}],
            "department": {"code": "SCJ", "name": "县市场监督管理局"}, "period_start": "2026-01-01",
            "period_end": "2026-12-31", "reveal_seed_at_once": True}
    return {"kind": "department", "selection_rule": "all", "task": task, "population_listing": listing,
            "inspectors": pool, "recusals": [], "seal": block, "server_seed": SEED_HEX, "witness_entropy": "bench",
            "drawn_at": "2026-01-01T00:00:01.000+00:00", "parent_record_sha256": "0" * 64}


def main_assignment(walk: list[str]) -> float:
    pool = [v2.InspectorRef(f"14052200{i:06d}", ("ZFD", "YSG")[i % 2]) for i in range(N_MAIN)]
    seed = v2.draw_seed(bytes(range(32)), "bench")
    started = time.perf_counter()
    v2.assign_inspectors(seed, walk, pool, ["ZFD", "YSG"], 2)
    return time.perf_counter() - started


def main() -> None:
    inputs = department_inputs()
    walk = [_uscc(i) for i in range(N_TARGETS)]
    part, base = [], []
    for _ in range(ROUNDS):
        base.append(main_assignment(walk))
        started = time.perf_counter()
        record = records.complete(inputs, workers=min(2, os.cpu_count() or 1))
        part.append(time.perf_counter() - started)
    assert len(record["assignments"]) == N_TARGETS and not record["unstaffed"]
    figure, baseline = min(part), min(base)
    verdict = "OK" if figure <= BUDGET_S else "OVER BUDGET"
    print(f"department draw, {N_TARGETS:,} targets over {N_DEPT} inspectors (whole record): {figure:.2f} s "
          f"(baseline initiating-draw assignment, {N_TARGETS:,} targets × 2 over {N_MAIN:,}: {baseline:.2f} s; "
          f"budget ≤ {BUDGET_S:.0f} s) {verdict}  [load {os.getloadavg()[0]:.1f}]")


if __name__ == "__main__":
    main()

"""`python -m tests.bench [name …]`: run every benchmark module's main(), each printing its figures
beside a baseline measured in the same run. Benchmarks are not tests: they report, they don't assert."""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback

import tests.bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(tests.bench.__path__) if m.name.startswith("bench_"))
    wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in argv]
    failures = 0
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"tests.bench.{name}").main()
        except Exception:  # a broken benchmark is reported, the others still run
            failures += 1
            traceback.print_exc()
        print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run a benchmark on a throwaway SQLite file and on a throwaway PostgreSQL cluster, as an environment
variable (e.g. BENCH_STATS_DB=sqlite) chooses."""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Callable


def each(bench: Callable[[str, str], None], env: str, name: str) -> None:
    """bench(url, label) on SQLite, then on PostgreSQL; `env` lists which ("sqlite,postgresql" by default)."""
    from tests import pg

    which = os.environ.get(env, "sqlite,postgresql")
    if "sqlite" in which:
        tmp = tempfile.mkdtemp(prefix=f"{name}-db-")
        try:
            bench(f"sqlite:///{tmp}/bench.db", "SQLite")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if "postgresql" in which:
        bindir = pg.find_bindir()
        if bindir is None:
            print("PostgreSQL: skipped (no server binaries; apt-get install -y postgresql)")
            return
        cluster = pg.Cluster(bindir)
        cluster.start()
        try:
            bench(cluster.create_database(name.replace("-", "_")), "PostgreSQL")
        finally:
            cluster.stop()

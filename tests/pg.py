"""A throwaway PostgreSQL cluster for the tests: initdb in a temp folder, trust auth, loopback only."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile


def find_bindir() -> str | None:
    """The newest PostgreSQL server bin folder on this machine, or None."""
    for env in ("SPOTCHECK_PG_BINDIR",):
        if os.environ.get(env) and os.path.exists(os.path.join(os.environ[env], "initdb")):
            return os.environ[env]
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return os.path.dirname(candidates[-1])
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Start with `start()`, connect at `url(dbname)`, stop with `stop()`."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.tmp = tempfile.mkdtemp(prefix="spotcheck-pg-")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:  # initdb refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.tmp, "postgres")
        data = os.path.join(self.tmp, "data")
        self._run(os.path.join(self.bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        opts = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off " \
               f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        self._run(os.path.join(self.bindir, "pg_ctl"), "-D", data, "-l", os.path.join(self.tmp, "log"),
                  "-o", opts, "-w", "start")

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run(os.path.join(self.bindir, "pg_ctl"), "-D", os.path.join(self.tmp, "data"), "-m",
                      "immediate", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

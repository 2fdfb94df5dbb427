"""A real spotcheck server in a subprocess (gunicorn on 127.0.0.1) over a SQLite file, for crash and load tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from server import create_app
from server.extensions import db

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url: str, media_dir: str, seed) -> None:
    """Create the schema and run `seed(session)` in-process, then let go of the file."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "live-secret", "MEDIA_DIR": media_dir})
    with app.app_context():
        db.create_all()
        seed(db.session)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


class LiveServer:
    """gunicorn with `workers` sync workers; `kill()` is SIGKILL to the whole process group."""

    def __init__(self, url: str, media_dir: str, workers: int = 1, port: int | None = None):
        self.port = port or free_port()
        self.env = {**os.environ, "SPOTCHECK_DATABASE_URL": url, "SPOTCHECK_SECRET_KEY": "live-secret",
                    "SPOTCHECK_MEDIA_DIR": media_dir}
        self.workers, self.proc = workers, None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        cmd = [str(VENV_BIN / "gunicorn"), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
               "--no-control-socket", "--timeout", "60", "--log-level", "warning", "server:create_app()"]
        self.proc = subprocess.Popen(cmd, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + "/api/v1/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not start: " + (self.proc.stderr.read().decode() if self.proc.stderr else ""))

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

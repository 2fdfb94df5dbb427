"""The server process killed with SIGKILL in the middle of a push, then restarted: the client's retry
applies every mutation exactly once."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from sync.client import SyncClient, UrllibTransport
from tests.sync.live_server import LiveServer, prepare_database
from tests.sync.scenario import one_inspection

N = 500


@pytest.mark.slow
def test_sigkill_mid_push_then_restart_loses_and_doubles_nothing(tmp_path):
    url, media = f"sqlite:///{tmp_path / 'live.db'}", str(tmp_path / "media")
    prepare_database(url, media, one_inspection)
    server = LiveServer(url, media)
    server.start()
    client = SyncClient(UrllibTransport(server.base_url, timeout=10), str(tmp_path / "phone.sqlite"),
                        base_delay=0.2, max_delay=1.0, max_attempts=40, batch=N)
    try:
        client.login("wangjg", "password123", "王建国的手机")
        client.pull()
        for n in range(N):
            client.answer(1, 1 + n % 2, ("compliant", "noncompliant", "na")[n % 3], note=f"第 {n} 次核查")
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.setdefault("report", client.sync()))
        worker.start()
        time.sleep(0.25)  # the push of 500 mutations is under way
        server.kill()
        engine = create_engine(url)
        with engine.connect() as conn:
            outcome["after_kill"] = conn.execute(text("SELECT count(*) FROM checkpoint_answers")).scalar()
        server.start()
        worker.join(60)
        assert not worker.is_alive() and "report" in outcome
        with engine.connect() as conn:
            answers = conn.execute(text("SELECT count(*) FROM checkpoint_answers")).scalar()
            distinct = conn.execute(text("SELECT count(DISTINCT id) FROM checkpoint_answers")).scalar()
            logged = conn.execute(text("SELECT count(*), count(DISTINCT mutation_id) FROM sync_mutations")).one()
            last = conn.execute(text("SELECT last_mutation_id FROM sync_clients")).scalar()
        engine.dispose()
        print("answers committed when killed:", outcome["after_kill"], "client retries:", len(client.delays))
        assert outcome["after_kill"] in (0, N)  # the killed transaction left all or nothing
        assert answers == distinct == N and tuple(logged) == (N, N) and last == N
        assert client.store.pending_count() == 0 and client.receipt(1)[1] == []
    finally:
        server.stop()
        client.store.close()

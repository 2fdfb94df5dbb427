"""The reference client's durable state: one SQLite file holding the outbox, the journal of acknowledged
mutations, media, bundles and receipts, beside the client id and the counter (PROTOCOL.md §7).

Every write commits before the call returns, so a killed process loses nothing it had accepted. The
journal is kept for good (a server restored from a backup may ask for any of it again, §3.2).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL,
                                   created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS media (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL, uploaded INTEGER DEFAULT 0,
                                  failed_code TEXT);
CREATE TABLE IF NOT EXISTS sent (inspection_id INTEGER, kind TEXT, record_id TEXT, sha256 TEXT,
                                 PRIMARY KEY (inspection_id, kind, record_id));
CREATE TABLE IF NOT EXISTS heads (inspection_id INTEGER, checkpoint_id INTEGER, ids TEXT, local INTEGER,
                                  PRIMARY KEY (inspection_id, checkpoint_id));
CREATE TABLE IF NOT EXISTS bundles (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rejected (id INTEGER PRIMARY KEY, name TEXT, args TEXT, code TEXT, message TEXT);
CREATE TABLE IF NOT EXISTS journal (client_id TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL,
                                    args TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT,
                                    PRIMARY KEY (client_id, id));
CREATE TABLE IF NOT EXISTS receipts (inspection_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""


class Outbox:
    """Durable FIFO of mutations with ids counting up from 1, plus everything else a device keeps."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---- meta ----
    def get(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    # ---- the outbox ----
    def enqueue(self, name: str, args: dict, created_at: str, sent: list[tuple] = ()) -> int:
        """Append a mutation with the next id; `sent` rows name the records it carries (for the receipt)."""
        with self._tx():
            next_id = self.get("next_id", 1)
            self.db.execute("INSERT INTO outbox (id, name, args, created_at) VALUES (?, ?, ?, ?)",
                            (next_id, name, json.dumps(args, ensure_ascii=False), created_at))
            self.db.executemany("INSERT OR IGNORE INTO sent VALUES (?, ?, ?, ?)", sent)
            self.set("next_id", next_id + 1)
        return next_id

    def pending(self, limit: int) -> list[dict]:
        rows = self.db.execute("SELECT id, name, args, created_at FROM outbox ORDER BY id LIMIT ?", (limit,))
        return [{"id": i, "name": n, "args": json.loads(a), "created_at": c} for i, n, a, c in rows]

    def pending_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def ack(self, client_id: str, last_id: int, statuses: dict | None = None) -> None:
        """Move every mutation the server has consumed (ids up to `last_id`) from the outbox to the journal,
        and never number below it again."""
        with self._tx():
            rows = self.db.execute("SELECT id, name, args, created_at FROM outbox WHERE id <= ?", (last_id,)).fetchall()
            self.db.executemany("INSERT OR REPLACE INTO journal VALUES (?, ?, ?, ?, ?, ?)",
                                [(client_id, i, n, a, c, (statuses or {}).get(i, "applied")) for i, n, a, c in rows])
            self.db.execute("DELETE FROM outbox WHERE id <= ?", (last_id,))
            self.set("next_id", max(self.get("next_id", 1), last_id + 1))

    def requeue_from(self, client_id: str, first_id: int) -> int:
        """After the server lost data: the journaled mutations from `first_id` go back into the outbox."""
        with self._tx():
            rows = self.db.execute("SELECT id, name, args, created_at FROM journal WHERE client_id = ? AND id >= ?",
                                   (client_id, first_id)).fetchall()
            self.db.executemany("INSERT OR REPLACE INTO outbox (id, name, args, created_at) VALUES (?, ?, ?, ?)", rows)
            self.db.execute("DELETE FROM journal WHERE client_id = ? AND id >= ?", (client_id, first_id))
        return len(rows)

    def first_pending_id(self) -> int | None:
        return self.db.execute("SELECT min(id) FROM outbox").fetchone()[0]

    def reject(self, mutation: dict, code: str, message: str) -> None:
        """Keep a rejected mutation for the user; its record is no evidence the receipt must list."""
        args = mutation.get("args")
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?)",
                            (mutation["id"], mutation.get("name"), json.dumps(args, ensure_ascii=False), code, message))
            if isinstance(args, dict) and args.get("id"):
                self.db.execute("DELETE FROM sent WHERE record_id = ?", (str(args["id"]),))

    def rejected(self) -> list[dict]:
        rows = self.db.execute("SELECT id, name, args, code, message FROM rejected ORDER BY id")
        return [{"id": i, "name": n, "args": json.loads(a), "code": c, "message": m} for i, n, a, c, m in rows]

    # ---- media ----
    def add_media(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO media (sha256, data) VALUES (?, ?)", (sha, data))
        return sha

    def media_to_upload(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT sha256 FROM media WHERE uploaded = 0 AND failed_code IS NULL ORDER BY rowid")]

    def media_bytes(self, sha: str) -> bytes:
        return self.db.execute("SELECT data FROM media WHERE sha256 = ?", (sha,)).fetchone()[0]

    def mark_media(self, sha: str, *, failed_code: str | None = None) -> None:
        if failed_code:
            self.db.execute("UPDATE media SET failed_code = ? WHERE sha256 = ?", (failed_code, sha))
        else:
            self.db.execute("UPDATE media SET uploaded = 1 WHERE sha256 = ?", (sha,))

    # ---- records, heads, bundles, receipts ----
    def sent_records(self, inspection_id: int) -> list[tuple[str, str, str | None]]:
        return list(self.db.execute("SELECT kind, record_id, sha256 FROM sent WHERE inspection_id = ?",
                                    (inspection_id,)))

    def heads(self, inspection_id: int, checkpoint_id: int) -> list[str]:
        row = self.db.execute("SELECT ids FROM heads WHERE inspection_id = ? AND checkpoint_id = ?",
                              (inspection_id, checkpoint_id)).fetchone()
        return json.loads(row[0]) if row else []

    def set_heads(self, inspection_id: int, checkpoint_id: int, ids: list[str], *, local: bool) -> None:
        if not local:
            row = self.db.execute("SELECT local FROM heads WHERE inspection_id = ? AND checkpoint_id = ?",
                                  (inspection_id, checkpoint_id)).fetchone()
            if row and row[0] and self.pending_count():
                return  # an unsynced local answer is newer than what the server showed
        self.db.execute("INSERT OR REPLACE INTO heads VALUES (?, ?, ?, ?)",
                        (inspection_id, checkpoint_id, json.dumps(ids), int(local)))

    def put_bundle(self, bundle: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO bundles VALUES (?, ?)",
                        (bundle["id"], json.dumps(bundle, ensure_ascii=False)))

    def drop_bundle(self, inspection_id: int) -> None:
        self.db.execute("DELETE FROM bundles WHERE id = ?", (inspection_id,))

    def bundles(self) -> dict[int, dict]:
        return {i: json.loads(b) for i, b in self.db.execute("SELECT id, body FROM bundles ORDER BY id")}

    def put_receipt(self, receipt: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO receipts VALUES (?, ?)",
                        (receipt["inspection_id"], json.dumps(receipt, ensure_ascii=False)))

    def _tx(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False

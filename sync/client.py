"""The reference sync client: an inspector's phone in Python (tests, benchmarks, load tests, demos).

HTTP goes through an injectable transport (urllib by default; tests pass one over the Flask test
client, with faults). State is durable in a SQLite file (sync/outbox.py). The client follows
PROTOCOL.md §7: FIFO outbox, randomized exponential back-off, media before the mutations that name
them, and a receipt checked against everything the device sent.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from sync import PROTOCOL_VERSION
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, ATTACH_PHOTO, RECORD_ANSWER, RECORD_PARTY, START,
                           SUBMIT)
from sync.outbox import Outbox


class NetworkError(Exception):
    """The request did not get an answer (refused, reset, timed out)."""


class AuthRequired(Exception):
    """The token is missing, expired or revoked: log in again; the queue is kept."""

    def __init__(self, code: str, message: str):
        super().__init__(message or "登录已失效，请重新登录（未同步的记录会保留）")
        self.code = code


class SyncFailed(Exception):
    """A failure retries cannot fix (the server lost data, this client id belongs to someone else …)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


class UrllibTransport:
    """HTTP over urllib against `base_url` (e.g. http://127.0.0.1:5000)."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def request(self, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None) -> Response:
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return Response(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, dict(err.headers or {}), err.read() or b"")
        except (urllib.error.URLError, OSError) as err:
            raise NetworkError(str(err)) from err


@dataclass
class SyncReport:
    pushed: int = 0
    applied: int = 0
    late: int = 0
    duplicates: int = 0
    rejected: list = field(default_factory=list)
    media_uploaded: int = 0
    media_failed: list = field(default_factory=list)
    attempts: int = 0


class SyncClient:
    """One device of one user, with its durable outbox at `path`."""

    def __init__(self, transport, path: str, *, sleep=time.sleep, rng: random.Random | None = None,
                 max_attempts: int = 8, base_delay: float = 1.0, max_delay: float = 300.0, batch: int = 100,
                 clock=None):
        self.transport, self.store = transport, Outbox(path)
        self.sleep, self.rng = sleep, rng or random.Random()
        self.max_attempts, self.base_delay, self.max_delay, self.batch = max_attempts, base_delay, max_delay, batch
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc).astimezone())
        self.delays: list[float] = []

    # ---- session ----
    def login(self, username: str, password: str, device_name: str) -> dict:
        """Get a token; a new user on this install gets a new client id, the same user keeps theirs."""
        resp = self._call("POST", "/api/v1/auth/token", {"username": username, "password": password,
                                                         "device_name": device_name}, auth=False)
        if resp.status != 201:
            raise SyncFailed(*_error(resp))
        body = resp.json()
        if self.store.get("user_id") != body["user"]["id"]:
            if self.store.pending_count():
                raise SyncFailed("other_user", "本机还有其他用户未同步的记录，不能切换用户")
            self.store.set("client_id", str(uuid.uuid4()))
            self.store.set("user_id", body["user"]["id"])
            self.store.set("inspector_id", (body["user"].get("inspector") or {}).get("id"))
        self.store.set("token", body["token"])
        return body

    @property
    def client_id(self) -> str:
        return self.store.get("client_id")

    # ---- pull ----
    def pull(self) -> dict[int, dict]:
        """Fetch every changed bundle (all pages); returns the local bundles."""
        cursor, restarted = self.store.get("cursor"), False
        while True:
            path = "/api/v1/sync/pull" + (f"?cursor={cursor}" if cursor else "")
            resp = self._retrying(lambda: self._call("GET", path))
            body = resp.json()
            if resp.status == 400 and body and body.get("code") == "bad_cursor":
                cursor = None
                continue
            if resp.status != 200:
                raise SyncFailed(*_error(resp))
            self._take_page(body)
            cursor = body["cursor"]
            if body["more"]:
                continue
            self.store.set("cursor", cursor)
            known = set(self.store.bundles())
            for gone in known - set(body["assigned"]):
                self.store.drop_bundle(gone)
            if set(body["assigned"]) - known and not restarted:
                cursor, restarted = None, True  # an assignment we never saw: pull everything once
                continue
            return self.store.bundles()

    def _take_page(self, body: dict) -> None:
        self.store.set("reference", body["reference"])
        for b in body["inspections"]:
            self.store.put_bundle(b)
            for reg in b["record"]["registers"]:
                self.store.set_heads(b["id"], reg["checkpoint_id"], reg["heads"], local=False)
        for t in body["tombstones"]:
            self.store.drop_bundle(t["id"])

    # ---- recording (each call is durable before it returns) ----
    def _enqueue(self, name: str, args: dict, sent=()) -> int:
        return self.store.enqueue(name, args, self.clock().isoformat(), list(sent))

    def start(self, inspection_id: int) -> int:
        return self._enqueue(START, {"inspection_id": inspection_id, "started_at": self.clock().isoformat()})

    def answer(self, inspection_id: int, checkpoint_id: int, value: str, note: str = "") -> str:
        """Record an answer with `base` = the answers this device sees as current."""
        rid = str(uuid.uuid4())
        base = self.store.heads(inspection_id, checkpoint_id)
        self._enqueue(RECORD_ANSWER, {"id": rid, "inspection_id": inspection_id, "checkpoint_id": checkpoint_id,
                                      "answer": value, "note": note, "base": base},
                      [(inspection_id, "answer", rid, None)])
        self.store.set_heads(inspection_id, checkpoint_id, [rid], local=True)
        return rid

    def add_finding(self, inspection_id: int, description: str, *, checkpoint_id=None, legal_basis="",
                    rectification="", rectify_by=None) -> str:
        rid = str(uuid.uuid4())
        self._enqueue(ADD_FINDING, {"id": rid, "inspection_id": inspection_id, "checkpoint_id": checkpoint_id,
                                    "description": description, "legal_basis": legal_basis,
                                    "rectification": rectification, "rectify_by": rectify_by},
                      [(inspection_id, "finding", rid, None)])
        return rid

    def attach_photo(self, inspection_id: int, data: bytes, *, width: int, height: int, caption: str = "",
                     finding_id=None, checkpoint_id=None, latitude=None, longitude=None, accuracy_m=None) -> str:
        """Keep the photo's bytes locally, then queue its record (the file is uploaded before the push)."""
        sha, rid = self.store.add_media(data), str(uuid.uuid4())
        self._enqueue(ATTACH_PHOTO, {
            "id": rid, "inspection_id": inspection_id, "sha256": sha, "finding_id": finding_id,
            "checkpoint_id": checkpoint_id, "caption": caption, "taken_at": self.clock().isoformat(),
            "latitude": latitude, "longitude": longitude, "accuracy_m": accuracy_m, "width": width, "height": height,
            "bytes": len(data), "clock_offset_ms": self.store.get("clock_offset_ms")},
            [(inspection_id, "photo", rid, sha)])
        return rid

    def sign(self, inspection_id: int, png: bytes, *, role: str, name: str, inspector_id=None,
             digest: str | None = None) -> str:
        """Queue a signature; `digest` is what it covers (sync/signing.py over the content the signer saw)."""
        sha, rid = self.store.add_media(png), str(uuid.uuid4())
        self._enqueue(ADD_SIGNATURE, {"id": rid, "inspection_id": inspection_id, "sha256": sha, "signer_role": role,
                                      "signer_name": name, "inspector_id": inspector_id,
                                      "signed_at": self.clock().isoformat(), "digest": digest},
                      [(inspection_id, "signature", rid, sha)])
        return rid

    def record_party(self, inspection_id: int, name: str, **fields_) -> str:
        rid = str(uuid.uuid4())
        self._enqueue(RECORD_PARTY, {"id": rid, "inspection_id": inspection_id, "name": name, **fields_},
                      [(inspection_id, "party", rid, None)])
        return rid

    def submit(self, inspection_id: int, *, result_categories, methods, follow_ups, summary="") -> int:
        return self._enqueue(SUBMIT, {
            "inspection_id": inspection_id, "result_categories": list(result_categories), "methods": list(methods),
            "follow_ups": list(follow_ups), "summary": summary})

    # ---- sync ----
    def sync(self) -> SyncReport:
        """Upload media, then push the outbox FIFO in batches until it is empty (halving a batch the
        server finds too large)."""
        report = SyncReport()
        self._upload_media(report)
        size = self.batch
        while True:
            batch = self.store.pending(size)
            if not batch:
                return report
            if not self._push_batch(batch, report):
                size = max(1, size // 2)

    def _upload_media(self, report: SyncReport) -> None:
        for sha in self.store.media_to_upload():
            head = self._retrying(lambda: self._call("HEAD", f"/api/v1/media/{sha}"), expect_json=False)
            if head.status == 200:
                self.store.mark_media(sha)
                continue
            data = self.store.media_bytes(sha)
            resp = self._retrying(lambda: self._call("PUT", f"/api/v1/media/{sha}", raw=data,
                                                     content_type=_sniff(data)))
            if resp.status in (200, 201):
                self.store.mark_media(sha)
                report.media_uploaded += 1
            else:  # a permanent refusal (bad_image …): keep the bytes, report it, still push the records
                code, _ = _error(resp)
                self.store.mark_media(sha, failed_code=code)
                report.media_failed.append((sha, code))

    def _push_batch(self, batch: list[dict], report: SyncReport) -> bool:
        """Push one batch; False when the server found it too large (send fewer at a time)."""
        body = {"protocol": PROTOCOL_VERSION, "client_id": self.client_id, "mutations": batch}
        resp = self._retrying(lambda: self._call("POST", "/api/v1/sync/push", body))
        data = resp.json() or {}
        if resp.status == 413 and data.get("code") == "batch_too_large" and len(batch) > 1:
            return False
        if resp.status == 409 and data.get("code") == "mutation_gap":
            self._recover_gap(data, batch[0]["id"])
            return True
        if resp.status != 200:
            raise SyncFailed(*_error(resp))
        by_id = {m["id"]: m for m in batch}
        for r in data["results"]:
            report.pushed += 1
            if r["status"] == "rejected":
                self.store.reject(by_id[r["id"]], r["code"], r["message"])
                report.rejected.append((r["id"], r["code"]))
            else:
                key = {"applied": "applied", "late": "late", "duplicate": "duplicates"}[r["status"]]
                setattr(report, key, getattr(report, key) + 1)
        self.store.ack(self.client_id, data["last_applied_id"], {r["id"]: r["status"] for r in data["results"]})
        self._note_clock(data.get("server_time"))
        return True

    def _recover_gap(self, data: dict, first_id: int) -> None:
        """expected_id ahead of the batch: our acknowledgement was lost, those were applied. Behind it: the
        server lost data (a restore from a backup), so the journal goes back into the outbox from there."""
        expected = data["errors"]["expected_id"]
        if expected > first_id:
            self.store.ack(self.client_id, expected - 1)
            return
        self.store.requeue_from(self.client_id, expected)
        if self.store.first_pending_id() != expected:
            raise SyncFailed("mutation_gap", data.get("message", ""))

    def receipt(self, inspection_id: int) -> tuple[dict, list[str]]:
        """The server's receipt and what is wrong with it; an empty list means “证据已全部上传”."""
        resp = self._retrying(lambda: self._call("GET", f"/api/v1/inspections/{inspection_id}/receipt"))
        if resp.status != 200:
            raise SyncFailed(*_error(resp))
        receipt = resp.json()
        self.store.put_receipt(receipt)
        held = {e.get("record_id") or e["id"]: e for e in receipt["evidence"]}
        problems = [f"服务器缺少文件 {m['sha256'][:12]}" for m in receipt["missing"]]
        for kind, rid, sha in self.store.sent_records(inspection_id):
            entry = held.get(rid)
            if entry is None:
                problems.append(f"服务器没有记录 {kind} {rid}")
            elif sha and (entry.get("sha256") != sha or not entry.get("held")):
                problems.append(f"服务器未持有文件 {sha[:12]}")
        if self.store.pending_count():
            problems.append(f"还有 {self.store.pending_count()} 条记录未同步")
        return receipt, problems

    # ---- plumbing ----
    def _call(self, method: str, path: str, payload=None, *, raw: bytes | None = None, auth: bool = True,
              content_type: str = "application/json") -> Response:
        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.store.get('token', '')}"
        body = raw
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if body is not None:
            headers["Content-Type"] = content_type
        resp = self.transport.request(method, path, headers=headers, body=body)
        if resp.status == 401:
            raise AuthRequired(*_error(resp))
        return resp

    def _retrying(self, call, *, expect_json: bool = True) -> Response:
        """Retry network errors, 5xx and non-JSON answers (an HTML error page, a captive portal's 200)
        with full-jitter exponential back-off."""
        for attempt in range(self.max_attempts):
            try:
                resp = call()
                if not (resp.status >= 500 or (expect_json and resp.json() is None)):
                    return resp
            except NetworkError:
                pass
            delay = self.rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** attempt))
            self.delays.append(delay)
            self.sleep(delay)
        raise SyncFailed("unreachable", f"重试 {self.max_attempts} 次仍无法连接服务器，记录已保存在本机，稍后再同步")

    def _note_clock(self, server_time: str | None) -> None:
        if server_time:
            offset = self.clock() - dt.datetime.fromisoformat(server_time)
            self.store.set("clock_offset_ms", int(offset.total_seconds() * 1000))


def _error(resp: Response) -> tuple[str, str]:
    body = resp.json() or {}
    return body.get("code", f"http_{resp.status}"), body.get("message", "")


def _sniff(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"

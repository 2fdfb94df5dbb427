"""Error codes of the sync protocol: whole-request failures (SyncError) and per-mutation rejections."""
from __future__ import annotations


class SyncError(Exception):
    """A failure of the whole request: nothing was applied (PROTOCOL.md §3 step 1, 3, 5)."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or {}


class Transient(SyncError):
    """Worth retrying as it is (database busy, storage hiccup); the whole push was rolled back."""

    def __init__(self, message: str = "服务器暂时繁忙，未保存任何数据，请稍后自动重试"):
        super().__init__(503, "transient", message)


class Rejected(Exception):
    """A permanent failure of one mutation: recorded with its arguments, and the queue advances."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or {}


# Whole-request codes (HTTP status, code).
MALFORMED_JSON = (400, "malformed_json")
UNSUPPORTED_PROTOCOL = (400, "unsupported_protocol")
BATCH_TOO_LARGE = (413, "batch_too_large")
VALIDATION_ERROR = (422, "validation_error")
MUTATION_GAP = (409, "mutation_gap")
CLIENT_MISMATCH = (409, "client_mismatch")
BAD_CURSOR = (400, "bad_cursor")

# Per-mutation rejection codes (PROTOCOL.md §3.2).
REJECTION_CODES = (
    "unknown_mutation", "invalid_args", "not_found", "forbidden", "inspection_withdrawn",
    "unknown_checkpoint", "unknown_finding", "id_conflict", "incomplete_submission",
)

"""Expected failures the user can act on; no Flask imports."""
from __future__ import annotations


class AppError(Exception):
    """An expected failure the user can act on."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, errors: dict | list | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors or {}


class ValidationError(AppError):
    status, code = 422, "validation_error"


class NotFound(AppError):
    status, code = 404, "not_found"


class PermissionDenied(AppError):
    status, code = 403, "forbidden"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Conflict(AppError):
    status, code = 409, "conflict"


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"


class TransientError(AppError):
    """A failure worth retrying as it is (lock timeout, storage hiccup)."""

    status, code = 503, "transient"

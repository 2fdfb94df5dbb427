"""Fields shared by the reply schemas."""
from __future__ import annotations

from marshmallow import fields


class IsoText(fields.String):
    """A date or a time the service has already written as ISO 8601 text; None when not set."""

    def __init__(self, fmt: str = "date-time", **kwargs):
        super().__init__(allow_none=True, metadata={"format": fmt, **kwargs.pop("metadata", {})}, **kwargs)


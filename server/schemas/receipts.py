"""The signed receipt of one inspection (sync/PROTOCOL.md §6)."""
from __future__ import annotations

from marshmallow import Schema, fields

from server.schemas.fields import IsoText


class EvidenceSchema(Schema):
    """One piece of evidence; the file fields only for photos, signatures and late evidence with a file."""

    kind = fields.String(metadata={"enum": ["answer", "finding", "photo", "withdrawal", "signature", "party", "late"]})
    id = fields.Raw(metadata={"description": "the record's id (a UUID; an integer for late evidence)"})
    name = fields.String(metadata={"description": "late evidence: the mutation that arrived after the lock"})
    record_id = fields.String(allow_none=True, metadata={"description": "late evidence: the record id it carried"})
    sha256 = fields.String()
    held = fields.Boolean()
    bytes = fields.Integer(allow_none=True)
    photo_id = fields.String(metadata={"description": "withdrawal: the photo withdrawn"})
    withdrawn = fields.Boolean(metadata={"description": "photo: withdrawn (its file is not required)"})


class MissingFileSchema(Schema):
    kind = fields.String()
    id = fields.Raw()
    sha256 = fields.String()


class EvidenceCountsSchema(Schema):
    answers = fields.Integer()
    findings = fields.Integer()
    photos = fields.Integer()
    signatures = fields.Integer()
    party = fields.Integer()
    late = fields.Integer()


class ReceiptSchema(Schema):
    """Everything the server holds for the inspection, signed with HMAC-SHA256 over the other fields."""

    receipt_version = fields.Integer()
    inspection_id = fields.Integer()
    inspection_version = fields.Integer()
    status = fields.String()
    server_time = IsoText()
    complete = fields.Boolean()
    submitted = fields.Boolean()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    missing = fields.List(fields.Nested(MissingFileSchema))
    counts = fields.Nested(EvidenceCountsSchema)
    key_id = fields.String()
    signature = fields.String()

"""The replies of sync v1 (sync/PROTOCOL.md §2 and §3). The views send these from the dicts sync/
builds, without dumping them again: a pull page of 50 bundles is the API's largest reply."""
from __future__ import annotations

from marshmallow import Schema, fields

from server.schemas.bundles import InspectionBundleSchema
from server.schemas.fields import IsoText


class TombstoneSchema(Schema):
    id = fields.Integer()
    reason = fields.String(metadata={"enum": ["withdrawn", "unassigned"]})


class PullPageSchema(Schema):
    """One page of a pull: the bundles changed since the cursor; `assigned` on the last page only."""

    protocol = fields.Integer()
    server_time = IsoText()
    inspections = fields.List(fields.Nested(InspectionBundleSchema))
    tombstones = fields.List(fields.Nested(TombstoneSchema))
    reference = fields.Dict(metadata={"description": "vocabularies and settings (PROTOCOL.md §2.2)"})
    cursor = fields.String()
    more = fields.Boolean()
    assigned = fields.List(fields.Integer())


class MutationResultSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": ["applied", "late", "rejected", "duplicate"]})
    code = fields.String()
    message = fields.String()
    errors = fields.Dict()


class InspectionSummarySchema(Schema):
    id = fields.Integer()
    status = fields.String()
    version = fields.Integer()
    locked = fields.Boolean()
    has_conflicts = fields.Boolean()
    missing_media = fields.Integer()


class PushReplySchema(Schema):
    """What became of each mutation, and the state of each inspection they touched."""

    protocol = fields.Integer()
    client_id = fields.String()
    last_applied_id = fields.Integer()
    server_time = IsoText()
    results = fields.List(fields.Nested(MutationResultSchema))
    inspections = fields.List(fields.Nested(InspectionSummarySchema))

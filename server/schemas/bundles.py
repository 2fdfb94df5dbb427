"""The inspection bundle (sync/PROTOCOL.md §2.1): the whole current state of one inspection for its group.

Fields are declared in the order services.fieldwork.bundles writes them, so dumping a bundle through
these schemas gives the same JSON, byte for byte (tests/server/fieldwork/test_api_replies.py)."""
from __future__ import annotations

from marshmallow import Schema, fields

from server.schemas.fields import IsoText


class BundleTaskSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    task_type = fields.String()
    period_start = IsoText("date")
    period_end = IsoText("date")


class MemberSchema(Schema):
    inspector_id = fields.Integer()
    name = fields.String()
    cert_no = fields.String()
    department = fields.String()
    is_me = fields.Boolean()


class AnswerSchema(Schema):
    id = fields.String()
    checkpoint_id = fields.Integer()
    answer = fields.String()
    note = fields.String()
    base = fields.List(fields.String(), metadata={"description": "the answers this one replaces"})
    by = fields.String()
    created_at = IsoText()


class RegisterSchema(Schema):
    """A checkpoint's current answer; `conflict` when the group's answers disagree (several heads)."""

    checkpoint_id = fields.Integer()
    answer = fields.String()
    note = fields.String()
    winner = fields.String()
    heads = fields.List(fields.String())
    conflict = fields.Boolean()


class FindingSchema(Schema):
    id = fields.String()
    checkpoint_id = fields.Integer(allow_none=True)
    description = fields.String()
    legal_basis = fields.String()
    rectification = fields.String()
    rectify_by = IsoText("date")
    supersedes = fields.String(allow_none=True)
    superseded_by = fields.List(fields.String())
    reason = fields.String(allow_none=True)
    by = fields.String()
    created_at = IsoText()


class PhotoSchema(Schema):
    id = fields.String()
    sha256 = fields.String()
    finding_id = fields.String(allow_none=True)
    checkpoint_id = fields.Integer(allow_none=True)
    caption = fields.String()
    taken_at = IsoText()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    held = fields.Boolean(metadata={"description": "whether the server holds the file"})
    by = fields.String()
    withdrawn = fields.Boolean(metadata={"description": "withdrawn by photo.withdraw (kept on record, not counted)"})


class SignatureSchema(Schema):
    id = fields.String()
    sha256 = fields.String()
    signer_role = fields.String()
    signer_name = fields.String()
    inspector_id = fields.Integer(allow_none=True)
    signed_at = IsoText()
    held = fields.Boolean()
    digest = fields.String(allow_none=True, metadata={"description": "SHA-256 of the content signed (PROTOCOL §3.3)"})
    current = fields.Boolean(metadata={"description": "the signer's latest signature (re-signing replaces)"})


class PartySchema(Schema):
    id = fields.String()
    name = fields.String()
    position = fields.String()
    id_number = fields.String()
    phone = fields.String()
    refused_to_sign = fields.Boolean()
    absent = fields.Boolean(metadata={"description": "无人在场: nobody of the party was on site"})
    note = fields.String()
    created_at = IsoText()


class ResultSchema(Schema):
    result_categories = fields.List(fields.String())
    methods = fields.List(fields.String())
    follow_ups = fields.List(fields.String())
    summary = fields.String()
    submitted_at = IsoText()


class RecordSchema(Schema):
    """The group's recorded work."""

    started_at = IsoText()
    answers = fields.List(fields.Nested(AnswerSchema))
    registers = fields.List(fields.Nested(RegisterSchema))
    findings = fields.List(fields.Nested(FindingSchema))
    photos = fields.List(fields.Nested(PhotoSchema))
    signatures = fields.List(fields.Nested(SignatureSchema))
    party = fields.List(fields.Nested(PartySchema))
    result = fields.Nested(ResultSchema)
    late_evidence = fields.Integer(metadata={"description": "how many mutations arrived after the lock"})


class InspectionBundleSchema(Schema):
    """One inspection as its group's inspector sees it: state, task, target, checklist, group, record."""

    id = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    locked = fields.Boolean()
    mode = fields.String()
    due_date = IsoText("date")
    reviewer_note = fields.String()
    has_conflicts = fields.Boolean()
    changed_at = IsoText()
    task = fields.Nested(BundleTaskSchema)
    target = fields.Dict(metadata={"description": "the target as it was when drawn (name, uscc, address, …)"})
    checklist = fields.List(fields.Dict(), metadata={"description": "the checklist items with their checkpoints"})
    members = fields.List(fields.Nested(MemberSchema))
    record = fields.Nested(RecordSchema)

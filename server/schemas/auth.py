"""Device login: the token request and the token reply."""
from __future__ import annotations

from marshmallow import Schema, fields


class TokenRequestSchema(Schema):
    username = fields.String(required=True, error_messages={"required": "请填写用户名"})
    password = fields.String(required=True, error_messages={"required": "请填写密码"})
    device_name = fields.String(required=True, error_messages={"required": "请填写设备名称"})


class TokenInspectorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    cert_no = fields.String()


class TokenUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    inspector = fields.Nested(TokenInspectorSchema, allow_none=True)


class TokenSchema(Schema):
    """A new device token: send it as `Authorization: Bearer <token>` until `expires_at` (sliding)."""

    token = fields.String()
    token_type = fields.String(metadata={"enum": ["Bearer"]})
    expires_at = fields.DateTime()
    server_time = fields.DateTime()
    user = fields.Nested(TokenUserSchema)

"""marshmallow schemas of the JSON API: the wire contract of its requests and replies (OpenAPI at
/api/v1/openapi.json). Replies are written by server.api.auth.json_response (compact UTF-8)."""

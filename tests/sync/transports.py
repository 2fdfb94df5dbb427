"""Transports for the reference client in tests: over the Flask test client, with injectable faults."""
from __future__ import annotations

import io

from PIL import Image

from sync.client import NetworkError, Response


class FlaskTransport:
    """Sends the client's requests through a Flask test client; records every call."""

    def __init__(self, client):
        self.client, self.calls = client, []

    def request(self, method, path, *, headers=None, body=None):
        self.calls.append((method, path.split("?")[0]))
        resp = self.client.open(path, method=method, headers=headers or {}, data=body)
        return Response(resp.status_code, dict(resp.headers), resp.get_data())


class FaultyTransport:
    """Wraps a transport; `faults` is a list consumed per request: None, "drop_request" (never arrives),
    "drop_response" (the server acts, the answer is lost), "html_502" (a proxy's HTML error page)."""

    def __init__(self, inner, faults=()):
        self.inner, self.faults = inner, list(faults)

    def request(self, method, path, *, headers=None, body=None):
        fault = self.faults.pop(0) if self.faults else None
        if fault == "drop_request":
            raise NetworkError("connection refused")
        if fault == "html_502":
            return Response(502, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>")
        resp = self.inner.request(method, path, headers=headers, body=body)
        if fault == "drop_response":
            raise NetworkError("connection reset after the request was sent")
        return resp


def jpeg(seed: int = 0, size=(320, 240)) -> bytes:
    """A small real JPEG (as small as a photo may be), different for each seed."""
    im = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out.getvalue()


def png_signature(seed: int = 0) -> bytes:
    """A signature-like PNG: one dark stroke across a white pad (a lone dot is refused), different per seed."""
    from PIL import ImageDraw
    im = Image.new("L", (160, 60), 255)
    ImageDraw.Draw(im).line([(10 + seed % 20, 40), (60, 15), (150, 45 - seed % 10)], fill=0, width=3)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()

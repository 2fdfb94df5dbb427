"""Shared steps for the field-work tests: a group member's pushes, files and the content a signature covers."""
from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from PIL import Image, ImageDraw

from sync import signing
from tests.sync.harness import Device
from tests.sync.scenario import login, one_inspection


def signature_png(seed: int = 0, *, dot: bool = False) -> bytes:
    """A signature as the phone exports it: black strokes on a white pad (or, with dot, a 2-pixel dot)."""
    im = Image.new("RGB", (600, 240), "white")
    draw = ImageDraw.Draw(im)
    if dot:
        draw.point([(300 + seed, 120), (301 + seed, 120)], fill="black")
    else:
        draw.line([(40, 160), (120, 60), (200, 170), (300, 70), (420, 150), (540, 90 + seed)], fill="black", width=6)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def photo_jpeg(size=(800, 600), seed: int = 0) -> bytes:
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(im).rectangle([10 + seed, 10, 60 + seed, 60], fill=(200, 30, 30))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Phone:
    """One inspector's device against the test client: pushes, puts files, and knows what it signed."""

    def __init__(self, client, username: str, person: str):
        self.client, self.device = client, Device(person)
        self.auth = {"Authorization": f"Bearer {login(client, username, f'{username} 的手机')}"}

    def push(self, *mutations) -> list[dict]:
        resp = self.client.post("/api/v1/sync/push", headers=self.auth, json={
            "protocol": 1, "client_id": self.device.client_id, "mutations": list(mutations)})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()["results"]

    def put(self, data: bytes, kind: str | None = None):
        query = f"?kind={kind}" if kind else ""
        return self.client.put(f"/api/v1/media/{sha(data)}{query}", data=data, headers=self.auth)

    def m(self, mutation_name: str, **args) -> dict:
        return self.device.m(mutation_name, **args)

    def sign_off(self, inspection_id: int = 1, *, party: str | None = "赵志强", members=((1, "王建国"), (2, "李明")),
                 digest: str | None = None) -> list[dict]:
        """What a submit needs besides the judgements (sync/submit_rules.py): the party on site and the
        signatures of both members and the party (over `digest`; None binds nothing, so it is never stale)."""
        png = signature_png(7)
        self.put(png, "signature")
        muts = [self.m("party.record", id=str(uuid.uuid4()), inspection_id=inspection_id, name=party, position="经理",
                       phone="")] if party else []
        signers = [("inspector", name, iid) for iid, name in members] + ([("party", party, None)] if party else [])
        muts += [self.m("signature.add", id=str(uuid.uuid4()), inspection_id=inspection_id, sha256=sha(png),
                        signer_role=role, signer_name=name, inspector_id=who, signed_at="2024-05-06T09:20:00+08:00",
                        digest=digest) for role, name, who in signers]
        return self.push(*muts)

    def bundle(self, inspection_id: int = 1) -> dict:
        return self.client.get(f"/api/v1/inspections/{inspection_id}", headers=self.auth).get_json()

    def receipt(self, inspection_id: int = 1) -> dict:
        return self.client.get(f"/api/v1/inspections/{inspection_id}/receipt", headers=self.auth).get_json()


CONCLUSION = {"result_categories": ["02"], "methods": ["on_site"], "follow_ups": ["rectify"],
              "summary": "车辆技术档案不全，已责令改正"}


def digest_of(answers: dict, findings: list, conclusion: dict = CONCLUSION, inspection_id: int = 1) -> str:
    """What a phone signs: {checkpoint_id: (answer, note)}, the current findings' args, the conclusion."""
    return signing.digest(signing.content(
        inspection_id=inspection_id, answers=[{"checkpoint_id": k, "answer": a, "note": n} for k, (a, n) in answers.items()],
        findings=findings, **conclusion))


@pytest.fixture
def wang(client, session):
    """王建国's phone on inspection 1 of the one_inspection scenario (李明 is the other member)."""
    one_inspection(session)
    return Phone(client, "wangjg", "wang")

"""Signatures mean what they say: they cover a digest of what was signed (a submit over changed content is
refused, kept for the reviewer), re-signing replaces (the record, the receipt, the office page and the 笔录
show the current one; the old one stays as superseded evidence), and a dot is not a signature."""
from __future__ import annotations

from server.models.fieldwork import Signature
from server.models.inspections import Inspection
from server.models.sync import MutationLog
from server.services.documents import fieldwork_context
from tests import factories
from tests.server.fieldwork.conftest import CONCLUSION, digest_of, photo_jpeg, sha, signature_png
from tests.sync.harness import uid

FINDING = {"id": "5a1b2c3d-0000-4000-8000-00000000f001", "checkpoint_id": 2, "description": "车辆技术档案缺少审验记录",
           "legal_basis": "《道路运输车辆技术管理规定》第二十三条", "rectification": "限期补齐", "rectify_by": "2024-06-30"}


def _recorded(wang, answers=None):
    """Start, answer both checkpoints, one finding, the party; returns what the content's answers are."""
    answers = answers or {1: ("compliant", ""), 2: ("noncompliant", "缺审验记录")}
    wang.push(wang.m("inspection.start", inspection_id=1, started_at="2024-05-06T09:00:00+08:00"),
              *[wang.m("checkpoint.record", id=uid(), inspection_id=1, checkpoint_id=cp, answer=a, note=n, base=[])
                for cp, (a, n) in answers.items()],
              wang.m("finding.add", inspection_id=1, **FINDING),
              wang.m("party.record", id=uid(), inspection_id=1, name="赵志强", position="安全主管", phone="13903560000"))
    photo = photo_jpeg(seed=9)  # the 不符合 checkpoint's photo (sync/submit_rules.py)
    wang.put(photo, "photo")
    wang.push(wang.m("photo.attach", id=uid(), inspection_id=1, sha256=sha(photo), finding_id=FINDING["id"],
                     checkpoint_id=2, caption="档案", taken_at="2024-05-06T09:05:00+08:00", latitude=None,
                     longitude=None, accuracy_m=None, width=800, height=600, bytes=len(photo), clock_offset_ms=None))
    return answers


def _sign(wang, digest, *, role="party", name="赵志强", inspector_id=None, png=None, at="2024-05-06T09:10:00+08:00"):
    png = png or signature_png(int(at[14:16]) + (inspector_id or 0))
    assert wang.put(png, "signature").status_code in (200, 201)
    rid = uid()
    [result] = wang.push(wang.m("signature.add", id=rid, inspection_id=1, sha256=sha(png), signer_role=role,
                                signer_name=name, inspector_id=inspector_id, signed_at=at, digest=digest))
    return rid, result


def _sign_all(wang, digest, at="2024-05-06T09:10:00+08:00"):
    """The party and both members of the group sign (every signature a submit needs)."""
    for role, name, who in (("party", "赵志强", None), ("inspector", "王建国", 1), ("inspector", "李明", 2)):
        _sign(wang, digest, role=role, name=name, inspector_id=who, at=at)


def _submit(wang, conclusion=CONCLUSION):
    [result] = wang.push(wang.m("inspection.submit", inspection_id=1, **conclusion))
    return result


def test_a_submit_over_the_signed_content_locks_the_inspection(wang, session):
    answers = _recorded(wang)
    digest = digest_of(answers, [FINDING])
    assert _sign(wang, digest)[1]["status"] == "applied"
    assert _sign(wang, digest, role="inspector", name="王建国", inspector_id=1)[1]["status"] == "applied"
    assert _sign(wang, digest, role="inspector", name="李明", inspector_id=2)[1]["status"] == "applied"
    assert _submit(wang) == {"id": 10, "status": "applied"}
    assert session.get(Inspection, 1).status == "submitted"


def test_changing_an_answer_after_signing_makes_the_submit_refused_until_they_sign_again(wang, session):
    answers = _recorded(wang)
    signed = digest_of(answers, [FINDING])
    _sign_all(wang, signed)
    wang.push(wang.m("checkpoint.record", id=uid(), inspection_id=1, checkpoint_id=1, answer="compliant",
                     note="许可证在有效期内", base=[]))
    refused = _submit(wang)
    assert refused["status"] == "rejected" and refused["code"] == "signatures_stale"
    assert "当事人 赵志强" in refused["message"] and "重新签名" in refused["message"]
    assert session.get(Inspection, 1).status == "in_progress"  # nothing locked
    kept = session.query(MutationLog).filter_by(name="inspection.submit").one()
    assert kept.status == "rejected" and kept.code == "signatures_stale" and kept.args["summary"] == CONCLUSION["summary"]
    answers[1] = ("compliant", "许可证在有效期内")
    _sign_all(wang, digest_of(answers, [FINDING]), at="2024-05-06T09:20:00+08:00")  # 重新签名
    assert _submit(wang)["status"] == "applied"


def test_a_changed_conclusion_or_finding_also_makes_the_signatures_stale(wang):
    answers = _recorded(wang)
    _sign_all(wang, digest_of(answers, [FINDING]))
    assert _submit(wang, {**CONCLUSION, "summary": "改写的综述"})["code"] == "signatures_stale"
    wang.push(wang.m("finding.amend", id=uid(), inspection_id=1, finding_id=FINDING["id"], checkpoint_id=2,
                     description="缺 2 辆车的审验记录", legal_basis="", rectification="限期补齐", rectify_by=None,
                     reason="核实车辆数"))
    assert _submit(wang)["code"] == "signatures_stale"


def test_re_signing_replaces_the_signature_everywhere_and_keeps_the_old_one(wang, client, session, app, login):
    answers = _recorded(wang)
    digest = digest_of(answers, [FINDING])
    first, _ = _sign(wang, digest, png=signature_png(1), at="2024-05-06T09:10:00+08:00")
    second, _ = _sign(wang, digest, png=signature_png(2), at="2024-05-06T09:12:00+08:00")
    _sign(wang, digest, role="inspector", name="王建国", inspector_id=1)
    _sign(wang, digest, role="inspector", name="李明", inspector_id=2)
    assert _submit(wang)["status"] == "applied"
    sigs = {s["id"]: s["current"] for s in wang.bundle()["record"]["signatures"]}
    assert sigs[first] is False and sigs[second] is True and len(sigs) == 4
    receipt = wang.receipt()
    assert receipt["counts"]["signatures"] == 3  # three signers, not four signature records
    assert {first, second} <= {e["id"] for e in receipt["evidence"]}  # the replaced one is still evidence
    pdf = fieldwork_context.load_record(session, session.get(Inspection, 1))
    assert [s["sha256"] for s in pdf["signatures"] if s["signer_role"] == "party"] == [sha(signature_png(2))]
    assert session.query(Signature).count() == 4
    staff = factories.create_user(session, role="office")
    session.commit()
    page = login(staff).get("/office/inspections/1").get_data(as_text=True)
    assert "已被重新签名替换的签名（1，保留备查）" in page


def test_a_dot_is_refused_as_a_signature_at_upload_and_when_named(wang, session):
    dot = signature_png(dot=True)
    refused = wang.put(dot, "signature")
    assert refused.status_code == 422 and refused.get_json()["code"] == "signature_too_small"
    assert "签名笔迹太小" in refused.get_json()["message"]
    assert wang.put(dot).status_code == 201  # uploaded without saying it is a signature…
    _recorded(wang)
    [result] = wang.push(wang.m("signature.add", id=uid(), inspection_id=1, sha256=sha(dot), signer_role="party",
                                signer_name="赵志强", inspector_id=None, signed_at="2024-05-06T09:10:00+08:00",
                                digest=None))
    assert result["status"] == "rejected" and result["code"] == "signature_too_small"  # …it is refused when named
    assert session.query(Signature).count() == 0
    assert session.query(MutationLog).filter_by(code="signature_too_small").one().args["sha256"] == sha(dot)


def test_a_signature_file_that_comes_after_its_record_is_checked_as_a_signature(wang):
    _recorded(wang)
    dot = signature_png(dot=True)
    wang.push(wang.m("signature.add", id=uid(), inspection_id=1, sha256=sha(dot), signer_role="party",
                     signer_name="赵志强", inspector_id=None, signed_at="2024-05-06T09:10:00+08:00"))
    late_file = wang.put(dot)
    assert late_file.status_code == 422 and late_file.get_json()["code"] == "signature_too_small"


def test_a_photo_smaller_than_the_minimum_is_refused_with_the_reason(wang, app):
    small = photo_jpeg((64, 48))
    refused = wang.put(small, "photo")
    body = refused.get_json()
    assert refused.status_code == 422 and body["code"] == "photo_too_small"
    assert "64×48" in body["message"] and f"{app.config['PHOTO_MIN_SIDE_PX']} 像素" in body["message"]
    assert wang.put(small).status_code == 201
    [result] = wang.push(wang.m("photo.attach", id=uid(), inspection_id=1, sha256=sha(small), finding_id=None,
                                checkpoint_id=None, caption="缩略图", taken_at="2024-05-06T09:05:00+08:00",
                                latitude=None, longitude=None, accuracy_m=None, width=64, height=48,
                                bytes=len(small), clock_offset_ms=None))
    assert result["code"] == "photo_too_small"
    assert wang.put(photo_jpeg((320, 240)), "photo").status_code == 201
    assert wang.put(b"not an image", "selfie").status_code == 400


def test_the_pull_tells_the_phone_the_minimums_and_how_often_to_pull(client, wang, app):
    reference = client.get("/api/v1/sync/pull", headers=wang.auth).get_json()["reference"]
    assert reference["photo"]["min_side_px"] == app.config["PHOTO_MIN_SIDE_PX"] == 240
    assert reference["signature"] == {"min_ink_side_px": 40, "min_ink_pixels": 100}
    assert reference["sync"]["poll_seconds"] == 30

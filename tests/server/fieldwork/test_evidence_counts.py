"""The receipt counts what the inspection holds, as the inspector counts it (checkpoints answered, current
findings, photos not withdrawn, one signature per signer), and a photo taken by mistake can be withdrawn
before submitting without losing it: it stays on record, shown to the reviewer as withdrawn."""
from __future__ import annotations

from server.models.fieldwork import Photo, PhotoWithdrawal
from server.models.inspections import Inspection
from server.services.documents import fieldwork_context
from tests import factories
from tests.server.fieldwork.conftest import CONCLUSION, digest_of, photo_jpeg, sha, signature_png
from tests.sync.harness import uid


def _photo(wang, data, *, held=True):
    if held:
        assert wang.put(data, "photo").status_code == 201
    rid = uid()
    wang.push(wang.m("photo.attach", id=rid, inspection_id=1, sha256=sha(data), finding_id=None, checkpoint_id=2,
                     caption="现场", taken_at="2024-05-06T09:05:00+08:00", latitude=None, longitude=None,
                     accuracy_m=None, width=800, height=600, bytes=len(data), clock_offset_ms=None))
    return rid


def _answer(wang, cp, value, note=""):
    rid = uid()
    wang.push(wang.m("checkpoint.record", id=rid, inspection_id=1, checkpoint_id=cp, answer=value, note=note, base=[]))
    return rid


def test_the_receipt_counts_current_records_not_mutations(wang):
    first = [_answer(wang, 1, "compliant"), _answer(wang, 2, "compliant")]
    _answer(wang, 1, "compliant", "复核")  # the same checkpoint answered again, seeing nothing: still one
    wang.push(wang.m("checkpoint.record", id=uid(), inspection_id=1, checkpoint_id=2, answer="noncompliant",
                     note="缺档案", base=[first[1]]))
    finding = {"id": uid(), "checkpoint_id": 2, "description": "缺档案", "legal_basis": "", "rectification": "补齐",
               "rectify_by": None}
    amended = {**finding, "id": uid(), "description": "缺 2 辆车的档案"}
    wang.push(wang.m("finding.add", inspection_id=1, **finding),
              wang.m("finding.amend", inspection_id=1, finding_id=finding["id"], reason="核实", **amended))
    for n in (1, 2):
        wang.push(wang.m("party.record", id=uid(), inspection_id=1, name="赵志强", position=f"第{n}次", phone=""))
    digest = digest_of({1: ("compliant", "复核"), 2: ("noncompliant", "缺档案")}, [amended])
    for n, (role, name, who) in enumerate([("party", "赵志强", None), ("party", "赵志强", None),
                                           ("inspector", "王建国", 1), ("inspector", "李明", 2)]):
        png = signature_png(n)
        wang.put(png, "signature")
        wang.push(wang.m("signature.add", id=uid(), inspection_id=1, sha256=sha(png), signer_role=role, signer_name=name,
                         inspector_id=who, signed_at=f"2024-05-06T09:1{n}:00+08:00", digest=digest))
    _photo(wang, photo_jpeg(seed=1))
    mistake = _photo(wang, photo_jpeg(seed=2))
    wang.push(wang.m("photo.withdraw", id=uid(), inspection_id=1, photo_id=mistake, reason="拍错了对象"))
    assert wang.push(wang.m("inspection.submit", inspection_id=1, **CONCLUSION))[0]["status"] == "applied"
    counts = wang.receipt()["counts"]
    assert counts == {"answers": 2, "findings": 1, "photos": 1, "signatures": 3, "party": 1, "late": 0}


def test_a_withdrawn_photo_is_kept_shown_as_withdrawn_and_needs_no_file(wang, session, login):
    keep = _photo(wang, photo_jpeg(seed=1))
    never_uploaded = photo_jpeg(seed=3)
    mistake = _photo(wang, never_uploaded, held=False)
    [result] = wang.push(wang.m("photo.withdraw", id=(wid := uid()), inspection_id=1, photo_id=mistake,
                                reason="拍到了无关车辆"))
    assert result == {"id": result["id"], "status": "applied"}
    for cp in (1, 2):
        _answer(wang, cp, "compliant")
    wang.sign_off()
    wang.push(wang.m("inspection.submit", inspection_id=1, **{**CONCLUSION, "result_categories": ["01"],
                                                               "follow_ups": ["none"]}))
    assert session.get(Inspection, 1).status == "submitted"  # the withdrawn photo's file is not waited for
    receipt = wang.receipt()
    assert receipt["complete"] and receipt["missing"] == []
    by_id = {e["id"]: e for e in receipt["evidence"]}
    assert by_id[mistake]["withdrawn"] is True and "withdrawn" not in by_id[keep]
    assert by_id[wid] == {"kind": "withdrawal", "id": wid, "photo_id": mistake}
    photos = {p["id"]: p["withdrawn"] for p in wang.bundle()["record"]["photos"]}
    assert photos == {keep: False, mistake: True}
    assert session.query(Photo).count() == 2 and session.query(PhotoWithdrawal).count() == 1  # nothing dropped
    pdf = fieldwork_context.load_record(session, session.get(Inspection, 1))
    assert [p["id"] for p in pdf["photos"]] == [keep]
    staff = factories.create_user(session, role="office")
    session.commit()
    page = login(staff).get("/office/inspections/1").get_data(as_text=True)
    assert "检查人员已撤回（保留备查）" in page and "撤回原因：拍到了无关车辆" in page


def test_withdrawing_a_photo_of_another_inspection_or_after_the_submit(wang, session):
    [unknown] = wang.push(wang.m("photo.withdraw", id=uid(), inspection_id=1, photo_id=uid(), reason=""))
    assert unknown["status"] == "rejected" and unknown["code"] == "unknown_photo"
    photo = _photo(wang, photo_jpeg(seed=4))
    for cp in (1, 2):
        _answer(wang, cp, "compliant")
    wang.sign_off()
    wang.push(wang.m("inspection.submit", inspection_id=1, **{**CONCLUSION, "result_categories": ["01"]}))
    [late] = wang.push(wang.m("photo.withdraw", id=uid(), inspection_id=1, photo_id=photo, reason="提交后才发现"))
    assert late["status"] == "late" and session.query(PhotoWithdrawal).count() == 0

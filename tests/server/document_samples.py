"""Plain-dict contexts and evidence images for the document tests and benchmarks."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import uuid
from pathlib import Path

from PIL import Image, ImageDraw

from server import vocab
from server.services.documents import contexts

BUREAU = "阳城县交通运输局"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"


def save_image(media_dir, image: Image.Image, fmt: str = "JPEG") -> str:
    """Store an image content-addressed (media_dir/ab/abcdef…) and return its SHA-256."""
    buf = io.BytesIO()
    image.save(buf, fmt, **({"quality": 80} if fmt == "JPEG" else {}))
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(media_dir, sha[:2]), exist_ok=True)
    with open(os.path.join(media_dir, sha[:2], sha), "wb") as fh:
        fh.write(data)
    return sha


def photo(media_dir, n: int, size=(1600, 1200), *, grain: int = 0) -> str:
    """A striped test photo, different for each n; `grain` adds sensor-like noise (a phone-sized JPEG)."""
    im = Image.new("RGB", size, (40 + 45 * n % 200, 110, 150))
    if grain:
        noise = Image.effect_noise(size, grain).convert("RGB")
        im = Image.blend(im, noise, 0.35)
    d = ImageDraw.Draw(im)
    for x in range(0, size[0], 90):
        d.line([(x, 0), (size[0] - x, size[1])], fill=(255, 255, 255), width=4)
    d.rectangle([40, 40, 400, 160], fill=(255, 255, 255))
    return save_image(media_dir, im)


def signature(media_dir, n: int) -> str:
    """A transparent PNG with a pen stroke, different for each n."""
    im = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    d = ImageDraw.Draw(im)
    d.line([(20, 150), (150 + 20 * n, 40), (300, 160), (560, 50 + 10 * n)], fill=(0, 0, 0, 255), width=7)
    return save_image(media_dir, im, "PNG")


def record_context(media_dir, *, photos: int = 4, finding: str | None = None, checkpoints: int = 3) -> dict:
    """A complete 笔录 context: two inspectors, a party, two items, one finding, signatures, photos."""
    shas = [photo(media_dir, i) for i in range(photos)]
    return {
        "bureau": BUREAU,
        "doc": {"kind": "record", "title": "现场检查笔录", "number": "T20240001-003",
                "status_label": "文书状态：已审核，2024-05-06", "draft": False, "draft_label": ""},
        "task": {"code": "T20240001", "name": "2024年道路普通货物运输经营者双随机抽查", "type_label": "不定向抽查",
                 "period_start": "2024-04-01", "period_end": "2024-10-31"},
        "target": {"name": "阳城县顺达货物运输有限公司", "uscc": "91140522MA0K2QXA4L",
                   "address": "阳城县凤城镇新阳东街88号", "legal_rep": "李建国", "contact_name": "王小红",
                   "contact_phone": "13800001234", "category_label": "道路普通货物运输",
                   "latitude": 35.4864, "longitude": 112.4157},
        "time": {"start": "2024-05-03T01:30:00+00:00", "end": "2024-05-03T02:45:00+00:00"},
        "place": "阳城县凤城镇新阳东街88号（公司停车场及办公室）",
        "inspectors": [
            {"inspector_id": 1, "name": "张伟", "cert_no": "14052200001", "department": "运输执法一中队", "phone": ""},
            {"inspector_id": 2, "name": "刘洋", "cert_no": "14052200002", "department": "运输执法一中队", "phone": ""}],
        "party": {"name": "王小红", "title": "安全主管", "relation": "员工", "id_no": "", "phone": "13800001234",
                  "refusal_note": ""},
        "answer_options": vocab.CheckpointAnswer.choices(),
        "items": [
            {"no": 1, "item_id": 1, "code": "JT-001", "name": "道路普通货物运输经营许可的监督检查",
             "legal_basis": "《道路运输条例》第五十九条", "kind_label": "一般", "method_labels": ["实地检查"],
             "result_labels": ["发现问题已责令改正"], "department": "",
             "checkpoints": [{"id": 10 + i, "seq": i, "text": f"检查要点甲{i}：车辆技术档案是否齐全",
                              "answer": ("compliant", "noncompliant", "na")[i % 3], "note": ""}
                             for i in range(1, checkpoints + 1)]},
            {"no": 2, "item_id": 2, "code": "JT-002", "name": "道路运输从业人员资格检查",
             "legal_basis": "《道路运输从业人员管理规定》", "kind_label": "重点", "method_labels": ["书面检查"],
             "result_labels": [], "department": "阳城县市场监督管理局",
             "checkpoints": [{"id": 30, "seq": 1, "text": "驾驶员是否持有效从业资格证", "answer": "compliant", "note": ""}]},
        ],
        "findings": [{"no": 1, "item_name": "道路普通货物运输经营许可的监督检查", "checkpoint_text": "车辆技术档案是否齐全",
                      "description": finding if finding is not None else "2辆营运货车缺少二级维护记录",
                      "legal_basis": "《道路运输车辆技术管理规定》第二十条",
                      "rectification_order": "责令补齐车辆技术档案", "rectification_deadline": "2024-05-18",
                      "photo_nos": [1, 2][:photos]}],
        "options": contexts.options(),
        "conclusion": {"results": ["02"], "methods": ["on_site", "document"], "follow_ups": ["rectify"],
                       "summary": "该公司车辆技术档案不全，已当场责令限期整改。"},
        "signatures": [
            {"role": "party", "role_label": "现场人员签名", "name": "王小红", "sha256": signature(media_dir, 1),
             "signed_at": "2024-05-03T02:44:00+00:00"},
            {"role": "inspector", "role_label": "执法人员", "name": "张伟", "sha256": signature(media_dir, 2),
             "signed_at": "2024-05-03T02:45:00+00:00"},
            {"role": "inspector", "role_label": "执法人员", "name": "刘洋", "sha256": signature(media_dir, 3),
             "signed_at": "2024-05-03T02:45:30+00:00"}],
        "photos": [{"no": i + 1, "sha256": s, "sha12": s[:12], "taken_at": "2024-05-03T01:40:00+00:00",
                    "latitude": 35.4864 + i / 10000, "longitude": 112.4157, "accuracy": 8.0,
                    "caption": f"现场照片{i + 1}", "finding_no": 1 if i < 2 else None} for i, s in enumerate(shas)],
        "receipt": {"ref": "R-3f9a2b7c1d0e", "complete": True, "server_time": "2024-05-03T03:10:00+00:00",
                    "missing_count": 0},
        "late_evidence": 0,
    }


def pdftotext(data: bytes, tmp_path, *args: str) -> str:
    """The text of a PDF as poppler's pdftotext reads it."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", *args, str(path), "-"], check=True, capture_output=True).stdout.decode()


def squeeze(text: str) -> str:
    """Text with all whitespace removed, so CJK lines broken anywhere still match."""
    return "".join(text.split())


def save_pages(name: str, data: bytes, resolution: int = 60) -> list[Path]:
    """Keep the PDF and its pages as PNGs under test-artifacts/pdf/ for a visual check."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(data)
    for old in ARTIFACTS.glob(f"{name}-[0-9]*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
                   check=True)
    return sorted(ARTIFACTS.glob(f"{name}-[0-9]*.png"))


def sync_a_whole_inspection(client, inspection, token: str, media_dir: str, photos: list[str] | None = None,
                            sigs: list[str] | None = None) -> list[str]:
    """Upload 4 photos and 2 signatures (unless given, already uploaded), then push a complete inspection."""
    auth = {"Authorization": f"Bearer {token}"}
    if photos is None:
        photos = [photo(media_dir, n) for n in range(4)]
        sigs = [signature(media_dir, n) for n in range(2)]
        for sha in photos + sigs:
            with open(os.path.join(media_dir, sha[:2], sha), "rb") as fh:
                resp = client.put(f"/api/v1/media/{sha}", data=fh.read(), headers=auth)
            assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    cps = [cp["id"] for it in inspection.checklist_snapshot for cp in it["checkpoints"]]
    when = "2024-05-03T01:30:00+00:00"
    fid = str(uuid.uuid4())
    args = [("inspection.start", {"inspection_id": inspection.id, "started_at": when})]
    args += [("checkpoint.record", {"id": str(uuid.uuid4()), "inspection_id": inspection.id, "checkpoint_id": cp,
                                    "answer": ["compliant", "noncompliant"][n] if n < 2 else "na", "note": "", "base": []})
             for n, cp in enumerate(cps)]
    args.append(("finding.add", {"id": fid, "inspection_id": inspection.id, "checkpoint_id": cps[1],
                                 "description": "2辆营运货车缺少二级维护记录<script>", "rectify_by": "2024-05-18",
                                 "legal_basis": "《道路运输车辆技术管理规定》第二十条", "rectification": "限期补齐"}))
    args += [("photo.attach", {"id": str(uuid.uuid4()), "inspection_id": inspection.id, "sha256": sha,
                               "finding_id": fid if n < 2 else None, "checkpoint_id": cps[1], "caption": f"照片说明{n}",
                               "taken_at": when, "latitude": 35.4864, "longitude": 112.4157, "accuracy_m": 5.0,
                               "width": 1600, "height": 1200, "bytes": 1000, "clock_offset_ms": 0})
             for n, sha in enumerate(photos)]
    args.append(("party.record", {"id": str(uuid.uuid4()), "inspection_id": inspection.id, "name": "赵志强",
                                  "position": "经理", "id_number": "", "phone": "13900000009",
                                  "refused_to_sign": False, "note": ""}))
    args.append(("signature.add", {"id": str(uuid.uuid4()), "inspection_id": inspection.id, "sha256": sigs[0],
                                   "signer_role": "party", "signer_name": "赵志强", "inspector_id": None,
                                   "signed_at": when}))
    args += [("signature.add", {"id": str(uuid.uuid4()), "inspection_id": inspection.id, "sha256": sigs[1],
                                "signer_role": "inspector", "signer_name": m.inspector.name,
                                "inspector_id": m.inspector_id, "signed_at": when})
             for m in inspection.active_members]  # every member of the group signs (sync/submit_rules.py)
    args.append(("inspection.submit", {"inspection_id": inspection.id, "result_categories": ["02"],
                                       "methods": ["on_site"], "follow_ups": ["rectify"], "summary": "已责令改正"}))
    mutations = [{"id": n, "name": name, "args": a, "created_at": when} for n, (name, a) in enumerate(args, start=1)]
    resp = client.post("/api/v1/sync/push", json={"protocol": 1, "client_id": str(uuid.uuid4()),
                                                  "mutations": mutations}, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert client.get(f"/api/v1/inspections/{inspection.id}/receipt", headers=auth).get_json()["complete"] is True
    return photos

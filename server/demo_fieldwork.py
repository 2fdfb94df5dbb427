"""Demo field work: one inspection recorded and submitted in a hurry by a demo inspector's phone, through the
same sync push a phone makes, so that 结果审核 shows its quality flags (检查用时过短, 照片没有定位, 照片拍摄时间不在
检查时段内) to acknowledge before approving. Part of `spotcheck load-demo` (server/commands/demo.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from PIL import Image, ImageDraw

from server.models.accounts import User
from server.models.inspections import Inspection, InspectionMember
from server.services.fieldwork import media_store
from server.services.fieldwork.media_rules import MediaLimits
from server.services.fieldwork.sync_store import SqlSyncStore
from server.services.kernel.workdays import LOCAL_TZ
from sync.push import handle_push

INSPECTOR = "lizhiqiang"  # 李志强, a demo inspector with work waiting


def _image(kind: str) -> bytes:
    """A photo-sized JPEG of a shop front, or a PNG signature stroke."""
    out = io.BytesIO()
    if kind == "photo":
        im = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
        ImageDraw.Draw(im).rectangle([200, 150, 600, 450], fill=(150, 40, 40))
        im.save(out, "JPEG", quality=80)
    else:
        im = Image.new("RGB", (400, 160), "white")
        ImageDraw.Draw(im).line([(30, 110), (90, 40), (160, 120), (240, 50), (360, 100)], fill="black", width=5)
        im.save(out, "PNG")
    return out.getvalue()


def submit_hurried_inspection(session: Session, config) -> int:
    """Record and submit one of 李志强's inspections in three minutes; returns how many were submitted (0 or 1)."""
    user = session.scalar(select(User).where(User.username == INSPECTOR, User.role == "inspector"))
    if user is None:
        return 0
    insp = session.scalar(select(Inspection).join(InspectionMember, InspectionMember.inspection_id == Inspection.id)
                          .where(InspectionMember.inspector_id == user.inspector_id, InspectionMember.active.is_(True),
                                 Inspection.status == "assigned").order_by(Inspection.id).limit(1))
    if insp is None:
        return 0
    store = media_store.store_for(config)
    files = {"photo": _image("photo"), "signature": _image("signature")}
    sha = {}
    for kind, data in files.items():
        sha[kind] = hashlib.sha256(data).hexdigest()
        media_store.ingest(session, user, store, sha[kind], data, max_bytes=config["MEDIA_MAX_BYTES"],
                           max_pixels=config["MEDIA_MAX_PIXELS"], kind=kind, limits=MediaLimits.from_config(config))
    # An hour ago by the phone's clock (never ahead of the server's, which would be a flag of its own).
    start = (dt.datetime.now(LOCAL_TZ) - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    muts: list[dict] = []

    def m(mutation: str, minutes: float, **args) -> None:
        muts.append({"id": len(muts) + 1, "name": mutation, "created_at": (start + dt.timedelta(minutes=minutes)).isoformat(),
                     "args": {"inspection_id": insp.id, **args}})

    m("inspection.start", 0, started_at=start.isoformat())
    for item in insp.checklist_snapshot or []:
        for cp in item.get("checkpoints", []):
            m("checkpoint.record", 1, id=str(uuid.uuid4()), checkpoint_id=cp["id"], answer="compliant", note="", base=[])
    m("photo.attach", 2, id=str(uuid.uuid4()), sha256=sha["photo"], finding_id=None, checkpoint_id=None,
      caption="经营场所门头", taken_at=(start - dt.timedelta(hours=1)).isoformat(), latitude=None, longitude=None,
      accuracy_m=None, width=800, height=600, bytes=len(files["photo"]), clock_offset_ms=0)
    m("party.record", 2, id=str(uuid.uuid4()), name="王海军", position="负责人", phone="13903561234")
    for member in insp.active_members:
        m("signature.add", 3, id=str(uuid.uuid4()), sha256=sha["signature"], signer_role="inspector",
          signer_name=member.inspector.name, inspector_id=member.inspector_id, signed_at=start.isoformat(), digest=None)
    m("signature.add", 3, id=str(uuid.uuid4()), sha256=sha["signature"], signer_role="party", signer_name="王海军",
      inspector_id=None, signed_at=start.isoformat(), digest=None)
    m("inspection.submit", 3, result_categories=["01"], methods=["on_site"], follow_ups=["none"], summary="未发现问题")
    body = json.dumps({"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": muts}).encode()
    resp = handle_push(SqlSyncStore(session, config), user, body, max_batch=config["SYNC_MAX_BATCH"])
    return int(resp["inspections"][0]["status"] == "submitted")

"""书面检查: the documents a target sent are uploaded as PDF or images, checked like photos and content-addressed;
the 告知书 says what to send and by when; the record is titled for the method."""
from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from server.models.fieldwork import MediaFile, Photo
from server.services.documents import contexts
from server.services.kernel.workdays import add_workdays, local_date
from tests.factories import create_inspection, create_user
from tests.server.images import image_bytes


def _pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _desk(session, mode="document"):
    insp = create_inspection(session, mode=mode)
    user = create_user(session, role="inspector", inspector_id=insp.members[0].inspector_id)
    session.commit()
    return insp, user


def _upload(client, insp, name, data, mime):
    return client.post(f"/office/desk/{insp.id}/evidence", data={"caption": "", "files": (io.BytesIO(data), name, mime)},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def test_a_pdf_the_target_sent_is_stored_by_its_hash_and_opens_as_a_pdf(client, session, login):
    insp, user = _desk(session)
    login(user)
    data = _pdf(3)
    page = _upload(client, insp, "经营台账.pdf", data, "application/pdf")
    assert "已上传 1 份材料" in page
    sha = hashlib.sha256(data).hexdigest()
    media = session.get(MediaFile, sha)
    assert (media.format, media.pages) == ("PDF", 3)
    assert session.scalar(select(Photo.caption).where(Photo.inspection_id == insp.id, Photo.sha256 == sha)) == "经营台账.pdf"
    resp = client.get(f"/office/media/{sha}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data == data
    assert client.get(f"/office/media/{sha}/thumb").mimetype == "image/jpeg"  # a stand-in page for the lists


def test_a_broken_pdf_or_a_thumbnail_sized_image_is_refused_in_chinese_and_nothing_is_kept(client, session, login):
    insp, user = _desk(session)
    login(user)
    data = _pdf()
    cut = data[: len(data) // 2]
    assert "PDF 文件不完整（上传可能被中断），请重新上传" in _upload(client, insp, "cut.pdf", cut, "application/pdf")
    tiny = image_bytes("PNG", size=(64, 48))
    assert "照片太小（64×48 像素）" in _upload(client, insp, "tiny.png", tiny, "image/png")
    assert "文件不是有效的图片" in _upload(client, insp, "note.txt", b"hello", "text/plain")
    assert session.scalar(select(func.count(Photo.id)).where(Photo.inspection_id == insp.id)) == 0
    assert session.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_the_notice_of_a_desk_inspection_says_what_to_send_and_by_when(session):
    insp, _ = _desk(session)
    ctx = contexts.notice_context(session, insp, "阳城县交通运输局")
    issued = local_date(insp.created_at)
    assert ctx["mode"] == "document"
    assert ctx["submit_by"] == min(add_workdays(issued, 10), insp.task.period_end).isoformat()
    assert ctx["materials"]
    online, _ = _desk(session, mode="online")
    assert contexts.notice_context(session, online, "阳城县交通运输局")["submit_by"] is None
    assert contexts.record_context(session, insp, "阳城县交通运输局")["doc"]["title"] == "书面检查记录"


def test_the_notice_pdf_of_a_desk_inspection_reads_as_a_desk_notice(client, session, login):
    insp, _ = _desk(session)
    office = create_user(session, role="office")
    session.commit()
    login(office)
    resp = client.get(f"/office/inspections/{insp.id}/notice.pdf")
    assert resp.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages).replace(" ", "").replace("\n", "")
    assert "检查方式：书面检查" in text and "需要报送的材料" in text and "按不配合检查处理" in text

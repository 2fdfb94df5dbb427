"""Content-addressed media: a small store interface, its filesystem implementation, and the checked upload."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod

from sqlalchemy.orm import Session

from server import imaging, pdf_files
from server.errors import AppError, ValidationError
from server.models.fieldwork import MediaFile
from server.services.fieldwork import media_rules, mutations, submit
from server.services.fieldwork.media_rules import MediaLimits
from server.services.kernel import audit

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class MediaStore(ABC):
    """Where image bytes live, by SHA-256; writes are all-or-nothing."""

    @abstractmethod
    def has(self, sha256: str, *, thumb: bool = False) -> bool:
        """Whether the file (or its thumbnail) is stored."""

    @abstractmethod
    def put(self, sha256: str, data: bytes, *, thumb: bool = False) -> None:
        """Store bytes atomically (a reader never sees half a file)."""

    @abstractmethod
    def get(self, sha256: str, *, thumb: bool = False) -> bytes:
        """The stored bytes (FileNotFoundError when absent)."""


class FilesystemMediaStore(MediaStore):
    """Files under `root/ab/<sha256>` and thumbnails under `root/thumbs/ab/<sha256>.jpg`."""

    def __init__(self, root: str):
        self.root = root

    def path(self, sha256: str, *, thumb: bool = False) -> str:
        if not SHA256_RE.match(sha256):
            raise ValueError("not a sha256")
        if thumb:
            return os.path.join(self.root, "thumbs", sha256[:2], sha256 + ".jpg")
        return os.path.join(self.root, sha256[:2], sha256)

    def has(self, sha256: str, *, thumb: bool = False) -> bool:
        return os.path.exists(self.path(sha256, thumb=thumb))

    def put(self, sha256: str, data: bytes, *, thumb: bool = False) -> None:
        target = self.path(sha256, thumb=thumb)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if not thumb:  # a thumbnail can be made again; the evidence itself must be on disk
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def get(self, sha256: str, *, thumb: bool = False) -> bytes:
        with open(self.path(sha256, thumb=thumb), "rb") as fh:
            return fh.read()


def store_for(config) -> MediaStore:
    """The configured media store (the filesystem under MEDIA_DIR)."""
    return FilesystemMediaStore(config["MEDIA_DIR"])


def check_hash_format(sha256: str) -> None:
    """Refuse anything but 64 lowercase hex characters (names are never user paths)."""
    if not SHA256_RE.match(sha256 or ""):
        raise AppError("文件名应为 64 位小写十六进制 SHA-256", code="bad_hash", status=400)


def too_large(size: int, max_bytes: int) -> AppError:
    """The payload_too_large error for a body of `size` bytes."""
    return AppError(f"文件过大（{size / 1_048_576:.1f} MB），上限为 {max_bytes // 1_048_576} MB，请压缩后重新上传",
                    code="payload_too_large", status=413)


def ingest(session: Session, actor, store: MediaStore, sha256: str, data: bytes, *, max_bytes: int,
           max_pixels: int, kind: str | None = None, limits: MediaLimits | None = None,
           pdf_allowed: bool = False) -> tuple[MediaFile, bool]:
    """Check and store one uploaded image; returns (the media row, whether it is new). Idempotent.

    With `limits`, a file that is a photo or a signature (by `kind`, else by a record that already names it)
    must also pass that kind's minimum (media_rules). With `pdf_allowed` (the documents a target sent for a
    书面检查), a PDF is accepted too, parsed whole first (server/pdf_files.py)."""
    check_hash_format(sha256)
    if kind is not None and kind not in media_rules.KINDS:
        raise AppError("kind 应为 photo（照片）或 signature（签名）", code="bad_request", status=400)
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    if not data:
        raise AppError("没有收到文件内容，请重新上传", code="empty_body", status=400)
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ValidationError("文件内容与其 SHA-256 不符（可能传输中损坏），请重新上传", code="hash_mismatch",
                              errors={"actual": actual})
    row = session.get(MediaFile, sha256)
    if row is not None and store.has(sha256):
        return row, False
    if pdf_allowed and pdf_files.is_pdf(data):
        return _ingest_pdf(session, actor, store, sha256, data, row), row is None
    try:
        info, thumb = imaging.verify_and_thumbnail(data, max_pixels=max_pixels)
    except imaging.ImageRejected as err:
        raise ValidationError(err.message, code=err.code) from None
    if limits is not None:
        _check_kind(session, sha256, info, kind or named_as(session, sha256), limits)
    store.put(sha256, thumb, thumb=True)
    store.put(sha256, data)
    created = row is None
    if created:
        ink = info.ink
        row = MediaFile(sha256=sha256, byte_size=len(data), format=info.format, width=info.width,
                        height=info.height, uploaded_by_id=getattr(actor, "id", None),
                        ink_width=ink.width if ink else None, ink_height=ink.height if ink else None,
                        ink_pixels=ink.pixels if ink else None)
        session.add(row)
        session.flush()
        audit.record(session, actor, "media.upload", object_type="media_files", object_id=sha256,
                     detail={"bytes": len(data), "format": info.format, "size": [info.width, info.height]})
    submit.complete_waiting(session, actor, sha256)
    return row, created


def _ingest_pdf(session: Session, actor, store: MediaStore, sha256: str, data: bytes, row: MediaFile | None
                ) -> MediaFile:
    try:
        info = pdf_files.inspect(data)
    except pdf_files.PdfRejected as err:
        raise ValidationError(err.message, code=err.code) from None
    store.put(sha256, pdf_files.thumbnail(info), thumb=True)
    store.put(sha256, data)
    if row is None:
        row = MediaFile(sha256=sha256, byte_size=len(data), format="PDF", width=info.width, height=info.height,
                        pages=info.pages, uploaded_by_id=getattr(actor, "id", None))
        session.add(row)
        session.flush()
        audit.record(session, actor, "media.upload", object_type="media_files", object_id=sha256,
                     detail={"bytes": len(data), "format": "PDF", "pages": info.pages})
    submit.complete_waiting(session, actor, sha256)
    return row


def named_as(session: Session, sha256: str) -> str | None:
    """"signature" or "photo" when a record (or a late one) already names the file, else None."""
    from sqlalchemy import select

    from server.models.fieldwork import LateEvidence, Photo, Signature

    if session.scalar(select(Signature.id).where(Signature.sha256 == sha256).limit(1)) is not None:
        return "signature"
    late = session.scalar(select(LateEvidence.name).where(LateEvidence.sha256 == sha256).limit(1))
    if late == "signature.add":
        return "signature"
    if late is not None or session.scalar(select(Photo.id).where(Photo.sha256 == sha256).limit(1)) is not None:
        return "photo"
    return None


def _check_kind(session: Session, sha256: str, info, kind: str | None, limits: MediaLimits) -> None:
    if kind == "photo":
        problem, code = media_rules.photo_problem(info.width, info.height, limits), media_rules.PHOTO_TOO_SMALL
    elif kind == "signature":
        ink = info.ink
        problem = media_rules.signature_problem(ink.width, ink.height, ink.pixels, limits) if ink else None
        code = media_rules.SIGNATURE_TOO_SMALL
    else:
        return
    if problem:
        raise ValidationError(problem, code=code, errors={"width": info.width, "height": info.height})


def require_readable(session: Session, actor, sha256: str) -> None:
    """Staff read any file; an inspector only files of inspections of their groups (PermissionDenied)."""
    from sqlalchemy import select

    from server.errors import PermissionDenied
    from server.models.fieldwork import LateEvidence, Photo, Signature
    from server.models.inspections import Inspection
    from server.services.kernel.permissions import STAFF

    if actor is not None and actor.is_active and actor.role in STAFF:
        return
    ids = set()
    for model in (Photo, Signature, LateEvidence):
        ids |= set(session.scalars(select(model.inspection_id).where(model.sha256 == sha256)))
    if not any(mutations.can_view(actor, session.get(Inspection, i)) for i in ids):
        raise PermissionDenied("您无权查看此文件：它不属于您所在检查组的检查")

"""Content-addressed media: a small store interface, its filesystem implementation, and the checked upload."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod

from sqlalchemy.orm import Session

from server import imaging
from server.errors import AppError, ValidationError
from server.models.fieldwork import MediaFile
from server.services.fieldwork import mutations
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
           max_pixels: int) -> tuple[MediaFile, bool]:
    """Check and store one uploaded image; returns (the media row, whether it is new). Idempotent."""
    check_hash_format(sha256)
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
    try:
        info, thumb = imaging.verify_and_thumbnail(data, max_pixels=max_pixels)
    except imaging.ImageRejected as err:
        raise ValidationError(err.message, code=err.code) from None
    store.put(sha256, thumb, thumb=True)
    store.put(sha256, data)
    created = row is None
    if created:
        row = MediaFile(sha256=sha256, byte_size=len(data), format=info.format, width=info.width,
                        height=info.height, uploaded_by_id=getattr(actor, "id", None))
        session.add(row)
        session.flush()
        audit.record(session, actor, "media.upload", object_type="media_files", object_id=sha256,
                     detail={"bytes": len(data), "format": info.format, "size": [info.width, info.height]})
    mutations.complete_waiting(session, actor, sha256)
    return row, created


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

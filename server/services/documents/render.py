"""Printable documents: who may have which, their contexts, and a cache keyed on a content hash.

A document's cache key is the SHA-256 of its kind, the template version (a digest of every template
and the stylesheet) and the canonical JSON of its context, which names every image by its SHA-256.
So an unchanged inspection is served from the cache file and any change gives a new PDF. Cache files
are written atomically (temporary file + rename) under config PDF_CACHE_DIR.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import io
import json
import multiprocessing
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from server import pdf
from server.errors import Conflict, NotFound, PermissionDenied, ValidationError
from server.models.followup import Referral
from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Plan, Task
from server.models.registry import Inspector
from server.services.documents import contexts, followup_context
from server.services.documents.lists import visible
from server.services.fieldwork.media_store import FilesystemMediaStore
from server.services.kernel.paging import get_or_raise
from server.services.registry.spreadsheets import write_csv
from server.services.kernel.permissions import STAFF, require_role

TEMPLATES = {"record": "record.html", "notice": "notice.html", "plan": "plan.html",
             "referral": "referral.html", "criminal_referral": "criminal_referral.html",
             "publications": "publications.html"}
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Settings:
    """Where documents come from and go: the bureau's name, the cache and media folders, batch workers."""

    bureau: str
    cache_dir: str
    media_dir: str
    workers: int = 2


def settings_from(config) -> Settings:
    """Settings from the app's config mapping (the bureau's name is configurable as BUREAU_NAME)."""
    return Settings(bureau=config.get("BUREAU_NAME") or "阳城县交通运输局", cache_dir=config["PDF_CACHE_DIR"],
                    media_dir=config["MEDIA_DIR"], workers=int(config.get("PDF_BATCH_WORKERS") or 2))


@dataclass(frozen=True)
class Document:
    """A rendered document: its bytes, a download name, its content key, and whether the cache had it."""

    data: bytes
    filename: str
    key: str
    cached: bool


@dataclass(frozen=True)
class Job:
    """One document to produce: the template, its context and the cache path of its content key."""

    kind: str
    context: dict
    key: str
    filename: str


_template_version: str | None = None


def template_version() -> str:
    """The digest of the templates and stylesheet, computed once per process."""
    global _template_version
    if _template_version is None:
        _template_version = pdf.template_version()
    return _template_version


def content_key(kind: str, context: dict) -> str:
    """SHA-256 over the kind, the template version and the canonical JSON of the context."""
    body = json.dumps(context, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{kind}\n{template_version()}\n{body}".encode("utf-8")).hexdigest()


def cache_path(settings: Settings, kind: str, key: str) -> Path:
    return Path(settings.cache_dir) / kind / key[:2] / f"{key}.pdf"


def print_dir(settings: Settings) -> Path:
    return Path(settings.cache_dir) / "print"


def media_paths(settings: Settings, context: dict) -> dict[str, str]:
    """Map every image SHA-256 named in the context to a file: photos as print copies, signatures as stored."""
    store = FilesystemMediaStore(settings.media_dir)
    found: dict[str, str] = {}
    for key in ("photos", "signatures"):
        for item in context.get(key) or []:
            sha = str(item.get("sha256") or "")
            if not SHA256_RE.match(sha) or sha in found:
                continue
            original = store.path(sha)
            if not os.path.isfile(original):
                continue
            if key == "photos" and _is_pdf(original):  # a document a target sent: its stand-in page is printed
                thumb = store.path(sha, thumb=True)
                if os.path.isfile(thumb):
                    found[sha] = thumb
                continue
            found[sha] = _print_copy(settings, sha, original) if key == "photos" else original
    return found


def _is_pdf(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(5) == b"%PDF-"


def _print_copy(settings: Settings, sha: str, original: str) -> str:
    """The photo's print copy in the cache (made once; the original stays the evidence)."""
    path = print_dir(settings) / sha[:2] / f"{sha}-{pdf.PRINT_MAX_SIDE_PX}.jpg"
    if path.is_file():
        _mark_used(path)
    else:
        with open(original, "rb") as fh:
            try:
                data = pdf.print_copy(fh.read())
            except (OSError, ValueError):
                return original  # not decodable here: embed the stored file as it is
        _store(path, data)
    return str(path)


def render_job(job: Job, settings: Settings) -> bytes:
    """Render one job (in this process or a worker) and store it in the cache."""
    data = pdf.render_pdf(TEMPLATES[job.kind], job.context, media=media_paths(settings, job.context),
                          roots=[settings.media_dir, print_dir(settings)])
    _store(cache_path(settings, job.kind, job.key), data)
    return data


def _store(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def produce(job: Job, settings: Settings) -> Document:
    """The job's PDF from the cache, or rendered now and cached."""
    path = cache_path(settings, job.kind, job.key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Document(render_job(job, settings), job.filename, job.key, False)
    _mark_used(path)
    return Document(data, job.filename, job.key, True)


def _mark_used(path: Path) -> None:
    """Touch a cache file when it is served, so pruning removes only files nobody asked for lately."""
    try:
        os.utime(path)
    except OSError:
        pass  # read-only or just pruned: the bytes were already read


def prune_cache(cache_dir: str, *, older_than_days: int, now: float | None = None) -> tuple[int, int]:
    """Delete cached PDFs and print copies not used for `older_than_days` days; returns (files, bytes)."""
    import time
    if older_than_days < 1:
        raise ValidationError("保留天数至少为 1 天", errors={"older_than_days": "至少 1"})
    limit = (now or time.time()) - older_than_days * 86400
    files = size = 0
    for path in Path(cache_dir).rglob("*"):
        if path.is_file() and path.suffix in (".pdf", ".jpg") and path.stat().st_mtime < limit:
            size += path.stat().st_size
            path.unlink(missing_ok=True)
            files += 1
    return files, size


def _job(kind: str, context: dict, filename: str) -> Job:
    return Job(kind, context, content_key(kind, context), filename)


def safe_name(text: str) -> str:
    """A file-name-safe version of a name: no path separators or control characters."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text or "").strip(" ._")
    return cleaned[:80] or "未命名"


# --- who may have what ------------------------------------------------------------------------------

def _inspection_for(session: Session, actor, inspection_id: int) -> Inspection:
    """The inspection if the actor is staff or an active member of its group."""
    require_role(actor, *STAFF, "inspector")
    inspection = get_or_raise(session, Inspection, inspection_id, "找不到该检查记录", options=[
        joinedload(Inspection.task), joinedload(Inspection.target),
        selectinload(Inspection.members).joinedload(InspectionMember.inspector).joinedload(Inspector.department)])
    if actor.role == "inspector" and actor.inspector_id not in {m.inspector_id for m in inspection.active_members}:
        raise PermissionDenied("您不是该检查的检查组成员，无权查看其文书")
    if inspection.status == "withdrawn":
        raise Conflict("该检查已撤回，不再出具文书", code="inspection_withdrawn")
    return inspection


def record_job(session: Session, actor, inspection_id: int, settings: Settings) -> Job:
    inspection = _inspection_for(session, actor, inspection_id)
    ctx = contexts.record_context(session, inspection, settings.bureau)
    return _job("record", ctx, f"现场检查笔录_{ctx['doc']['number']}_{safe_name(ctx['target']['name'])}.pdf")


def notice_job(session: Session, actor, inspection_id: int, settings: Settings) -> Job:
    inspection = _inspection_for(session, actor, inspection_id)
    ctx = contexts.notice_context(session, inspection, settings.bureau)
    return _job("notice", ctx, f"随机抽查告知书_{ctx['doc']['number']}_{safe_name(ctx['target']['name'])}.pdf")


def inspection_record(session: Session, actor, inspection_id: int, settings: Settings) -> Document:
    """The 现场检查笔录 of one inspection (staff, or a member of its group)."""
    return produce(record_job(session, actor, inspection_id, settings), settings)


def synced_inspection_record(session: Session, actor, inspection_id: int, settings: Settings) -> Document:
    """The 笔录 an inspector downloads to the phone: only once the server holds the group's records."""
    require_role(actor, "inspector")
    inspection = _inspection_for(session, actor, inspection_id)
    if inspection.status == "assigned":
        raise Conflict("该检查尚未同步任何现场记录，请先在手机上完成同步后再下载笔录", code="not_synced")
    return inspection_record(session, actor, inspection_id, settings)


def inspection_notice(session: Session, actor, inspection_id: int, settings: Settings) -> Document:
    """The 随机抽查告知书 of one inspection (staff, or a member of its group)."""
    return produce(notice_job(session, actor, inspection_id, settings), settings)


def plan_document(session: Session, actor, plan_id: int, settings: Settings, version: int | None = None) -> Document:
    """The annual plan for 备案 (staff only), at its current version or a kept one."""
    require_role(actor, *STAFF)
    plan = get_or_raise(session, Plan, plan_id, "找不到该抽查计划")
    if version is not None and version not in {v.version for v in plan.versions}:
        raise NotFound(f"该计划没有第 {version} 版")
    ctx = contexts.plan_context(session, plan, settings.bureau, version)
    return produce(_job("plan", ctx, f"抽查工作计划_{safe_name(plan.code)}_第{ctx['plan']['version']}版.pdf"),
                   settings)


def referral_document(session: Session, actor, referral_id: int, settings: Settings) -> Document:
    """案件移送函 / 抄告函 or 涉嫌犯罪案件移送书 of a referral (staff only)."""
    require_role(actor, *STAFF)
    referral = get_or_raise(session, Referral, referral_id, "找不到该移送记录")
    ctx = followup_context.referral_context(session, referral, settings.bureau)
    kind = ctx["doc"]["kind"]
    return produce(_job(kind, ctx, f"{ctx['doc']['title']}_{safe_name(referral.doc_no)}.pdf"), settings)


def publication_list(session: Session, actor, task_id: int, settings: Settings) -> Document:
    """The 抽查结果公示表 of a task: its published results (staff only)."""
    require_role(actor, *STAFF)
    task = get_or_raise(session, Task, task_id, "找不到该抽查任务")
    ctx = followup_context.publications_context(session, task, settings.bureau)
    return produce(_job("publications", ctx, f"抽查结果公示表_{safe_name(task.code)}.pdf"), settings)


# --- a whole task at once ---------------------------------------------------------------------------

def task_zip(session: Session, actor, task_id: int, kind: str, settings: Settings) -> Document:
    """A zip of every 笔录 (kind "record") or 告知书 (kind "notice") of a task, with an index (staff only)."""
    require_role(actor, *STAFF)
    task = get_or_raise(session, Task, task_id, "找不到该抽查任务")
    inspections = session.scalars(select(Inspection).where(
        Inspection.task_id == task.id, Inspection.status != "withdrawn").order_by(Inspection.id)).all()
    if not inspections:
        raise Conflict("该任务还没有检查对象（尚未抽取），没有可下载的文书", code="no_inspections")
    make = record_job if kind == "record" else notice_job
    jobs = [make(session, actor, i.id, settings) for i in inspections]
    pdfs = produce_many(jobs, settings)
    title = "现场检查笔录" if kind == "record" else "随机抽查告知书"
    data = _zip(jobs, pdfs, inspections, title)
    key = hashlib.sha256("".join(j.key for j in jobs).encode()).hexdigest()
    return Document(data, f"{safe_name(task.code)}_{title}_{len(jobs)}份.zip", key, False)


def produce_many(jobs: list[Job], settings: Settings) -> list[bytes]:
    """Every job's PDF: cached ones read, the rest rendered by a small process pool (or here, for few)."""
    out: list[bytes | None] = []
    todo: list[int] = []
    for n, job in enumerate(jobs):
        try:
            out.append(cache_path(settings, job.kind, job.key).read_bytes())
        except FileNotFoundError:
            out.append(None)
            todo.append(n)
    if len(todo) >= 4 and settings.workers > 1:
        # Workers fork from a fork server that imported the renderer once (it lives as long as this
        # process), so only the first batch pays for the imports; forking this possibly threaded
        # process itself would not be safe.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        with concurrent.futures.ProcessPoolExecutor(min(settings.workers, len(todo)), mp_context=ctx) as pool:
            for n, data in zip(todo, pool.map(render_job, [jobs[n] for n in todo], [settings] * len(todo))):
                out[n] = data
    else:
        for n in todo:
            out[n] = render_job(jobs[n], settings)
    return out  # type: ignore[return-value]


def _zip(jobs: list[Job], pdfs: list[bytes], inspections: list[Inspection], title: str) -> bytes:
    buf = io.BytesIO()
    index = []
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for job, data, inspection in zip(jobs, pdfs, inspections):
            zf.writestr(job.filename, data)
            index.append([job.filename, job.context["doc"]["number"], job.context["target"]["name"],
                          job.context["target"]["uscc"], inspection.status, hashlib.sha256(data).hexdigest()])
        zf.writestr(f"{title}目录.csv", write_csv(["文件名", "文书编号", "检查对象", "统一社会信用代码", "检查状态",
                                                 "SHA-256"], index), compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def dashboard_panel(session: Session, actor) -> dict:
    """The 工作台 panel: tasks with printable documents and the 笔录 by state (the actor's own, for inspectors)."""
    counts = dict(session.execute(visible(select(Inspection.status, func.count(Inspection.id))
                                          .where(Inspection.status != "withdrawn")
                                          .group_by(Inspection.status), actor)).all())
    tasks = session.scalar(visible(select(func.count(func.distinct(Inspection.task_id)))
                                   .where(Inspection.status != "withdrawn"), actor))
    return {"title": "文书打印", "rows": [
        ("有文书可打印的抽查任务", tasks or 0, "office.documents_index"),
        ("待检查（可打印告知书、空白笔录）", counts.get("assigned", 0), "office.documents_index"),
        ("已提交待审核的笔录", counts.get("submitted", 0), "office.documents_index"),
        ("已审核的笔录", counts.get("approved", 0), "office.documents_index"),
    ]}

"""How the document contexts write values: ISO dates, vocabulary labels, the 文书编号, the task and the target.

Shared by contexts.py and the fieldwork and follow-up contexts; it imports none of them.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import vocab
from server.models.inspections import Inspection
from server.models.planning import Task
from server.services.kernel.workdays import local_date

TASK_TYPE_LABELS = {"undirected": "不定向抽查", "directed": "定向抽查", "targeted": "靶向检查", "upper": "上级任务"}


def iso(value) -> str | None:
    """An ISO string for a date or datetime, None for None."""
    return value.isoformat() if value is not None else None


def local_day(moment) -> str | None:
    """The Beijing-time date of a stored UTC moment, as ISO (None for None)."""
    return iso(local_date(moment)) if moment is not None else None


def labels(enum_cls, codes) -> list[str]:
    """The 中文 labels of vocabulary codes, unknown codes kept as they are."""
    out = []
    for code in codes or []:
        member = enum_cls.by_label(code)
        out.append(member.label if member else str(code))
    return out


def doc_number(session: Session, inspection: Inspection) -> str:
    """Task code plus the inspection's position in its task: T20240001-003."""
    position = session.scalar(select(func.count(Inspection.id)).where(
        Inspection.task_id == inspection.task_id, Inspection.id <= inspection.id))
    return f"{inspection.task.code}-{position:03d}"


def task_part(task: Task) -> dict:
    return {"code": task.code, "name": task.name, "type_label": TASK_TYPE_LABELS.get(task.task_type, task.task_type),
            "period_start": iso(task.period_start), "period_end": iso(task.period_end)}


def target_part(inspection: Inspection) -> dict:
    """The target as the draw froze it (snapshot), completed from the registry where the snapshot is silent."""
    snap, live = inspection.target_snapshot or {}, inspection.target

    def pick(key):
        return snap.get(key) or getattr(live, key, "") or ""
    return {"name": pick("name"), "uscc": pick("uscc"), "address": pick("address"), "legal_rep": pick("legal_rep"),
            "contact_name": pick("contact_name"), "contact_phone": pick("contact_phone"),
            "category_label": labels(vocab.TargetCategory, [pick("category")])[0] if pick("category") else "",
            "latitude": snap.get("latitude", live.latitude), "longitude": snap.get("longitude", live.longitude)}

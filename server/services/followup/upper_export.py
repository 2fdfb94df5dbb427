"""The results of a task received from the level above (上级任务), as the sheet it asked for.

One row per published item result, in the gsxt 双随机抽查结果信息 shape the publication export writes
(publication.build_content, as publication_export writes it for gsxt), under the headers the level above chose; a target whose
result is not published yet, or that has no inspection, still gets a row saying where it stands, so the
sheet accounts for every target the level above named.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.errors import Conflict
from server.models.followup import Publication
from server.models.inspections import Inspection
from server.models.registry import Target
from server.services.followup import publication
from server.services.kernel.permissions import READERS, require_role, require_task_in_scope
from server.services.planning import tasks, upper_rules
from server.services.registry.spreadsheets import write_xlsx
from server.vocab import FollowUp
from sync.messages import STATUS_LABELS

NO_INSPECTION = "未生成检查（未能派员或对象不在名录库中）"


def _base(task, insp: Inspection | None, target: Target | None, uscc: str, name: str) -> dict:
    members = [m.inspector for m in insp.active_members] if insp else []
    return {"plan_code": task.plan.code if task.plan else "", "plan_name": task.plan.name if task.plan else "",
            "task_code": task.upper_task_code or task.code, "task_name": task.name,
            "type": publication.TYPE_LABELS.get(task.task_type, "不定向"), "authority": "", "completed_on": "",
            "uscc": uscc, "target_name": name, "seqno": "", "item_name": "", "result": "",
            "doc_no": task.upper_doc_no, "address": target.address if target else "",
            "inspectors": "、".join(m.name for m in members), "cert_nos": "、".join(m.cert_no for m in members),
            "follow_ups": "；".join(f.label for c in (insp.follow_ups if insp else []) if (f := FollowUp.by_label(c))),
            "summary": insp.summary if insp else "", "status": "", "note": ""}


def _rows_of(task, insp: Inspection | None, pub: Publication | None, target, uscc: str, name: str) -> list[dict]:
    base = _base(task, insp, target, uscc, name)
    if pub is not None and pub.status == "published":
        c = pub.content
        base.update(plan_code=c["plan_code"], plan_name=c["plan_name"], type=c["type"], authority=c["authority"],
                    completed_on=c["completed_on"], target_name=c["target_name"], status="已公示")
        return [{**base, "seqno": i["seqno"], "item_name": i["item_name"], "result": i["result"]} for i in c["items"]]
    if insp is None:
        return [{**base, "status": NO_INSPECTION, "result": "尚未检查"}]
    where = publication.STATUS_LABELS.get(pub.status, pub.status) if pub else STATUS_LABELS.get(insp.status, insp.status)
    return [{**base, "status": where, "result": "结果尚未公示"}]


def result_rows(session: Session, actor, task_id: int) -> list[dict]:
    """Every target of the task with its published results (one row per item), in the list's order."""
    require_role(actor, *READERS)
    task = tasks.get_task(session, task_id)
    require_task_in_scope(actor, task)
    if task.task_type != upper_rules.UPPER:
        raise Conflict("只有上级任务需要导出上级回传表；本级任务的结果请在“公示”中导出")
    inspections = {i.target.uscc: i for i in session.scalars(
        select(Inspection).where(Inspection.task_id == task.id, Inspection.status != "withdrawn")
        .options(selectinload(Inspection.target), selectinload(Inspection.members)))}
    pubs = {p.inspection_id: p for p in session.scalars(select(Publication).where(
        Publication.inspection_id.in_([i.id for i in inspections.values()])))}
    listed = [(r["uscc"], r.get("name", "")) for r in (task.upper_list or {}).get("rows", [])]
    order = listed + [(u, i.target.name) for u, i in sorted(inspections.items()) if u not in dict(listed)]
    targets = {t.uscc: t for t in session.scalars(select(Target).where(Target.uscc.in_([u for u, _ in order])))}
    out = []
    for uscc, name in order:
        insp = inspections.get(uscc)
        target = targets.get(uscc)
        out += _rows_of(task, insp, pubs.get(insp.id) if insp else None, target, uscc,
                        target.name if target else name)
    return out


def workbook(session: Session, actor, task_id: int) -> tuple[str, bytes]:
    """(file name, .xlsx) of the results in the columns the level above asked for."""
    rows = result_rows(session, actor, task_id)
    task = tasks.get_task(session, task_id)
    headers = list(task.upper_columns or upper_rules.GSXT_COLUMNS)
    keys = [upper_rules.column_for(h).key for h in headers]
    body = ([r[k] for k in keys] for r in rows)
    name = f"{task.upper_task_code or task.code}-上级任务结果回传.xlsx"
    return name, write_xlsx("抽查结果", headers, body, widths=[max(10, min(40, len(h) * 3)) for h in headers])

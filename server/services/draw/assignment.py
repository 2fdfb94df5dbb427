"""Who may be drawn for a task, and the inspections a draw creates (database side of DESIGN §5).

Eligible for a task: active, 执法证 valid on every day of the task period, holding every
qualification tag the task's items require, and in one of the task's departments. Recusals
(回避) are per target and are sealed as (cert_no, uscc) pairs; the pure algorithm in draw.v2 does
the choosing.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.models.inspections import Inspection, InspectionMember
from server.models.planning import Draw, Task
from server.models.registry import Department, InspectionItem, Inspector, Recusal, Target
from server.models.types import utcnow


def required_tags(items: list[InspectionItem]) -> set[str]:
    """Every qualification tag any of the items asks for."""
    return {t for item in items for t in (item.qualification_tags or ())}


def qualified(session: Session, department_ids: list[int], tags: set[str], start: dt.date,
              end: dt.date) -> list[Inspector]:
    """Inspectors eligible for a task with these departments, tags and period, by 执法证号."""
    rows = session.scalars(select(Inspector).where(
        Inspector.department_id.in_(department_ids), Inspector.status == "active",
        Inspector.cert_issued_on <= start, Inspector.cert_expires_on >= end).order_by(Inspector.cert_no))
    return [i for i in rows if tags <= set(i.tags or ())]


def coverage_problems(session: Session, departments: list[Department], items: list[InspectionItem],
                      start: dt.date, end: dt.date, group_size: int) -> list[str]:
    """Why no group could be formed at all (a department without anyone qualified, too few people)."""
    tags = required_tags(items)
    pool = qualified(session, [d.id for d in departments], tags, start, end)
    per_dept = {d.id: 0 for d in departments}
    for inspector in pool:
        per_dept[inspector.department_id] += 1
    need = "、".join(sorted(tags)) or "无特殊资质要求"
    problems = [f"部门“{d.name}”没有符合条件的执法人员（在岗、执法证在任务期间全程有效、具备资质：{need}），"
                f"请调整参与部门或先补充执法人员" for d in departments if not per_dept[d.id]]
    if not problems and len(pool) < group_size:
        problems.append(f"符合条件的执法人员只有 {len(pool)} 人，不足检查组人数 {group_size} 人")
    return problems


def pool_entries(pool: list[Inspector], dept_codes: dict[int, str]) -> list[dict]:
    """The record's inspector pool: 执法证号 and department code only (names are published for groups)."""
    return [{"cert_no": i.cert_no, "department": dept_codes[i.department_id]} for i in pool]


def recusal_entries(session: Session, pool: list[Inspector], usccs: list[str]) -> list[dict]:
    """Declared conflicts between pool members and the given targets, as (cert_no, uscc) pairs."""
    if not pool or not usccs:
        return []
    cert_of = {i.id: i.cert_no for i in pool}
    rows = session.execute(select(Recusal.inspector_id, Recusal.target_uscc).where(
        Recusal.inspector_id.in_(list(cert_of))))
    wanted = set(usccs)
    return sorted(({"cert_no": cert_of[iid], "uscc": u} for iid, u in rows if u in wanted),
                  key=lambda r: (r["uscc"], r["cert_no"]))


def target_snapshot(target: Target) -> dict:
    """What the phone shows about the target, frozen at the draw."""
    return {"uscc": target.uscc, "name": target.name, "address": target.address, "category": target.category,
            "risk_level": target.risk_level, "region": target.region, "legal_rep": target.legal_rep,
            "contact_name": target.contact_name, "contact_phone": target.contact_phone,
            "latitude": target.latitude, "longitude": target.longitude, "licences": target.licences or []}


def checklist_snapshot(items: list[InspectionItem]) -> list[dict]:
    """The task's items with their checkpoints and legal basis, frozen at the draw."""
    return [{"item_id": it.id, "code": it.code, "name": it.name, "kind": it.kind, "legal_basis": it.legal_basis,
             "methods": it.methods or [], "checkpoints": [{"id": cp.id, "seq": cp.seq, "text": cp.text,
                                                           "legal_basis": cp.legal_basis}
                                                          for cp in it.checkpoints]}
            for it in items]


def load_items(session: Session, task: Task) -> list[InspectionItem]:
    rows = session.scalars(select(InspectionItem).where(InspectionItem.id.in_(task.item_ids))
                           .options(selectinload(InspectionItem.checkpoints)))
    by_id = {i.id: i for i in rows}
    return [by_id[i] for i in task.item_ids if i in by_id]


def create_inspections(session: Session, task: Task, draw: Draw, assignments: list[dict],
                       items: list[InspectionItem]) -> list[Inspection]:
    """One inspection per staffed target of the record, with its group and snapshots."""
    usccs = [a["uscc"] for a in assignments]
    targets = {t.uscc: t for t in session.scalars(select(Target).where(Target.uscc.in_(usccs)))}
    certs = {c for a in assignments for c in (i["cert_no"] for i in a["inspectors"])}
    people = {i.cert_no: i for i in session.scalars(select(Inspector).where(Inspector.cert_no.in_(certs)))}
    checklist = checklist_snapshot(items)
    created = []
    for a in assignments:
        target = targets[a["uscc"]]
        inspection = Inspection(task_id=task.id, target_id=target.id, draw_id=draw.id, status="assigned",
                                mode=task.method or "on_site", due_date=task.period_end, target_snapshot=target_snapshot(target),
                                checklist_snapshot=checklist, changed_at=utcnow())
        inspection.members = [InspectionMember(inspector_id=people[i["cert_no"]].id,
                                               department_id=people[i["cert_no"]].department_id,
                                               added_by_draw_id=draw.id) for i in a["inspectors"]]
        session.add(inspection)
        created.append(inspection)
    session.flush()
    return created

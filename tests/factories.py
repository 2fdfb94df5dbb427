"""create_<noun>(session, **overrides): valid registry records for tests."""
from __future__ import annotations

import datetime as dt
import itertools

from server.models.registry import Checkpoint, CreditRating, Department, InspectionItem, Inspector, Target
from server.services.accounts import credentials
from server.services.registry.uscc import check_digit

_seq = itertools.count(1)


def make_uscc(n: int | None = None, region: str = "140522") -> str:
    """A valid 统一社会信用代码 for the n-th test business (阳城县 region code by default)."""
    n = next(_seq) if n is None else n
    body = f"91{region}{n:09d}"[:17]
    body = body[:8] + f"{n:09d}"  # 2 + 6 + 9 = 17
    return body + check_digit(body)


def create_department(session, **kw) -> Department:
    n = next(_seq)
    d = Department(code=kw.pop("code", f"D{n}"), name=kw.pop("name", f"执法{n}中队"), **kw)
    session.add(d)
    session.flush()
    return d


def create_item(session, *, checkpoints=("是否取得经营许可", "车辆技术档案是否齐全"), **kw) -> InspectionItem:
    n = next(_seq)
    item = InspectionItem(code=kw.pop("code", f"JT-{n:03d}"), name=kw.pop("name", f"抽查事项{n}"),
                          kind=kw.pop("kind", "general"), legal_basis=kw.pop("legal_basis", "《道路运输条例》第五十九条"),
                          methods=kw.pop("methods", ["on_site"]), target_categories=kw.pop("target_categories", ["freight"]),
                          qualification_tags=kw.pop("qualification_tags", []), status=kw.pop("status", "published"), **kw)
    item.checkpoints = [Checkpoint(seq=i + 1, text=t) for i, t in enumerate(checkpoints)]
    session.add(item)
    session.flush()
    return item


def create_target(session, **kw) -> Target:
    n = next(_seq)
    t = Target(uscc=kw.pop("uscc", None) or make_uscc(n), name=kw.pop("name", f"阳城县测试运输有限公司{n}"),
               category=kw.pop("category", "freight"), address=kw.pop("address", "阳城县凤城镇测试路1号"),
               status=kw.pop("status", "active"), risk_level=kw.pop("risk_level", "general"), **kw)
    session.add(t)
    session.flush()
    return t


def create_rating(session, target, **kw) -> CreditRating:
    r = CreditRating(target_id=target.id, source=kw.pop("source", "transport"), level=kw.pop("level", "B"),
                     effective_from=kw.pop("effective_from", dt.date(2024, 1, 1)), **kw)
    session.add(r)
    session.flush()
    return r


def create_inspector(session, department=None, **kw) -> Inspector:
    n = next(_seq)
    department = department or create_department(session)
    i = Inspector(name=kw.pop("name", f"检查员{n}"), cert_no=kw.pop("cert_no", f"14052{n:07d}"),
                  cert_issued_on=kw.pop("cert_issued_on", dt.date(2022, 1, 1)),
                  cert_expires_on=kw.pop("cert_expires_on", dt.date(2030, 12, 31)),
                  department_id=department.id, tags=kw.pop("tags", []), status=kw.pop("status", "active"), **kw)
    session.add(i)
    session.flush()
    return i


def create_user(session, role="office", password="password123", **kw):
    n = next(_seq)
    if role == "inspector" and "inspector_id" not in kw:
        kw["inspector_id"] = create_inspector(session).id
    return credentials.create_user(session, None, username=kw.pop("username", f"user{n}"), password=password,
                                role=role, **kw)


def create_task(session, *, items=None, departments=None, **kw):
    """A published task (not yet drawn) over `items` (default: one new published item)."""
    from server.models.planning import Task
    n = next(_seq)
    items = items if items is not None else [create_item(session)]
    departments = departments if departments is not None else [create_department(session)]
    t = Task(code=kw.pop("code", f"T2024{n:04d}"), name=kw.pop("name", f"测试抽查任务{n}"),
             item_ids=[i.id for i in items], lead_department_id=departments[0].id,
             department_ids=[d.id for d in departments], period_start=kw.pop("period_start", dt.date(2024, 4, 1)),
             period_end=kw.pop("period_end", dt.date(2024, 10, 31)), status=kw.pop("status", "published"),
             ratios=kw.pop("ratios", {"low": "0.03", "general": "0.05", "higher": "0.2", "high": "0.5"}), **kw)
    session.add(t)
    session.flush()
    return t


def create_inspection(session, *, task=None, target=None, inspectors=None, **kw):
    """An assigned inspection with a group of two (by default) and its checklist snapshot."""
    from server.models.inspections import Inspection, InspectionMember
    from server.models.registry import InspectionItem
    task = task or create_task(session)
    target = target or create_target(session)
    if inspectors is None:
        dept = session.get(Department, task.lead_department_id)
        inspectors = [create_inspector(session, dept), create_inspector(session, dept)]
    items = [session.get(InspectionItem, i) for i in task.item_ids]
    checklist = [{"item_id": it.id, "code": it.code, "name": it.name, "legal_basis": it.legal_basis,
                  "checkpoints": [{"id": cp.id, "seq": cp.seq, "text": cp.text} for cp in it.checkpoints]}
                 for it in items]
    insp = Inspection(task_id=task.id, target_id=target.id, status=kw.pop("status", "assigned"),
                      due_date=kw.pop("due_date", task.period_end), checklist_snapshot=checklist,
                      target_snapshot={"uscc": target.uscc, "name": target.name, "address": target.address,
                                       "category": target.category, "risk_level": target.risk_level}, **kw)
    insp.members = [InspectionMember(inspector_id=i.id, department_id=i.department_id) for i in inspectors]
    session.add(insp)
    session.flush()
    return insp


def create_submitted_inspection(session, *, result_categories=("01",), follow_ups=("none",),
                                completed_at=None, **kw):
    """An inspection its group has submitted with all evidence held (ready for review)."""
    from server.models.types import utcnow
    completed_at = completed_at or utcnow()
    return create_inspection(session, status=kw.pop("status", "submitted"), submitted_at=completed_at,
                             completed_at=completed_at, started_at=completed_at,
                             result_categories=list(result_categories), methods=kw.pop("methods", ["on_site"]),
                             follow_ups=list(follow_ups), summary=kw.pop("summary", "现场检查完毕"), **kw)


def submit_inspection(session, inspection, *, result_categories=("01",), follow_ups=("none",), completed_at=None):
    """Mark an existing (e.g. drawn) inspection as submitted by its group with a result, ready for review."""
    from server.models.types import utcnow
    completed_at = completed_at or utcnow()
    inspection.status, inspection.submitted_at, inspection.completed_at = "submitted", completed_at, completed_at
    inspection.started_at, inspection.methods, inspection.summary = completed_at, ["on_site"], "现场检查完毕"
    inspection.result_categories, inspection.follow_ups = list(result_categories), list(follow_ups)
    session.flush()
    return inspection

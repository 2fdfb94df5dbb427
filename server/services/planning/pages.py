"""What the plan, task and draw pages show, in the office and on the public portal: one call per page.

The pages need the plan, task, draw and supplementary services together, so they are gathered here,
above them, rather than in tasks.py (which the others import).
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import NotFound
from server.models.accounts import User
from server.models.approvals import Approval
from server.models.inspections import Inspection
from server.models.planning import Draw, DrawRequest, DrawSeal, Task
from server.models.registry import Department, Target
from server.services.draw import checks, joint_checks, records, snippets
from server.services.kernel.workdays import today
from server.services.planning import (department_draws, department_parts, draws, joint, plans, seals, staffing,
                                      supplementary, task_closing, tasks)
from server.services.registry import search

PUBLIC_NOT_FOUND = "找不到该页面或记录"  # the portal's plain 404: a draft task does not exist for the public


def active_departments(session: Session) -> list[Department]:
    """Departments that can lead or join a plan or task, by code."""
    return list(session.scalars(select(Department).where(Department.is_active).order_by(Department.code)))


# --- the office -------------------------------------------------------------------------------------------

def plans_page(session: Session, actor) -> dict:
    """The plan list: every plan, what awaits a leader, and the departments for a new plan."""
    rows = plans.list_plans(session, actor)
    return {"plans": rows, "departments": active_departments(session),
            "pending": {p.id: plans.pending_approval(session, p) for p in rows}}


def task_form_choices(session: Session) -> dict:
    """What a task form offers: the published inspection items and the active departments."""
    return {"items": search.published_items(session), "departments": active_departments(session)}


def task_page(session: Session, task: Task) -> dict:
    """A task in the office: its parameters, preview or draws, inspections, supplementary draws and closing."""
    inspections = session.scalars(select(Inspection).where(Inspection.task_id == task.id).order_by(Inspection.id))
    requests = supplementary.requests_for(session, task)
    return {"plan": plans.get_plan(session, task.plan_id), "items": tasks.task_items(session, task),
            "departments": tasks.task_departments(session, task),
            "preview": tasks.preview(session, task) if task.status in ("draft", "published") else None,
            "seal": seals.current(session, task) if task.status == "published" else None,
            "main": draws.main_draw(session, task), "draws": task.draws, "inspections": inspections.all(),
            "unstaffed": staffing.unstaffed_view(session, task) if task.draws else [],
            "requests": requests, "names": _target_names(session, [r.target_uscc for r in requests if r.target_uscc]),
            "approvals_by_request": {r.id: session.get(Approval, r.approval_id) for r in requests if r.approval_id},
            **joint_view(session, task),
            "closing": task_closing.progress(session, task) if task.status == "drawn" else None,
            "closed_by": session.get(User, task.closed_by_id) if task.closed_by_id else None}


def joint_view(session: Session, task: Task) -> dict:
    """A joint task's parts (联合抽查): each cooperating department's draw, its own 补派 and 递补 with where each
    stands, the inspections still waiting for its member, and which department checks each item."""
    parts = department_draws.parts(session, task)
    extra = {p.department.id: [(r, department_parts.state_of(session, task, r), session.get(Draw, r.draw_id)
                                if r.draw_id else None)
                               for r in department_parts.requests_of(session, task, p.department.id)]
             for p in parts}
    return {"joint_parts": parts, "joint_part_ids": {p.department.id for p in parts},
            "joint_part_requests": extra, "joint_part_states": department_parts.STATE_LABELS,
            "joint_missing": {p.department.id: department_parts.missing(session, task, p.department.id)
                              for p in parts if p.draw is not None},
            "joint_item_dept": lambda item_id: joint.item_department_id(task, item_id)}


def department_request_page(session: Session, actor, request_id: int) -> dict:
    """A department's 补派 or 递补 ready to seal and draw: its part, its targets and the open seal."""
    task, part, req = department_parts.get_request(session, actor, request_id)
    insp = session.get(Inspection, req.inspection_id) if req.inspection_id else None
    return {"task": task, "part": part, "req": req, "inspection": insp,
            "state": department_parts.state_of(session, task, req), "states": department_parts.STATE_LABELS,
            "targets": department_parts.missing(session, task, part.department.id) if insp is None else [insp],
            "seal": seals.current(session, task, req) if req.status == "approved" else None,
            "made": session.get(Draw, req.draw_id) if req.draw_id else None}


def draw_page(session: Session, task: Task) -> dict:
    """The office draw page: the preview, and the open seal the witness checks before typing."""
    published = task.status == "published"
    return {"task": task, "preview": tasks.preview(session, task) if published else None,
            "seal": seals.current(session, task) if published else None}


def supplementary_page(session: Session, request_id: int) -> dict:
    """An approved 补抽, 递补 or 补派 ready to seal and draw, with the inspection or target it is for."""
    req = supplementary.get_request(session, request_id)
    task = tasks.get_task(session, req.task_id)
    return {"req": req, "inspection": session.get(Inspection, req.inspection_id) if req.inspection_id else None,
            "target_name": _target_names(session, [req.target_uscc]).get(req.target_uscc, "") if req.target_uscc
            else "", "seal": seals.current(session, task, req) if req.status == "approved" else None}


def _target_names(session: Session, usccs: list[str]) -> dict[str, str]:
    if not usccs:
        return {}
    return dict(session.execute(select(Target.uscc, Target.name).where(Target.uscc.in_(usccs))).all())


# --- the public portal ------------------------------------------------------------------------------------

def public_plans(session: Session) -> dict:
    """Published plans, each with its published versions and its tasks past draft."""
    rows = plans.published_plans(session)
    return {"plans": rows, "versions": {p.id: plans.public_versions(p) for p in rows},
            "tasks": {p.id: [t for t in tasks.plan_tasks(session, p) if t.status != "draft"] for p in rows},
            "depts": {d.id: d.name for d in search.departments(session)}}


def public_task(session: Session, code: str) -> Task:
    """A task the public may see (any but a draft), by its code."""
    task = session.scalar(select(Task).where(Task.code == code, Task.status != "draft"))
    if task is None:
        raise NotFound(PUBLIC_NOT_FOUND)
    return task


def public_task_view(session: Session, code: str) -> dict:
    """A task on the portal: its seals, its draws as the public may see them, each checked against what the
    page published once the seed is public, and how to check it by hand."""
    task = public_task(session, code)
    revealed = tasks.seed_revealed(task, today())
    shown = [(d, records.public_view(d.record, revealed)) for d in task.draws]
    usccs = {s["uscc"] for _, v in shown for s in v.get("selections", [])}
    published = {d.id: published_for(session, task, d) for d, _ in shown}
    algorithms = sorted({d.record.get("algorithm") for d, _ in shown})
    return {"task": task, "revealed": revealed, "draws": shown, "published": published,
            "checks": {d.id: checks.verify(d.record, published[d.id]) for d, _ in shown} if revealed else {},
            "names": _target_names(session, list(usccs)),
            "groups": {d.id: {a["uscc"]: a["inspectors"] for a in view.get("assignments", [])} for d, view in shown},
            "seals": seals.of_task(session, task), "requests": supplementary.requests_for(session, task),
            "items": tasks.task_items(session, task), "departments": tasks.task_departments(session, task),
            "snippets": [(a, snippets.snippet(a)) for a in algorithms], **_public_joint(session, task, revealed)}


def _public_joint(session: Session, task: Task, revealed: bool) -> dict:
    """A joint task's parts on the portal: which departments have drawn, and the links between the records."""
    parts = department_draws.parts(session, task)
    if not parts:
        return {"joint_parts": [], "joint_problems": []}
    records_ = [d.record for d in sorted(task.draws, key=lambda d: d.id)]
    problems = joint_checks.links(records_) if revealed and draws.main_draw(session, task) is not None else []
    return {"joint_parts": parts, "joint_problems": problems, "joint_records": len(records_)}


def draw_bundle_file(session: Session, code: str) -> tuple[str, str]:
    """Every record of a revealed task as one file: the initiating draw, each department's draw, and every
    补抽, 递补 and 补派 of the bureau's part and of each department's (`verify-draw` checks them all together)."""
    task = public_task(session, code)
    if not tasks.seed_revealed(task, today()) or not task.draws:
        raise NotFound(PUBLIC_NOT_FOUND)
    bundle = joint_checks.bundle_of(task.code, [d.record for d in sorted(task.draws, key=lambda d: d.id)])
    return f"draws-{task.code}.json", json.dumps(bundle, ensure_ascii=False, indent=1)


def published_for(session: Session, task: Task, made: Draw) -> dict:
    """What the task page published about a draw before it was made: its commitment, its seal, its digest."""
    request = session.scalar(select(DrawRequest).where(DrawRequest.draw_id == made.id))
    sealed = session.scalar(select(DrawSeal).where(DrawSeal.draw_id == made.id))
    return {"commitment": request.commitment if request else task.commitment, "record_sha256": made.record_sha256,
            "seal_sha256": sealed.block.get("seal_sha256") if sealed else None}


def revealed_draw(session: Session, code: str, draw_id: int) -> Draw:
    """A draw of a public task whose seed is public; anything else does not exist for the public."""
    task = public_task(session, code)
    made = session.get(Draw, draw_id)
    if made is None or made.task_id != task.id or not tasks.seed_revealed(task, today()):
        raise NotFound(PUBLIC_NOT_FOUND)
    return made

"""The demo's plan, tasks and draws (part of `spotcheck load-demo`, after server/demo.py has stored the
registries and the accounts): this year's plan from demo/plan.json, approved by the leader and published, its
tasks published and, where the file says so, sealed and drawn with a witness; then a few rating downgrades so the
工作台's risk warning has something to offer 发起定向抽查 for."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.accounts import User
from server.models.registry import CreditRating, Department, InspectionItem, Target
from server.services.registry import risk

DATA_DIR = Path(__file__).with_name("demo")


def _json(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _actors(session: Session) -> tuple[User | None, User | None]:
    """The demo's office and leader accounts, when they exist with those roles."""
    found = {u.role: u for u in session.scalars(select(User).where(User.username.in_(("office", "leader")),
                                                                   User.is_active.is_(True)))}
    return found.get("office"), found.get("leader")


def _task_data(spec: dict, items: dict, depts: dict, today: dt.date) -> dict:
    year_end = dt.date(today.year, 12, 31)
    start = max(today - dt.timedelta(days=spec.get("started_days_ago", 0)), dt.date(today.year, 1, 1))
    return {"name": spec["name"].format(year=today.year), "task_type": spec["task_type"],
            "method": spec.get("method", "on_site"),
            "item_ids": [items[c] for c in spec["items"]], "scope": spec["scope"], "ratios": spec["ratios"],
            "lead_department_id": depts[spec["departments"][0]].id,
            "cooperating_department_ids": [depts[c].id for c in spec["departments"][1:]], "group_size": 2,
            "period_start": start, "period_end": min(start + dt.timedelta(days=spec["days"]), year_end),
            "exclusion_months": 12, "reveal_seed_at_once": spec["reveal_seed_at_once"],
            "item_departments": {str(items[c]): depts[d].id for c, d in spec.get("item_departments", {}).items()}}


def extend_with_draw(session: Session, today: dt.date) -> dict[str, int]:
    """A published plan with three published tasks, two of them drawn, so the inspectors have work.

    Everything goes through the planning and draw services, as office staff and the leader would do it;
    the draws use fresh server seeds, so which targets they pick differs from one load to the next.
    """
    from server.services.kernel import approvals
    from server.services.planning import draws, plans, tasks  # the planning area's services

    office, leader = _actors(session)
    if office is None or leader is None:
        return {}
    spec = _json("plan.json")
    depts = {d.code: d for d in session.scalars(select(Department))}
    items = dict(session.execute(select(InspectionItem.code, InspectionItem.id)).all())
    task_data = [_task_data(t, items, depts, today) for t in spec["tasks"]]
    entries = [{**t["plan_entry"], **{k: d[k] for k in ("name", "task_type", "item_ids", "period_start", "period_end")},
                "department_ids": [depts[c].id for c in t["departments"]]} for t, d in zip(spec["tasks"], task_data)]
    plan = plans.create_plan(session, office, year=today.year, name=spec["plan"]["name"].format(year=today.year),
                             department_id=depts[spec["plan"]["department"]].id,
                             description=spec["plan"]["description"], entries=entries)
    approval = plans.submit_plan(session, office, plan.id)
    approvals.decide(session, leader, approval.id, approve=True, note="同意，按计划组织实施")
    plans.publish_plan(session, office, plan.id)
    inspections = 0
    for t, data, row in zip(spec["tasks"], task_data, plans.current(plan).content["entries"]):
        task = tasks.create_task(session, office, plan.id, {**data, "plan_row": row["key"]})
        tasks.publish_task(session, office, task.id)
        if t["draw"]:  # 封存 then 抽取, as the office does it with a witness
            draws.seal_draw(session, office, task.id)
            record = draws.run_draw(session, office, task.id, witness_entropy=t["witness"].format(year=today.year),
                                    confirmed=True).record
            inspections += len(record["assignments"])
    _risk_warnings(session, today)
    return {"plans": 1, "tasks": len(spec["tasks"]), "inspections": inspections}


RISK_WARNINGS = 3  # targets whose transport credit rating was lowered to C: the 工作台's warning, 发起定向抽查


def _risk_warnings(session: Session, today: dt.date) -> None:
    """Lower a few 一般 freight targets' transport rating to C, so their risk level rises and the warning shows."""
    targets = session.scalars(select(Target).where(Target.category == "freight", Target.risk_level == "general")
                              .order_by(Target.uscc).limit(RISK_WARNINGS)).all()
    for target in targets:
        session.add(CreditRating(target_id=target.id, source="transport", level="C", effective_from=today,
                                 note="演示：年度质量信誉考核结果为 C"))
        session.flush()
        session.expire(target, ["ratings"])
        risk.refresh(session, target, today, cause="交通运输信用等级下调为 C")

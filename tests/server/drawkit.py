"""Helpers for the plan, task and draw tests: a published plan and a task ready to draw."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from server.services.planning import plans, tasks
from tests.factories import create_department, create_inspector, create_item, create_target, create_user

PERIOD = (dt.date(2024, 4, 1), dt.date(2024, 10, 31))
DEFAULT_RATIOS = {"low": "0.03", "general": "0.05", "higher": "0.2", "high": "0.5"}


def people(session):
    """An office user and a leader (who approves what the office asks for)."""
    return create_user(session, role="office"), create_user(session, role="leader")


def published_plan(session, office, leader, year=2024):
    """A plan approved by a leader and published."""
    from server.services.kernel import approvals
    plan = plans.create_plan(session, office, year=year, name=f"{year}年度双随机抽查计划",
                             entries=[{"name": "道路货运经营抽查", "task_type": "不定向", "ratio": "5%"}])
    approval = plans.submit_plan(session, office, plan.id)
    approvals.decide(session, leader, approval.id, approve=True)
    plans.publish_plan(session, office, plan.id)
    return plan


def task_data(items, departments, **kw) -> dict:
    data = {"name": "道路货物运输经营抽查", "task_type": "undirected", "item_ids": [i.id for i in items],
            "ratios": dict(DEFAULT_RATIOS), "group_size": 2, "lead_department_id": departments[0].id,
            "cooperating_department_ids": [d.id for d in departments[1:]], "period_start": PERIOD[0],
            "period_end": PERIOD[1], "exclusion_months": 12}
    data.update(kw)
    return data


def setup(session, *, targets_per_level=(10, 10, 10, 10), inspectors_per_dept=4, departments=1, publish=True,
          tags=(), item_tags=(), **task_kw):
    """Departments, inspectors, targets per risk level (low, general, higher, high), a plan and a task."""
    office, leader = people(session)
    depts = [create_department(session) for _ in range(departments)]
    inspectors = [create_inspector(session, d, tags=list(tags)) for d in depts for _ in range(inspectors_per_dept)]
    item = create_item(session, qualification_tags=list(item_tags))
    targets = [create_target(session, risk_level=level)
               for level, n in zip(("low", "general", "higher", "high"), targets_per_level) for _ in range(n)]
    plan = published_plan(session, office, leader)
    task = tasks.create_task(session, office, plan.id, task_data([item], depts, **task_kw))
    if publish:
        tasks.publish_task(session, office, task.id)
    return SimpleNamespace(office=office, leader=leader, depts=depts, inspectors=inspectors, item=item,
                           targets=targets, plan=plan, task=task)


def drawn(session, actor, task_id, entropy: str = ""):
    """封存 then 抽取, as the office does it with a witness: the task's main draw."""
    from server.services.planning import draws
    draws.seal_draw(session, actor, task_id)
    return draws.run_draw(session, actor, task_id, witness_entropy=entropy, confirmed=True)


def drawn_request(session, actor, request_id, entropy: str = ""):
    """封存 then 抽取 of an approved 补抽, 递补 or 补派."""
    from server.services.planning import supplementary
    supplementary.seal_supplementary(session, actor, request_id)
    return supplementary.run_supplementary(session, actor, request_id, witness_entropy=entropy, confirmed=True)

"""A year of inspections built row by row for the statistics tests, with every fact the test needs to
count the figures itself (World.facts), independently of the service's SQL.

The year is 2024 (every deadline has passed by now). It holds four tasks (不定向, 定向, 靶向, 上级任务),
targets in three categories, three 乡镇 and every risk level, and the edge cases: a returned and
resubmitted inspection, a withdrawn one, a target two random tasks inspected, one still waiting for its
files, answers changed after a 不符合, an amended finding, a completion just after midnight Beijing time.
"""
from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field

from server.models.fieldwork import CheckpointAnswer, Finding
from server.services.fieldwork import problem_facts
from server.models.followup import (CreditRecord, InspectionReview, Publication, Referral, RiskLevelChange,
                                    Violation)
from server.models.inspections import Inspection
from server.models.planning import Plan
from server.services.draw.assignment import target_snapshot
from server.services.kernel.workdays import add_workdays, local_date
from tests.factories import create_department, create_item, create_target, create_task, create_user

UTC = dt.timezone.utc
YEAR = 2024
_ids = itertools.count(1)


def at(month: int, day: int, hour: int = 4) -> dt.datetime:
    """A UTC moment in 2024 (04:00 UTC is noon in Beijing)."""
    return dt.datetime(YEAR, month, day, hour, tzinfo=UTC)


@dataclass
class Fact:
    """What the test knows about one inspection it made."""

    id: int
    task: str
    task_type: str
    target: int
    category: str
    region: str
    risk: str
    status: str
    done_at: dt.datetime | None
    approved_at: dt.datetime | None
    due: dt.date
    results: list
    items: list  # item ids of its task
    answers: list = field(default_factory=list)  # (checkpoint id, answer, created_at)
    findings: list = field(default_factory=list)  # (finding id, checkpoint id, supersedes id, rectification)
    publication: dict | None = None  # status, first_published_at, due_on
    referrals: list = field(default_factory=list)  # (kind, status)
    credit: list = field(default_factory=list)  # severities
    closed_findings: set = field(default_factory=set)  # finding ids whose violation is closed


@dataclass
class World:
    office: object
    tasks: dict
    items: dict
    checkpoints: dict  # item key -> [checkpoint ids]
    targets: dict
    facts: list = field(default_factory=list)
    risk_changes: list = field(default_factory=list)  # (old, new, at, target)


def _inspection(session, w: World, task_key: str, target_key: str, status: str, *, done=None, approved=None,
                due=dt.date(YEAR, 10, 31), results=("01",), created=None) -> Fact:
    task, target = w.tasks[task_key], w.targets[target_key]
    insp = Inspection(task_id=task.id, target_id=target.id, status=status, due_date=due,
                      target_snapshot=target_snapshot(target), checklist_snapshot=[], result_categories=list(results),
                      submitted_at=done, completed_at=done, first_completed_at=done, approved_at=approved,
                      created_at=created or at(3, 1))
    session.add(insp)
    session.flush()
    fact = Fact(insp.id, task_key, task.task_type, target.id, target.category, target.region, target.risk_level,
                status, done, approved, due, list(results), list(task.item_ids))
    w.facts.append(fact)
    return fact


def _answer(session, fact: Fact, checkpoint: int, answer: str, created: dt.datetime) -> None:
    session.add(CheckpointAnswer(id=str(uuid.uuid4()), inspection_id=fact.id, checkpoint_id=checkpoint, answer=answer,
                                 created_at=created, received_at=created))
    fact.answers.append((checkpoint, answer, created))


def _finding(session, fact: Fact, checkpoint: int | None, *, supersedes=None, rectification="限期整改") -> str:
    fid = str(uuid.uuid4())
    session.add(Finding(id=fid, inspection_id=fact.id, checkpoint_id=checkpoint, description="问题", supersedes_id=supersedes,
                        rectification=rectification, created_at=at(5, 1), received_at=at(5, 1)))
    session.flush()
    fact.findings.append((fid, checkpoint, supersedes, rectification))
    return fid


def _publish(session, fact: Fact, status: str, published: dt.datetime | None) -> None:
    completed = local_date(fact.done_at)
    due = add_workdays(completed, 20)
    target = session.get(Inspection, fact.id).target
    session.add(Publication(inspection_id=fact.id, target_id=fact.target, target_name=target.name,
                            target_uscc=target.uscc, status=status, content={}, completed_on=completed, due_on=due,
                            first_published_at=published, published_at=published))
    fact.publication = {"status": status, "first_published_at": published, "due_on": due}


def _violation(session, w: World, fact: Fact, finding_id: str, closed: bool) -> Violation:
    v = Violation(inspection_id=fact.id, finding_ref=finding_id, status="closed" if closed else "open")
    session.add(v)
    session.flush()
    if closed:
        fact.closed_findings.add(finding_id)
    return v


def _referral(session, w: World, fact: Fact, violation: Violation, kind: str, status: str) -> None:
    n = next(_ids)
    session.add(Referral(kind=kind, violation_id=violation.id, inspection_id=fact.id, status=status, doc_no=f"YS-{n}",
                         party="当事人", cause="案由", reason="理由", legal_basis="依据", receiving_dept="市场监管局",
                         created_by_id=w.office.id))
    fact.referrals.append((kind, status))


def _credit(session, w: World, fact: Fact, severity: str) -> None:
    session.add(CreditRecord(target_id=fact.target, inspection_id=fact.id, kind="violation", severity=severity,
                             effective_from=dt.date(YEAR, 6, 1), effective_to=dt.date(YEAR + 1, 6, 1),
                             created_by_id=w.office.id))
    fact.credit.append(severity)


def build(session) -> World:
    """The 2024 world; committed, so that every connection sees it."""
    office = create_user(session, role="office")
    d1, d2 = create_department(session), create_department(session)
    i1 = create_item(session, name="道路货物运输经营", checkpoints=("经营许可", "车辆档案"))
    i2 = create_item(session, name="机动车维修经营", checkpoints=("维修档案", "竣工检验"))
    plan = Plan(code="JH202401", year=YEAR, name="2024年度抽查计划")
    session.add(plan)
    session.flush()
    tasks = {"U": create_task(session, items=[i1], departments=[d1], plan_id=plan.id, task_type="undirected"),
             "D": create_task(session, items=[i2], departments=[d2, d1], plan_id=plan.id, task_type="directed"),
             "T": create_task(session, items=[i1], departments=[d1], plan_id=plan.id, task_type="targeted"),
             "X": create_task(session, items=[i2], departments=[d2], plan_id=plan.id, task_type="upper"),
             "old": create_task(session, items=[i1], departments=[d1], period_start=dt.date(2023, 4, 1),
                                period_end=dt.date(2023, 10, 31), task_type="undirected")}
    targets = {}
    for k, (cat, town, risk) in enumerate([("freight", "凤城镇", "low"), ("freight", "北留镇", "general"),
                                           ("freight", "凤城镇", "high"), ("repair", "北留镇", "higher"),
                                           ("repair", "凤城镇", "low"), ("taxi", "润城镇", "general"),
                                           ("taxi", "润城镇", "low"), ("freight", "润城镇", "general"),
                                           ("repair", "润城镇", "general"), ("freight", "北留镇", "low")]):
        targets[k] = create_target(session, category=cat, region=town, risk_level=risk)
    cps = {"i1": [c.id for c in i1.checkpoints], "i2": [c.id for c in i2.checkpoints]}
    w = World(office, tasks, {"i1": i1, "i2": i2}, cps, targets)
    _fill(session, w)
    session.flush()
    problem_facts.recompute(session)  # what each inspection's submit stores (its records are written directly)
    session.commit()
    return w


def _fill(session, w: World) -> None:
    c1, c2 = w.checkpoints["i1"]
    r1, r2 = w.checkpoints["i2"]
    a = _inspection(session, w, "U", 0, "approved", done=at(3, 10), approved=at(3, 12))
    _answer(session, a, c1, "noncompliant", at(3, 10, 1))  # later changed to 符合: not a failure
    _answer(session, a, c1, "compliant", at(3, 10, 2))
    _answer(session, a, c2, "compliant", at(3, 10, 1))
    _publish(session, a, "published", at(3, 15))  # on time
    b = _inspection(session, w, "U", 1, "approved", done=at(3, 31, 17), approved=at(4, 3), results=("02",))
    _answer(session, b, c2, "compliant", at(3, 31, 16))  # done 01:00 on 1 April, Beijing time
    _answer(session, b, c2, "noncompliant", at(3, 31, 16) + dt.timedelta(minutes=1))
    f1 = _finding(session, b, c1)
    f2 = _finding(session, b, c1, supersedes=f1, rectification="限期补齐档案")  # the amendment is current
    v = _violation(session, w, b, f2, closed=True)
    _referral(session, w, b, v, "administrative", "closed")
    _credit(session, w, b, "general")
    _publish(session, b, "published", at(8, 1))  # late
    c = _inspection(session, w, "U", 2, "submitted", done=at(5, 6), results=("03",))  # returned, then resubmitted
    session.add_all([InspectionReview(inspection_id=c.id, version=1, action="return", note="补正", reviewer_id=w.office.id),
                     InspectionReview(inspection_id=c.id, version=2, action="return", note="再补正", reviewer_id=w.office.id)])
    session.get(Inspection, c.id).version = 3
    _answer(session, c, c1, "compliant", at(5, 6, 1))
    _answer(session, c, c1, "noncompliant", at(5, 6, 2))  # the latest answer is 不符合
    v = _violation(session, w, c, _finding(session, c, c1), closed=False)
    _referral(session, w, c, v, "criminal", "reported")
    _credit(session, w, c, "serious")
    _inspection(session, w, "U", 3, "withdrawn", done=at(5, 7))  # withdrawn: counts as withdrawn only
    _inspection(session, w, "U", 4, "assigned", due=dt.date(YEAR, 6, 30))  # overdue, not done
    _inspection(session, w, "U", 5, "pending_evidence")  # submitted, files still coming: not done
    d = _inspection(session, w, "D", 0, "approved", done=at(6, 2), approved=at(6, 5))  # same target as a: one 户
    _answer(session, d, r1, "noncompliant", at(6, 2, 1))
    _publish(session, d, "not_published", None)
    e = _inspection(session, w, "D", 3, "approved", done=at(6, 20), approved=at(6, 22), results=("02", "03"))
    _finding(session, e, r2, rectification="")  # a problem without a rectification order
    v = _violation(session, w, e, _finding(session, e, None), closed=False)
    _referral(session, w, e, v, "notify", "cancelled")
    _inspection(session, w, "D", 6, "in_progress", due=dt.date(YEAR, 12, 31))
    g = _inspection(session, w, "T", 7, "approved", done=at(7, 1), approved=at(7, 3), results=("02",))  # 靶向
    _finding(session, g, c2)
    _credit(session, w, g, "minor")
    _inspection(session, w, "X", 8, "approved", done=at(9, 9), approved=at(9, 10))  # 上级任务: not random
    _inspection(session, w, "old", 9, "approved", done=dt.datetime(2023, 9, 1, 4, tzinfo=UTC))  # last year
    for old, new, moment, target in [("low", "general", at(2, 1), 0), ("general", "high", at(5, 1), 1),
                                     ("high", "general", at(9, 1), 2), ("low", "general",
                                                                         dt.datetime(2023, 5, 1, tzinfo=UTC), 3)]:
        session.add(RiskLevelChange(target_id=w.targets[target].id, old_level=old, new_level=new, at=moment))
        w.risk_changes.append((old, new, moment, w.targets[target]))

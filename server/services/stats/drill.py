"""The records behind a figure: the same conditions the figure counted with, as a paged list.

A figure's link carries the filters and its cell ("fig" and the cell's keys). Each kind of figure lists
its own records: inspections, follow-up findings, referrals, credit records or risk-level changes; every row
links to the record's page in the office.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import and_, exists, func, not_, or_, select, text
from sqlalchemy.orm import Session, aliased

from server.errors import ValidationError
from server.models.fieldwork import Finding, InspectionFailure
from server.models.followup import CreditRecord, Publication, Referral, RiskLevelChange
from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Checkpoint, Target
from server.services.kernel.paging import Page, paginate
from server.services.kernel.permissions import require_staff
from server.services.stats import followup, progress, sql
from server.services.stats.filters import Filters
from server.services.stats.trend import RANK
from server.vocab import ResultCategory, RiskLevel

INSPECTION_STAGES = {**progress.STAGES, "cohort": "期间完成的检查", "random": "期间完成的随机抽查（不定向、定向）"}


@dataclass
class Drill:
    """A figure's records: what they are (title, the cell in words), the page of rows, and the row kind."""

    kind: str  # inspections / findings / referrals / credit / risk
    title: str
    cell: list[str]
    page: Page
    targets: int | None = None  # distinct targets among the inspections, when the figure counts 户


def _code_lists(session: Session, code: str) -> list:
    """Stored result-category lists that contain `code` (found by skipping through ix_inspections_stats_results)."""
    out = []
    for (value,) in session.execute(text(sql._DISTINCT_RESULTS)):
        codes = json.loads(value) if isinstance(value, str) else value
        if code in (codes or ()):
            out.append(value)
    return out


def _failed(checkpoint_ids):
    """The inspection's submitted version found one of these checkpoints wanting, as in the problem figures."""
    return exists(select(InspectionFailure.inspection_id).where(InspectionFailure.inspection_id == Inspection.id,
                                                               InspectionFailure.checkpoint_id.in_(checkpoint_ids)))


def inspection_conditions(session: Session, f: Filters, cell: Mapping) -> tuple[list, list[str]]:
    """The conditions of an inspection figure's cell, and the cell in words."""
    stage = cell.get("stage") or "cohort"
    if stage not in INSPECTION_STAGES:
        raise ValidationError(f"未知的统计项“{stage}”")
    words = [INSPECTION_STAGES[stage]]
    if stage in progress.STAGES:
        conds = [*sql.scope(f), progress.stage_conditions(f)[stage]]
    else:
        conds = sql.inspected(f)
    if stage == "random":
        conds.append(Inspection.task_id.in_(f.random_task_ids))
    if (task := _int(cell.get("task"))) is not None:
        conds.append(Inspection.task_id == task)
    if (risk := cell.get("risk")) in {m.value for m in RiskLevel}:
        conds.append(sql.RISK == risk)
        words.append(f"{RiskLevel(risk).label}风险")
    if cell.get("problem"):
        conds.append(Inspection.problem_found.is_(True))
        words.append("发现问题")
    if (code := cell.get("result")) and ResultCategory.by_label(code):
        conds.append(sql.results_in(session, _code_lists(session, code)))
        words.append(f"检查结果：{ResultCategory.by_label(code).label}")
    if (item := _int(cell.get("failed_item"))) is not None:
        conds.append(_failed(select(Checkpoint.id).where(Checkpoint.item_id == item)))
        words.append("该事项发现问题")
    if (cp := _int(cell.get("failed_checkpoint"))) is not None:
        conds.append(_failed([cp]))
        words.append("该检查要点不符合")
    return conds, words


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def publication_condition(session: Session, f: Filters, bucket: str):
    """A publication bucket as a condition on a done inspection outer-joined to its publication."""
    published = Publication.first_published_at.is_not(None)
    on_time = progress.published_by_due(session)
    not_published = func.coalesce(Publication.status, "") == "not_published"  # no record: NULL, not "not declined"
    declined = and_(~published, not_published)
    handled = or_(published, not_published)
    due = Inspection.first_completed_at < progress.overdue_before()
    return {"on_time": and_(published, on_time), "late": and_(published, ~on_time), "declined": declined,
            "overdue": and_(not_(handled), due), "pending": and_(not_(handled), ~due)}[bucket]


def _inspections(session: Session, f: Filters, cell: Mapping, page) -> Drill:
    if cell.get("fig") == "pub":
        bucket = cell.get("bucket")
        if bucket not in followup.BUCKETS:
            raise ValidationError(f"未知的公示情况“{bucket}”")
        conds, words = sql.inspected(f), [followup.BUCKETS[bucket]]
        conds.append(publication_condition(session, f, bucket))
    else:
        conds, words = inspection_conditions(session, f, cell)
    stmt = (select(Inspection, Task, Publication).join(Task, Task.id == Inspection.task_id)
            .outerjoin(Publication, and_(Publication.inspection_id == Inspection.id, Publication.department_id.is_(None))).where(*conds)
            .order_by(Inspection.first_completed_at.desc(), Inspection.id.desc()))
    rows = paginate(session, stmt, page, rows=True)
    targets = None
    if cell.get("stage") == "random":
        targets = session.scalar(select(func.count(func.distinct(Inspection.target_id)))
                                 .outerjoin(Publication, and_(Publication.inspection_id == Inspection.id, Publication.department_id.is_(None))).where(*conds))
    return Drill("inspections", "检查记录", words, rows, targets)


def _findings(session: Session, f: Filters, cell: Mapping, page) -> Drill:
    conds = [followup.done_in_cohort(f, Finding.inspection_id), followup.rectification_condition()]
    words = ["责令改正的问题"]
    if cell.get("done") in ("0", "1", 0, 1):
        conds.append(followup.rectified() if str(cell["done"]) == "1" else ~followup.rectified())
        words.append("已办结" if str(cell["done"]) == "1" else "未办结")
    insp = aliased(Inspection)  # the cohort's EXISTS keeps its own inspections table
    stmt = (select(Finding, insp).join(insp, insp.id == Finding.inspection_id).where(*conds)
            .order_by(Finding.received_at.desc(), Finding.id))
    return Drill("findings", "责令改正的问题", words, paginate(session, stmt, page, rows=True))


def _referrals(session: Session, f: Filters, cell: Mapping, page) -> Drill:
    from server.services.followup import referrals
    conds, words = [followup.done_in_cohort(f, Referral.inspection_id)], ["移送"]
    if (kind := cell.get("kind")) in referrals.KINDS:
        conds.append(Referral.kind == kind)
        words.append(referrals.KINDS[kind])
    if (state := cell.get("state")) in followup.REFERRAL_STATES:
        conds.append(followup.referral_state() == state)
        words.append(followup.REFERRAL_STATES[state])
    stmt = select(Referral).where(*conds).order_by(Referral.created_at.desc(), Referral.id.desc())
    return Drill("referrals", "移送记录", words, paginate(session, stmt, page))


def _credit(session: Session, f: Filters, cell: Mapping, page) -> Drill:
    from server.services.followup import credit
    conds, words = [followup.done_in_cohort(f, CreditRecord.inspection_id)], ["信用记录"]
    if (severity := cell.get("severity")) in credit.SEVERITIES:
        conds.append(CreditRecord.severity == severity)
        words.append(credit.SEVERITIES[severity])
    stmt = select(CreditRecord).where(*conds).order_by(CreditRecord.created_at.desc(), CreditRecord.id.desc())
    return Drill("credit", "信用记录", words, paginate(session, stmt, page))


def _risk(session: Session, f: Filters, cell: Mapping, page) -> Drill:
    lo, hi = sql.bounds(f.start, f.end)
    conds, words = [RiskLevelChange.at >= lo, RiskLevelChange.at < hi], ["风险等级变化"]
    levels = {m.value: m.label for m in RiskLevel}
    if cell.get("old") in levels and cell.get("new") in levels:
        conds += [RiskLevelChange.old_level == cell["old"], RiskLevelChange.new_level == cell["new"]]
        words.append(f"{levels[cell['old']]} → {levels[cell['new']]}")
    elif cell.get("direction") in ("up", "down"):
        pairs = [(o, n) for o in levels for n in levels if (RANK[n] > RANK[o]) == (cell["direction"] == "up") and o != n]
        conds.append(or_(*[and_(RiskLevelChange.old_level == o, RiskLevelChange.new_level == n) for o, n in pairs]))
        words.append("升高" if cell["direction"] == "up" else "降低")
    stmt = select(RiskLevelChange).join(Target, Target.id == RiskLevelChange.target_id).where(*conds)
    if f.category:
        stmt = stmt.where(Target.category == f.category)
    if f.town:
        stmt = stmt.where(Target.region == f.town)
    return Drill("risk", "风险等级变化", words, paginate(session, stmt.order_by(RiskLevelChange.at.desc()), page))


KINDS = {"insp": _inspections, "pub": _inspections, "rect": _findings, "ref": _referrals, "credit": _credit,
         "risk": _risk}


def records(session: Session, actor, f: Filters, cell: Mapping, page=1) -> Drill:
    """The records behind the figure `cell` (its "fig" and keys) under the filters `f` (staff only)."""
    require_staff(actor)
    fig = cell.get("fig") or "insp"
    if fig not in KINDS:
        raise ValidationError(f"未知的统计图表“{fig}”，请从统计分析页面的数字进入")
    return KINDS[fig](session, f, cell, page)

"""发起定向抽查 / 发起靶向检查: a new task's form filled from a risk-level warning, a filtered target list, a
referral or a complaint about one target — the population (or the named target) and the reason.

Nothing is stored here: the office shows the task form with these values and the user saves the draft, so the
task's own rules (services.planning.task_rules) decide what is valid. A 定向 task drawn from such a population
is still drawn at random within it, at its ratios.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ValidationError
from server.models.followup import RiskLevelChange
from server.models.planning import Plan
from server.models.registry import Target
from server.models.types import utcnow
from server.services.followup import credit, referrals
from server.services.kernel.paging import get_or_raise
from server.services.kernel.permissions import require_role
from server.services.kernel.workdays import today
from server.services.planning import plans
from server.services.planning.task_rules import MAX_NAMED_POPULATION
from server.services.registry import search
from server.vocab import RiskLevel, TargetCategory, TargetStatus

STARTERS = ("admin", "office")  # who writes tasks
WARNING_DAYS = 30
SHOWN_IN_REASON = 10


def plan_for(session: Session, actor, plan_id=None) -> Plan:
    """The plan the new task goes into: the one asked for, else this year's published plan (else the latest)."""
    require_role(actor, *STARTERS)
    if plan_id:
        return plans.get_plan(session, int(plan_id))
    published = list(session.scalars(select(Plan).where(Plan.published_version.is_not(None))
                                     .order_by(Plan.year.desc(), Plan.id.desc())))
    if not published:
        raise ValidationError("还没有已公布的年度抽查计划：请先在“计划与任务”中公布计划，再发起定向抽查")
    return next((p for p in published if p.year == today().year), published[0])


def _directed(usccs: list[str], reason: str, name: str) -> dict:
    if not usccs:
        raise ValidationError("没有可纳入定向抽查的检查对象，请调整筛选条件")
    if len(usccs) > MAX_NAMED_POPULATION:
        raise ValidationError(f"共 {len(usccs)} 个检查对象，超过定向抽查名单 {MAX_NAMED_POPULATION} 个的上限，请缩小筛选范围")
    return {"task_type": "directed", "name": name, "scope_usccs": "\n".join(usccs), "targeted_reason": reason,
            "exclusion_months": "0"}


def from_risk_warning(session: Session, actor, days: int = WARNING_DAYS) -> dict:
    """The targets of the risk-level change warning (changes in the last `days` days) as a 定向 population."""
    require_role(actor, *STARTERS)
    since = utcnow() - dt.timedelta(days=days)
    rows = session.execute(select(RiskLevelChange.target_id, RiskLevelChange.old_level, RiskLevelChange.new_level,
                                  Target.uscc, Target.name, Target.risk_level)
                           .join(Target, Target.id == RiskLevelChange.target_id)
                           .where(RiskLevelChange.at >= since).order_by(RiskLevelChange.at, RiskLevelChange.id)).all()
    first_old, current = {}, {}
    for r in rows:  # the change over the whole window: from the first old level to the level now
        first_old.setdefault(r.uscc, r.old_level)
        current[r.uscc] = (r.name, r.risk_level)
    changed = [u for u in current if first_old[u] != current[u][1]]
    shown = "；".join(f"{current[u][0]} {credit.level_label(first_old[u])}→{credit.level_label(current[u][1])}"
                     for u in changed[:SHOWN_IN_REASON])
    more = f" 等 {len(changed)} 个检查对象" if len(changed) > SHOWN_IN_REASON else f"，共 {len(changed)} 个检查对象"
    reason = f"风险等级变化预警（近 {days} 天）：{shown}{more}，对其开展定向抽查。"
    return _directed(changed, reason, "风险等级变化定向抽查")


def from_target_filter(session: Session, actor, *, q: str = "", category: str = "", status: str = "",
                       risk_level: str = "", region: str = "") -> dict:
    """Every target of the registry list as filtered (the 检查对象 page's search) as a 定向 population."""
    require_role(actor, *STARTERS)
    conds = search.target_conditions(q, category, status, risk_level, region)
    usccs = list(session.scalars(select(Target.uscc).where(*conds).order_by(Target.uscc)
                                 .limit(MAX_NAMED_POPULATION + 1)))
    words = [f"名称或代码含“{q.strip()}”" if q.strip() else "",
             f"行业类别：{TargetCategory.by_label(category).label}" if TargetCategory.by_label(category) else "",
             f"经营状态：{TargetStatus.by_label(status).label}" if TargetStatus.by_label(status) else "",
             f"风险等级：{RiskLevel.by_label(risk_level).label}" if RiskLevel.by_label(risk_level) else "",
             f"所属乡镇：{region}" if region else ""]
    described = "，".join(w for w in words if w) or "全部检查对象"
    count = "超过上限" if len(usccs) > MAX_NAMED_POPULATION else f"共 {len(usccs)} 个"
    return _directed(usccs, f"按检查对象名录筛选（{described}），{count}，对其开展定向抽查。", "定向抽查")


def from_referral(session: Session, actor, referral_id: int) -> dict:
    """靶向: the referral's target, with the referral as the reason and its document number as the source."""
    require_role(actor, *STARTERS)
    referral = referrals.get(session, actor, referral_id)
    target = referral.inspection.target
    kind = referrals.KINDS.get(referral.kind, referral.kind)
    return {"task_type": "targeted", "name": f"{target.name}靶向检查", "target_usccs": target.uscc,
            "targeted_reason": f"{kind}（{referral.doc_no}）：{referral.cause}。移送理由：{referral.reason}",
            "targeted_source_doc": referral.doc_no}


def from_target(session: Session, actor, target_id: int) -> dict:
    """靶向 on one target (a complaint or a tip-off about it): the target; the reason and source are typed in."""
    require_role(actor, *STARTERS)
    target = get_or_raise(session, Target, target_id, "检查对象不存在")
    return {"task_type": "targeted", "name": f"{target.name}靶向检查", "target_usccs": target.uscc}

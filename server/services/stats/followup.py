"""后续处置 and 公示时效 of the period's inspections: rectification ordered and done, referrals by kind
and state, credit records by severity, and publication within 20 working days (on time, late, pending)."""
from __future__ import annotations

from sqlalchemy import and_, case, exists, select
from sqlalchemy.orm import Session, aliased

from server.models.fieldwork import Finding
from server.models.followup import Referral, Violation
from server.models.inspections import Inspection
from server.services.followup import credit, referrals
from server.services.stats import shapes
from server.services.stats.filters import Filters
from server.services.stats.sql import inspected

REFERRAL_STATES = {"open": "办理中", "closed": "已办结", "ended": "已撤销或不予移送"}
BUCKETS = {"on_time": "按时公示", "late": "逾期公示", "declined": "不予公示（已记录理由）",
           "pending": "待公示（未超期）", "overdue": "超期未公示"}


def rectification_condition():
    """Current findings (no amendment supersedes them) with a 责令改正 order."""
    newer = aliased(Finding)
    return and_(Finding.rectification != "", ~exists(select(1).where(newer.supersedes_id == Finding.id)))


def rectified():
    """The finding's violation is closed (整改、移送或处理已办结)."""
    return exists(select(1).where(Violation.inspection_id == Finding.inspection_id,
                                  Violation.finding_ref == Finding.id, Violation.status == "closed"))


def referral_state():
    return case((Referral.status == "closed", "closed"), (Referral.status.in_(("cancelled", "refused")), "ended"),
                else_="open")


def done_in_cohort(f: Filters, inspection_id, session: Session | None = None):
    """The record's inspection is one of the period's done inspections. On SQLite one lookup by primary key
    per record, so the statement is driven from the (small) follow-up table; PostgreSQL hashes the done
    inspections' ids (from a covering index) once and semi-joins."""
    if session is not None and session.get_bind().dialect.name == "postgresql":
        return inspection_id.in_(select(Inspection.id).where(*inspected(f)))
    return exists(select(1).where(Inspection.id == inspection_id, *inspected(f)))


def buckets(per_task: dict[int, dict], pubs: dict[int, dict]) -> dict[str, int]:
    """The period's done inspections by publication outcome: on time, late, declined with a reason,
    pending within the deadline, overdue. The last two are what is left when the outcomes are taken away
    from the done inspections (and from those whose deadline has passed)."""
    out = {k: sum(p[k] for p in pubs.values()) for k in ("on_time", "late", "declined")}
    handled_due = sum(p["handled_due"] for p in pubs.values())
    cohort = sum(c.get("cohort", 0) for c in per_task.values())
    due = sum(c.get("cohort_due", 0) for c in per_task.values())
    out["overdue"] = due - handled_due
    out["pending"] = cohort - out["on_time"] - out["late"] - out["declined"] - out["overdue"]
    return out


def sections(f: Filters, c: dict, p: dict[str, int]) -> list[dict]:
    """五、后续处置 and 六、结果公示."""
    return [_follow_up(c), _publication(p)]


def _follow_up(c: dict) -> dict:
    ordered, done = c["rectification"]
    heads = [shapes.headline("责令改正", shapes.num(ordered, {"fig": "rect"})),
             shapes.headline("已办结", shapes.num(done, {"fig": "rect", "done": 1})),
             shapes.headline("办结率", shapes.pct(done, ordered))]
    ref_rows = []
    for kind, label in referrals.KINDS.items():
        cells = [shapes.num(c["referrals"].get((kind, s), 0), {"fig": "ref", "kind": kind, "state": s})
                 for s in REFERRAL_STATES]
        ref_rows.append([shapes.text(label), *cells,
                         shapes.num(sum(x["v"] for x in cells), {"fig": "ref", "kind": kind})])
    t_refs = shapes.table("referrals", "移送（按类别和办理状态）", ["移送类别", *REFERRAL_STATES.values(), "合计"], ref_rows)
    cred_rows = [[shapes.text(label), shapes.num(c["credit"].get(code, 0), {"fig": "credit", "severity": code})]
                 for code, label in credit.SEVERITIES.items()]
    t_cred = shapes.table("credit", "信用记录（按严重程度）", ["严重程度", "记录数"], cred_rows)
    t_rect = shapes.table("rectification", "责令改正", ["", "数量"],
                          [[shapes.text("责令改正的问题"), shapes.num(ordered, {"fig": "rect"})],
                           [shapes.text("已办结"), shapes.num(done, {"fig": "rect", "done": 1})],
                           [shapes.text("未办结"), shapes.num(ordered - done, {"fig": "rect", "done": 0})]])
    charts = [shapes.chart("referrals_chart", "移送办理情况", "bar", [r[0]["t"] for r in ref_rows],
                           [{"name": label, "data": [r[i + 1]["v"] for r in ref_rows]}
                            for i, label in enumerate(REFERRAL_STATES.values())], table_key="referrals"),
              shapes.chart("credit_chart", "信用记录严重程度", "pie", [r[0]["t"] for r in cred_rows],
                           [{"name": "记录数", "data": [r[1]["v"] for r in cred_rows]}], table_key="credit")]
    return shapes.section("followup", "五、后续处置", headline=heads, tables=[t_rect, t_refs, t_cred], charts=charts,
                          note="“已办结”指该问题对应的违法行为已办结（整改到位、移送办结或记录不予移送的理由）。")


def _publication(p: dict[str, int]) -> dict:
    pub_rows = [[shapes.text(label), shapes.num(p.get(k, 0), {"fig": "pub", "bucket": k})] for k, label in BUCKETS.items()]
    clocked = sum(p.values())
    due = p.get("on_time", 0) + p.get("late", 0) + p.get("overdue", 0)
    t_pub = shapes.table("publication", "公示时效（自检查完成起 20 个工作日）", ["公示情况", "检查数"], pub_rows)
    pie = shapes.chart("publication_chart", "公示时效", "pie", [r[0]["t"] for r in pub_rows],
                       [{"name": "检查数", "data": [r[1]["v"] for r in pub_rows]}], table_key="publication")
    on_time = shapes.pct(p.get("on_time", 0), due, {"fig": "pub", "bucket": "on_time"})
    badge = None
    if on_time["v"] is not None:
        badge = ("ok", "已达目标") if p.get("on_time", 0) == due else ("warn", "未达 100% 目标")
    heads = [shapes.headline("按时公示率", on_time, badge),
             shapes.headline("期间完成的检查", shapes.num(clocked, {"fig": "insp", "stage": "cohort"})),
             shapes.headline("超期未公示", shapes.num(p.get("overdue", 0), {"fig": "pub", "bucket": "overdue"}),
                             ("warn", "请尽快公示") if p.get("overdue") else None)]
    return shapes.section("publication", "六、结果公示", headline=heads, tables=[t_pub], charts=[pie],
                          note="按时公示率 = 按时公示 ÷（按时公示 + 逾期公示 + 超期未公示）；尚未到期的不计入分母。")

"""后续处置 and 公示时效 of the period's inspections: rectification ordered and done, referrals by kind
and state, credit records by severity, and publication within 20 working days (on time, late, pending)."""
from __future__ import annotations

from sqlalchemy import Date, and_, case, cast, exists, func, select
from sqlalchemy.orm import Session, aliased

from server.models.followup import CreditRecord, Publication, Referral, Violation
from server.models.fieldwork import Finding
from server.models.inspections import Inspection
from server.services.followup import credit, publication, referrals
from server.services.kernel.workdays import earliest_start_not_overdue, local_midnight_utc, today
from server.services.stats import shapes
from server.services.stats.filters import Filters
from server.services.stats.sql import dialect, inspected

REFERRAL_STATES = {"open": "办理中", "closed": "已办结", "ended": "已撤销或不予移送"}
BUCKETS = {"on_time": "按时公示", "late": "逾期公示", "declined": "不予公示（已记录理由）",
           "pending": "待公示（未超期）", "overdue": "超期未公示", "not_started": "待补传证据（未开始计时）"}


def cohort_ids(f: Filters):
    return select(Inspection.id).where(*inspected(f))


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


def local_day(session: Session, column):
    """The Beijing date of a UTC timestamp column, comparable with a Date column."""
    if dialect(session) == "sqlite":
        return func.date(column, "+8 hours")
    return cast(func.timezone("Asia/Shanghai", column), Date)


def bucket(session: Session):
    """The publication bucket of an inspection outer-joined to its publication record."""
    overdue_before = local_midnight_utc(earliest_start_not_overdue(today(), publication.PUBLISH_WORKING_DAYS))
    published_on = local_day(session, Publication.first_published_at)
    return case((Inspection.first_completed_at.is_(None), "not_started"),
                (Publication.first_published_at.is_not(None),
                 case((published_on <= Publication.due_on, "on_time"), else_="late")),
                (Publication.status == "not_published", "declined"),
                (Inspection.first_completed_at < overdue_before, "overdue"), else_="pending")


def counts(session: Session, f: Filters) -> dict:
    """Every follow-up count of the period's inspections, in four small GROUP BYs."""
    ids = cohort_ids(f)
    rect = session.execute(select(func.count(), func.count(case((rectified(), 1))))
                           .where(Finding.inspection_id.in_(ids), rectification_condition())).one()
    refs = session.execute(select(Referral.kind, referral_state(), func.count())
                           .where(Referral.inspection_id.in_(ids)).group_by(Referral.kind, referral_state())).all()
    creds = dict(session.execute(select(CreditRecord.severity, func.count())
                                 .where(CreditRecord.inspection_id.in_(ids)).group_by(CreditRecord.severity)).all())
    b = bucket(session)
    pubs = dict(session.execute(select(b, func.count()).select_from(Inspection)
                                .outerjoin(Publication, Publication.inspection_id == Inspection.id)
                                .where(*inspected(f)).group_by(b)).all())
    return {"rectification": tuple(rect), "referrals": {(k, s): n for k, s, n in refs}, "credit": creds,
            "publication": pubs}


def sections(f: Filters, c: dict) -> list[dict]:
    """五、后续处置 and 六、结果公示."""
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
    follow = shapes.section("followup", "五、后续处置", headline=heads, tables=[t_rect, t_refs, t_cred], charts=charts,
                            note="“已办结”指该问题对应的违法行为已办结（整改到位、移送办结或记录不予移送的理由）。")
    p = c["publication"]
    pub_rows = [[shapes.text(label), shapes.num(p.get(k, 0), {"fig": "pub", "bucket": k})] for k, label in BUCKETS.items()]
    clocked = sum(p.get(k, 0) for k in BUCKETS if k != "not_started")
    due = p.get("on_time", 0) + p.get("late", 0) + p.get("overdue", 0)
    t_pub = shapes.table("publication", "公示时效（自检查完成起 20 个工作日）", ["公示情况", "检查数"], pub_rows)
    pie = shapes.chart("publication_chart", "公示时效", "pie", [r[0]["t"] for r in pub_rows],
                       [{"name": "检查数", "data": [r[1]["v"] for r in pub_rows]}], table_key="publication")
    on_time = shapes.pct(p.get("on_time", 0), due, {"fig": "pub", "bucket": "on_time"})
    badge = None
    if on_time["v"] is not None:
        badge = ("ok", "已达目标") if p.get("on_time", 0) == due else ("warn", "未达 100% 目标")
    heads = [shapes.headline("按时公示率", on_time, badge),
             shapes.headline("已开始计时的检查", shapes.num(clocked)),
             shapes.headline("超期未公示", shapes.num(p.get("overdue", 0), {"fig": "pub", "bucket": "overdue"}),
                             ("warn", "请尽快公示") if p.get("overdue") else None)]
    pub = shapes.section("publication", "六、结果公示", headline=heads, tables=[t_pub], charts=[pie],
                         note="按时公示率 = 按时公示 ÷（按时公示 + 逾期公示 + 超期未公示）；尚未到期的不计入分母。")
    return [follow, pub]

"""The board's follow-up records: publications past their 20 working days, referral steps past their clocks."""
from __future__ import annotations

from sqlalchemy import func, select

from server.models.followup import Publication, PublicationRevision, Referral, ReferralEvent
from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.registry import Target
from server.services.followup import publication, referrals
from server.services.kernel.workdays import (add_workdays, earliest_start_not_overdue, local_date,
                                             local_midnight_utc, local_text)
from server.services.oversight.grouping import Context, Row, Section, fill, with_group

WAITING = ("pending_evidence", "submitted", "returned")


def _waiting(ctx: Context, section: Section) -> None:
    """Results still in review whose 20 working days from completion have run out."""
    started = func.coalesce(Inspection.first_completed_at, Inspection.completed_at)
    before = local_midnight_utc(earliest_start_not_overdue(ctx.on, publication.PUBLISH_WORKING_DAYS))
    base = (select(Inspection.id, started.label("started"), Inspection.task_id, Inspection.target_id)
            .where(Inspection.status.in_(WAITING), started < before))
    keys = lambda group: with_group(base, "id", group)  # noqa: E731

    def details(page):
        return (select(page, Target.name, Target.uscc, Task.code).join(Target, Target.id == page.c.target_id)
                .join(Task, Task.id == page.c.task_id))

    def row(r):
        done = local_date(r.started)
        return Row(["超期未审核", r.name, r.uscc, r.code, done, add_workdays(done, publication.PUBLISH_WORKING_DAYS),
                    ""], ("office.inspection_detail", {"inspection_id": r.id}))
    fill(ctx, section, keys, ["started", "id"], details, row)


def _publications(ctx: Context, section: Section, kind: str, *conditions) -> None:
    base = select(Publication.id, Publication.due_on, Publication.inspection_id).where(*conditions)
    keys = lambda group: with_group(base, "inspection_id", group)  # noqa: E731

    def details(page):
        return (select(page, Publication.target_name, Publication.target_uscc, Publication.completed_on,
                       Publication.first_published_at, Task.code)
                .join(Publication, Publication.id == page.c.id)
                .join(Inspection, Inspection.id == page.c.inspection_id).join(Task, Task.id == Inspection.task_id))
    fill(ctx, section, keys, ["due_on", "id"], details, lambda r: Row(
        [kind, r.target_name, r.target_uscc, r.code, r.completed_on, r.due_on,
         local_date(r.first_published_at) if r.first_published_at else ""],
        ("office.publication_detail", {"pub_id": r.id})))


def publication_section(ctx: Context) -> Section:
    """Past 20 working days from completion: results still waiting for review, records not yet published, and
    records that were published after their deadline."""
    section = Section("publication_late", "公示超过 20 个工作日",
                      "自检查完成之日起 20 个工作日内应当公示（《实施方案》）：超期未审核、超期未公示和超期后才公示的记录。",
                      ["情况", "检查对象", "统一社会信用代码", "任务", "检查完成", "公示期限", "公示日期"], link_column=1)
    _waiting(ctx, section)
    _publications(ctx, section, "超期未公示", Publication.status.in_(("draft", "pending")), Publication.due_on < ctx.on)
    late = select(PublicationRevision.id).where(PublicationRevision.publication_id == Publication.id,
                                                PublicationRevision.action == "publish",
                                                PublicationRevision.on_time.is_(False))
    _publications(ctx, section, "超期后才公示", Publication.first_published_at.is_not(None), late.exists())
    return section


def referral_section(ctx: Context) -> Section:
    """Open referrals whose current step is past its statutory clock, and steps that were done after theirs."""
    section = Section("referral_late", "移送超过法定时限",
                      "移送的当前步骤已超过期限（如国务院令第310号规定的 3 日、24 小时），以及超过期限才办理的步骤。",
                      ["情况", "文书编号", "当事人", "步骤", "期限", "办理时间"], link_column=1)
    open_base = referrals.overdue_filter(select(Referral.id, Referral.due_at, Referral.inspection_id))
    open_late = lambda group: with_group(open_base, "inspection_id", group)  # noqa: E731
    fill(ctx, section, open_late, ["due_at", "id"],
         lambda page: select(page, Referral.doc_no, Referral.party, Referral.due_step).join(
             Referral, Referral.id == page.c.id),
         lambda r: Row(["超期未办理", r.doc_no, r.party, referrals.DUE_LABELS.get(r.due_step, r.due_step),
                        local_text(r.due_at), ""], ("office.referral_detail", {"referral_id": r.id})))
    done_base = (select(ReferralEvent.id, ReferralEvent.happened_at, ReferralEvent.referral_id, Referral.inspection_id)
                 .join(Referral, Referral.id == ReferralEvent.referral_id).where(ReferralEvent.late.is_(True)))
    done_late = lambda group: with_group(done_base, "inspection_id", group)  # noqa: E731
    fill(ctx, section, done_late, ["happened_at", "id"],
         lambda page: select(page, ReferralEvent.step, ReferralEvent.due_at, Referral.doc_no, Referral.party)
         .join(ReferralEvent, ReferralEvent.id == page.c.id).join(Referral, Referral.id == page.c.referral_id),
         lambda r: Row(["超期后办理", r.doc_no, r.party, referrals.STEP_LABELS.get(r.step, r.step), local_text(r.due_at),
                        local_text(r.happened_at)], ("office.referral_detail", {"referral_id": r.referral_id})))
    return section

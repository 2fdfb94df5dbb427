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


def publication_section(ctx: Context) -> Section:
    """Past 20 working days from completion: results still waiting for review, records not yet published, and
    records that were published after their deadline."""
    section = Section("publication_late", "公示超过 20 个工作日",
                      "自检查完成之日起 20 个工作日内应当公示（《实施方案》）：超期未审核、超期未公示和超期后才公示的记录。",
                      ["情况", "检查对象", "统一社会信用代码", "任务", "检查完成", "公示期限", "公示日期"], link_column=1)
    started = func.coalesce(Inspection.first_completed_at, Inspection.completed_at)
    before = local_midnight_utc(earliest_start_not_overdue(ctx.on, publication.PUBLISH_WORKING_DAYS))
    waiting = (select(Inspection.id, started.label("started"), Target.name, Target.uscc, Task.code)
               .join(Target, Target.id == Inspection.target_id).join(Task, Task.id == Inspection.task_id)
               .where(Inspection.status.in_(WAITING), started < before))

    def waiting_row(r):
        done = local_date(r.started)
        return Row(["超期未审核", r.name, r.uscc, r.code, done, add_workdays(done, publication.PUBLISH_WORKING_DAYS),
                    ""], ("office.inspection_detail", {"inspection_id": r.id}))
    fill(ctx, section, with_group(waiting, Inspection.id, ctx.group), "id", [started, Inspection.id], waiting_row)
    pubs = (select(Publication.id, Publication.status, Publication.target_name, Publication.target_uscc,
                   Publication.completed_on, Publication.due_on, Publication.first_published_at, Task.code)
            .join(Inspection, Inspection.id == Publication.inspection_id).join(Task, Task.id == Inspection.task_id))
    unpublished = pubs.where(Publication.status.in_(("draft", "pending")), Publication.due_on < ctx.on)
    late = select(PublicationRevision.id).where(PublicationRevision.publication_id == Publication.id,
                                                PublicationRevision.action == "publish",
                                                PublicationRevision.on_time.is_(False))
    published_late = pubs.where(Publication.first_published_at.is_not(None), late.exists())

    def pub_row(kind):
        return lambda r: Row([kind, r.target_name, r.target_uscc, r.code, r.completed_on, r.due_on,
                              local_date(r.first_published_at) if r.first_published_at else ""],
                             ("office.publication_detail", {"pub_id": r.id}))
    for stmt, kind in ((unpublished, "超期未公示"), (published_late, "超期后才公示")):
        fill(ctx, section, with_group(stmt, Publication.inspection_id, ctx.group), "id",
             [Publication.due_on, Publication.id], pub_row(kind))
    return section


def referral_section(ctx: Context) -> Section:
    """Open referrals whose current step is past its statutory clock, and steps that were done after theirs."""
    section = Section("referral_late", "移送超过法定时限",
                      "移送的当前步骤已超过期限（如国务院令第310号规定的 3 日、24 小时），以及超过期限才办理的步骤。",
                      ["情况", "文书编号", "当事人", "步骤", "期限", "办理时间"], link_column=1)
    open_late = referrals.overdue_filter(select(Referral.id, Referral.doc_no, Referral.party, Referral.due_step,
                                                Referral.due_at))
    fill(ctx, section, with_group(open_late, Referral.inspection_id, ctx.group), "id", [Referral.due_at, Referral.id],
         lambda r: Row(["超期未办理", r.doc_no, r.party, referrals.DUE_LABELS.get(r.due_step, r.due_step),
                        local_text(r.due_at), ""], ("office.referral_detail", {"referral_id": r.id})))
    done_late = (select(ReferralEvent.id, Referral.id.label("referral_id"), Referral.doc_no, Referral.party,
                        ReferralEvent.step, ReferralEvent.due_at, ReferralEvent.happened_at)
                 .join(Referral, Referral.id == ReferralEvent.referral_id).where(ReferralEvent.late.is_(True)))
    fill(ctx, section, with_group(done_late, Referral.inspection_id, ctx.group), "id",
         [ReferralEvent.happened_at, ReferralEvent.id],
         lambda r: Row(["超期后办理", r.doc_no, r.party, referrals.STEP_LABELS.get(r.step, r.step), local_text(r.due_at),
                        local_text(r.happened_at)], ("office.referral_detail", {"referral_id": r.referral_id})))
    return section

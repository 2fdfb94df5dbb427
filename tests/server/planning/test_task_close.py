"""Closing a drawn task (结束任务) once its inspections, supplementary draws and publications are done."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied
from server.models.audit import AuditEntry
from server.models.followup import Publication
from server.models.inspections import Inspection
from server.models.planning import DrawRequest, Task
from server.models.types import utcnow
from server.services.followup import publication, review
from server.services.kernel import approvals, workdays
from server.services.planning import draws, supplementary, task_closing
from tests.factories import create_user, submit_inspection
from tests.server import drawkit

FUTURE = {"period_start": dt.date(2029, 4, 1), "period_end": dt.date(2029, 10, 31)}  # the period has not ended


def _drawn(session):
    """A drawn task over 4 general-risk targets (2 drawn, 2 left for a 补抽) whose period is still running."""
    kit = drawkit.setup(session, targets_per_level=(0, 4, 0, 0), inspectors_per_dept=4,
                        ratios={"low": "0.5", "general": "0.5", "higher": "0.5", "high": "0.5"}, **FUTURE)
    kit.draw = drawkit.drawn(session, kit.office, kit.task.id, "监督人李四")
    return kit


def _inspections(session, kit) -> list[Inspection]:
    return list(session.scalars(select(Inspection).where(Inspection.task_id == kit.task.id).order_by(Inspection.id)))


def _approve(session, kit, inspection) -> Publication:
    submit_inspection(session, inspection)
    review.approve(session, kit.office, inspection.id)
    return session.scalar(select(Publication).where(Publication.inspection_id == inspection.id))


def _publish(session, kit, *pubs) -> None:
    for made in publication.request_approval(session, kit.office, [p.id for p in pubs]):
        approvals.decide(session, kit.leader, made.id, approve=True)


def _finish(session, kit) -> None:
    """Every inspection approved and its result published."""
    _publish(session, kit, *[_approve(session, kit, i) for i in _inspections(session, kit)])


def _close_entries(session) -> int:
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "task.close"))


def _refused(session, kit, message: str) -> None:
    with pytest.raises(Conflict) as err:
        task_closing.close_task(session, kit.office, kit.task.id, note="检查完毕")
    assert err.value.message == message
    session.refresh(kit.task)
    assert (kit.task.status, kit.task.closed_at, kit.task.closed_by_id) == ("drawn", None, None)
    assert _close_entries(session) == 0


# --- the service ------------------------------------------------------------------------------------------

def test_closing_a_finished_task_records_when_who_and_the_audit_entry(session):
    kit = _drawn(session)
    _finish(session, kit)
    task = task_closing.close_task(session, kit.office, kit.task.id, note="  本批次检查全部完成  ")
    assert (task.status, task.closed_by_id) == ("closed", kit.office.id)
    assert task.closed_at is not None and abs(task.closed_at - utcnow()) < dt.timedelta(minutes=1)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "task.close")).one()
    assert (entry.object_type, entry.object_id, entry.actor_id, entry.reason) == (
        "tasks", str(task.id), kit.office.id, "本批次检查全部完成")
    assert entry.detail["code"] == task.code
    assert {k: entry.detail[k] for k in ("inspections", "approved", "withdrawn", "published", "not_published")} == {
        "inspections": 2, "approved": 2, "withdrawn": 0, "published": 2, "not_published": 0}


def test_a_withdrawn_inspection_and_a_result_declined_with_its_reason_count_as_done(session):
    kit = _drawn(session)
    first, second = _inspections(session, kit)
    request = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target",
                                                  reason="企业已注销")
    approvals.decide(session, kit.leader, request.approval_id, approve=True)
    drawkit.drawn_request(session, kit.office, request.id, "王五")
    assert first.status == "withdrawn"
    replacement = _inspections(session, kit)[-1]
    _publish(session, kit, _approve(session, kit, second))
    publication.decline(session, kit.office, _approve(session, kit, replacement).id, "涉及国家秘密，依法不予公开")
    task = task_closing.close_task(session, kit.office, kit.task.id)
    assert task.status == "closed"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "task.close")).one()
    assert (entry.detail["inspections"], entry.detail["approved"], entry.detail["withdrawn"],
            entry.detail["published"], entry.detail["not_published"], entry.detail["supplementary_drawn"]) == (
        3, 2, 1, 1, 1, 1)


def test_inspections_not_yet_approved_block_closing(session):
    kit = _drawn(session)
    _refused(session, kit, "还有 2 项检查未审核通过，不能结束任务")
    first, _ = _inspections(session, kit)
    _approve(session, kit, first)
    _refused(session, kit, "还有 1 项检查未审核通过、1 项结果未公示，不能结束任务")


def test_an_open_supplementary_request_blocks_closing(session):
    kit = _drawn(session)
    first, _ = _inspections(session, kit)
    request = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_inspector",
                                                  member_id=first.members[0].id, reason="与检查对象存在利害关系，申请回避")
    _finish(session, kit)  # the group submitted meanwhile; the request is still open
    _refused(session, kit, "还有 1 项补抽、递补或补派申请待领导审批，不能结束任务")
    approvals.decide(session, kit.leader, request.approval_id, approve=True)
    _refused(session, kit, "还有 1 项补抽、递补或补派已批准待抽取，不能结束任务")


def test_an_approved_result_not_yet_published_blocks_closing(session):
    kit = _drawn(session)
    first, second = _inspections(session, kit)
    _publish(session, kit, _approve(session, kit, first))
    pending = _approve(session, kit, second)
    _refused(session, kit, "还有 1 项结果未公示，不能结束任务")
    publication.request_approval(session, kit.office, [pending.id])  # waiting for the leader is still unpublished
    _refused(session, kit, "还有 1 项结果未公示，不能结束任务")


@pytest.mark.parametrize("role", ["inspector", "leader"])
def test_only_office_staff_close_a_task(session, role):
    kit = _drawn(session)
    _finish(session, kit)
    with pytest.raises(PermissionDenied, match="您没有执行此操作的权限"):
        task_closing.close_task(session, create_user(session, role=role), kit.task.id)
    assert kit.task.status == "drawn" and _close_entries(session) == 0


def test_a_task_is_closed_once_and_only_after_its_draw(session):
    kit = _drawn(session)
    _finish(session, kit)
    closed = task_closing.close_task(session, kit.office, kit.task.id)
    when = workdays.local_text(closed.closed_at)
    with pytest.raises(Conflict) as err:
        task_closing.close_task(session, kit.office, kit.task.id)
    assert err.value.message == f"该任务已于 {when} 结束，不能重复结束"
    assert _close_entries(session) == 1
    undrawn = drawkit.setup(session, targets_per_level=(0, 2, 0, 0))
    with pytest.raises(Conflict) as err:
        task_closing.close_task(session, undrawn.office, undrawn.task.id)
    assert err.value.message == "任务尚未抽取，不能结束任务"


def test_no_supplementary_draw_on_a_closed_task(session):
    kit = _drawn(session)
    _finish(session, kit)
    task_closing.close_task(session, kit.office, kit.task.id)
    first, _ = _inspections(session, kit)
    with pytest.raises(Conflict) as err:
        supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="企业已迁出")
    assert err.value.message == supplementary.CLOSED_MESSAGE == "该任务已结束，不能再补抽、递补或补派；如需再次检查，请新建抽查任务"
    assert session.scalar(select(func.count(DrawRequest.id))) == 0
    with pytest.raises(Conflict, match="^该任务已结束，抽取结果已锁定，不能再抽取；如需再次检查，请新建抽查任务$"):
        draws.run_draw(session, kit.office, kit.task.id, witness_entropy="", confirmed=True)


def test_an_approved_request_cannot_be_drawn_once_the_task_is_closed(session):
    """Defence in depth: close_task refuses while a request is open, and the draw itself checks again."""
    kit = _drawn(session)
    first, _ = _inspections(session, kit)
    request = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target",
                                                  reason="企业已注销")
    approvals.decide(session, kit.leader, request.approval_id, approve=True)
    kit.task.status = "closed"  # as if a close had slipped past the checks
    session.flush()
    with pytest.raises(Conflict) as err:
        supplementary.run_supplementary(session, kit.office, request.id, witness_entropy="", confirmed=True)
    assert err.value.message == supplementary.CLOSED_MESSAGE


# --- the public portal ------------------------------------------------------------------------------------

def test_closing_reveals_the_seed_on_the_public_page_before_the_period_ends(client, session):
    kit = _drawn(session)
    _finish(session, kit)
    session.commit()
    code, seed, made = kit.task.code, kit.task.server_seed_hex, kit.draw
    page = client.get(f"/public/tasks/{code}").get_data(as_text=True)
    assert seed not in page and "已结束" not in page and "任务结束（2029-10-31）后公开" in page
    assert client.get(f"/public/tasks/{code}/draws/{made.id}.json").status_code == 404
    task_closing.close_task(session, kit.office, kit.task.id)
    session.commit()
    page = client.get(f"/public/tasks/{code}").get_data(as_text=True)
    closed_on = workdays.local_text(kit.task.closed_at, "%Y-%m-%d")
    assert f"<strong>已结束</strong>（{closed_on} 结束" in page
    assert seed in page and made.record["draw_seed"] in page
    assert "本页已按公开记录重新计算（算法 spotcheck-draw-v2）：抽中对象与检查组与记录一致" in page
    resp = client.get(f"/public/tasks/{code}/draws/{made.id}.json")
    assert resp.status_code == 200 and resp.json["server_seed"] == seed
    listing = client.get("/public/tasks").get_data(as_text=True)
    row = listing[listing.index(code):]
    row = row[:row.index("</tr>")]
    assert f"已结束（{closed_on}）" in row and "已公开" in row


# --- the office page --------------------------------------------------------------------------------------

def test_the_task_page_lists_what_blocks_closing(client, login, session):
    kit = _drawn(session)
    first, _ = _inspections(session, kit)
    _approve(session, kit, first)
    submit_inspection(session, _inspections(session, kit)[1])
    session.commit()
    login(kit.office)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "还不能结束任务" in page
    assert "<td>已通过</td>" in page and "<td>已提交</td>" in page  # the same state names as the inspection list
    assert "1 项检查未审核通过" in page and "其中 1 项待审核" in page and 'href="/office/review"' in page
    assert "1 项结果未公示" in page and "1 项待提交审批" in page and 'href="/office/publications?status=draft"' in page
    assert f'action="/office/tasks/{kit.task.id}/close"' not in page
    page = client.post(f"/office/tasks/{kit.task.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "还有 1 项检查未审核通过、1 项结果未公示，不能结束任务" in page
    session.refresh(kit.task)
    assert kit.task.status == "drawn"


def test_office_closes_a_finished_task_from_its_page(client, login, session):
    kit = _drawn(session)
    _finish(session, kit)
    session.commit()
    login(kit.leader)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "可由科室工作人员结束任务" in page and f'action="/office/tasks/{kit.task.id}/close"' not in page
    assert client.post(f"/office/tasks/{kit.task.id}/close").status_code == 403
    client.post("/office/logout")
    login(kit.office)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert f'action="/office/tasks/{kit.task.id}/close"' in page and "2 项通过，0 项撤回" in page
    page = client.post(f"/office/tasks/{kit.task.id}/close", data={"note": "已全部公示"},
                       follow_redirects=True).get_data(as_text=True)
    session.refresh(kit.task)
    assert kit.task.status == "closed"
    assert "任务已结束；抽取的服务器种子已在门户公开" in page
    closed = workdays.local_text(kit.task.closed_at)
    assert f"已结束（{closed}，{kit.office.display_name}）" in page and "任务已结束，已公开" in page
    assert f'action="/office/tasks/{kit.task.id}/close"' not in page
    plan_page = client.get(f"/office/plans/{kit.plan.id}").get_data(as_text=True)
    assert "已结束" in plan_page
    assert session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "task.close")).one() == "已全部公示"


def test_the_close_form_needs_its_csrf_token(csrf_app):
    from server.extensions import db
    kit = _drawn(db.session)
    _finish(db.session, kit)
    db.session.commit()
    task_id = kit.task.id
    client = csrf_app.test_client()

    def request(method, path, **kw):  # each request in its own app context, as on a real server
        with csrf_app.app_context():
            return getattr(client, method)(path, **kw)

    def token(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    login_page = request("get", "/office/login").get_data(as_text=True)
    request("post", "/office/login", data={"username": kit.office.username, "password": "password123",
                                            "csrf_token": token(login_page)})
    page = request("get", f"/office/tasks/{task_id}").get_data(as_text=True)
    assert f'action="/office/tasks/{task_id}/close"' in page
    resp = request("post", f"/office/tasks/{task_id}/close", data={"note": "x"})
    assert resp.status_code == 400 and "CSRF 校验失败" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "task.close")) == 0
    resp = request("post", f"/office/tasks/{task_id}/close", data={"note": "x", "csrf_token": token(page)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task_id).status == "closed"
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "task.close")) == 1


def test_a_pending_request_approval_is_listed_with_a_link(client, login, session):
    kit = _drawn(session)
    first, _ = _inspections(session, kit)
    supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="企业已注销")
    session.commit()
    login(kit.office)
    page = client.get(f"/office/tasks/{kit.task.id}").get_data(as_text=True)
    assert "1 项补抽、递补或补派申请待领导审批" in page and 'href="#requests"' in page and 'id="requests"' in page

"""From a warning to a targeted draw: the risk-level warning and a filtered target list open a 定向 task form whose
population is exactly those targets, with the reason filled in; the draw stays random within it. A referral or a
complaint opens a 靶向 form with its reason and source document."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from server.models.followup import RiskLevelChange
from server.models.inspections import Inspection
from server.models.planning import Task
from server.services.oversight import task_start
from server.services.planning import tasks
from tests.factories import create_target
from tests.server import drawkit


def _kit(session):
    kit = drawkit.setup(session, targets_per_level=(6, 6, 0, 0), publish=False)
    risen = kit.targets[:3]
    for t in risen:
        session.add(RiskLevelChange(target_id=t.id, old_level="low", new_level="higher", cause="信用记录"))
        t.risk_level = "higher"
    session.flush()
    return kit, risen


def _form_value(html: str, name: str) -> str:
    m = re.search(rf'<textarea[^>]*name="{name}"[^>]*>([^<]*)</textarea>', html)
    return m.group(1) if m else ""


def test_the_risk_warning_opens_a_directed_task_on_exactly_its_targets_and_the_draw_stays_inside(
        client, session, login):
    kit, risen = _kit(session)
    session.commit()
    login(kit.office)
    dashboard = client.get("/office/").get_data(as_text=True)
    assert 'href="/office/tasks/start/risk"' in dashboard and "发起定向抽查" in dashboard
    page = client.get("/office/tasks/start/risk").get_data(as_text=True)
    assert f'action="/office/plans/{kit.plan.id}/tasks/new"' in page
    assert sorted(_form_value(page, "scope_usccs").split()) == sorted(t.uscc for t in risen)
    reason = _form_value(page, "targeted_reason")
    assert reason.startswith("风险等级变化预警（近 30 天）：") and f"{risen[0].name} 低→较高" in reason
    data = {"name": "风险等级变化定向抽查", "task_type": "directed", "method": "on_site", "item_ids": str(kit.item.id),
            "group_size": "2", "lead_department_id": str(kit.depts[0].id), "period_start": "2024-04-01",
            "period_end": "2024-10-31", "exclusion_months": "0", "scope_usccs": _form_value(page, "scope_usccs"),
            "targeted_reason": reason, **{f"ratio_{k}": "50" for k in ("low", "general", "higher", "high")}}
    resp = client.post(f"/office/plans/{kit.plan.id}/tasks/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    task = session.scalar(select(Task).where(Task.name == "风险等级变化定向抽查"))
    assert task.task_type == "directed" and sorted(task.scope["usccs"]) == sorted(t.uscc for t in risen)
    assert task.targeted_reason == reason
    pairs, _ = tasks.population(session, task)
    assert sorted(u for u, _ in pairs) == sorted(t.uscc for t in risen)
    tasks.publish_task(session, kit.office, task.id)
    drawkit.drawn(session, kit.office, task.id)
    drawn = set(session.scalars(select(Inspection.target_id).where(Inspection.task_id == task.id)))
    assert drawn and drawn <= {t.id for t in risen} and len(drawn) == 2  # 50% of 3 within the population, at random


def test_a_filtered_target_list_opens_a_directed_task_on_that_list(client, session, login):
    kit, _ = _kit(session)
    create_target(session, region="北留镇", name="北留镇甲运输公司")
    create_target(session, region="北留镇", name="北留镇乙运输公司")
    session.commit()
    login(kit.office)
    listing = client.get("/office/targets?region=北留镇").get_data(as_text=True)
    assert "发起定向抽查" in listing
    page = client.get("/office/tasks/start/targets?region=北留镇").get_data(as_text=True)
    assert len(_form_value(page, "scope_usccs").split()) == 2
    assert "按检查对象名录筛选（所属乡镇：北留镇），共 2 个" in _form_value(page, "targeted_reason")


def test_a_list_with_an_unknown_code_or_a_target_outside_the_items_is_refused_and_nothing_is_stored(session):
    kit, risen = _kit(session)
    bus = create_target(session, category="bus", name="公交公司")
    before = session.scalar(select(func.count(Task.id)))
    for usccs, message in ((["91140522000000000X"], "不在检查对象名录库中"),
                           ([risen[0].uscc, bus.uscc], "不属于所选抽查事项的检查对象类别")):
        try:
            tasks.create_task(session, kit.office, kit.plan.id, drawkit.task_data(
                [kit.item], kit.depts, task_type="directed", scope={"usccs": usccs}))
        except Exception as err:  # noqa: BLE001  (the ValidationError's message is what the user reads)
            assert message in err.errors["scope.usccs"]
        else:
            raise AssertionError("accepted")
    assert session.scalar(select(func.count(Task.id))) == before


def test_nothing_to_start_from_says_why_in_chinese(client, session, login):
    kit = drawkit.setup(session, targets_per_level=(1, 0, 0, 0), publish=False)
    session.commit()
    login(kit.office)
    page = client.get("/office/tasks/start/risk", follow_redirects=True).get_data(as_text=True)
    assert "没有可纳入定向抽查的检查对象，请调整筛选条件" in page


def test_a_complaint_about_one_target_opens_a_targeted_task_for_it(session):
    kit, risen = _kit(session)
    prefill = task_start.from_target(session, kit.office, risen[0].id)
    assert prefill["task_type"] == "targeted" and prefill["target_usccs"] == risen[0].uscc
    assert task_start.plan_for(session, kit.office).id == kit.plan.id


def test_a_referral_opens_a_targeted_task_with_its_reason_and_document(client, session, login):
    from server.models.followup import Referral, Violation
    from tests.factories import create_inspection
    kit, _ = _kit(session)
    insp = create_inspection(session, status="approved")
    violation = Violation(inspection_id=insp.id, finding_ref="", description="超限运输")
    session.add(violation)
    session.flush()
    ref = Referral(kind="notify", violation_id=violation.id, inspection_id=insp.id, doc_no="阳交抄〔2024〕3号",
                   party=insp.target.name, cause="车辆超限运输", reason="属公路管理职责", legal_basis="《公路法》",
                   receiving_dept="县公路段", created_by_id=kit.office.id)
    session.add(ref)
    session.commit()
    login(kit.office)
    assert "发起靶向检查" in client.get(f"/office/referrals/{ref.id}").get_data(as_text=True)
    page = client.get(f"/office/tasks/start/referral/{ref.id}").get_data(as_text=True)
    assert _form_value(page, "target_usccs") == insp.target.uscc
    assert "抄告（阳交抄〔2024〕3号）：车辆超限运输" in _form_value(page, "targeted_reason")
    assert 'value="阳交抄〔2024〕3号"' in page

"""The task page of a joint task shows which departments have drawn and which still wait, and a department's
own staff seal and draw its members there; the task form lets the office choose each item's department."""
from __future__ import annotations

import re

from server.models.planning import Task
from tests.server import drawkit, jointkit


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def test_the_task_page_shows_the_parts_and_the_department_draws_its_own(client, session, login):
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id, "监督人")
    session.commit()
    login(kit.staff, c=client)
    page = _text(client.get(f"/office/tasks/{kit.task.id}"))
    assert "联合抽查：各部门抽取本部门人员" in page
    assert "交通运输综合行政执法队（发起） JT007 巡游出租汽车经营服务 已抽取" in page
    assert "县市场监督管理局（配合） SCJ001 出租汽车计价器计量和价格行为 待封存" in page
    assert "检查组待配合部门抽取，暂未发送到手机" in page
    resp = client.post(f"/office/tasks/{kit.task.id}/departments/{kit.scj.id}/seal", follow_redirects=True)
    assert "已封存：检查对象 3 个、执法人员 2 人" in _text(resp)
    seal_id = re.search(r'name="seal_id" value="(\d+)"', resp.get_data(as_text=True)).group(1)
    resp = client.post(f"/office/tasks/{kit.task.id}/departments/{kit.scj.id}/draw", follow_redirects=True,
                       data={"witness_entropy": "市场监管局监督人", "confirmed": "1", "seal_id": seal_id})
    page = _text(resp)
    assert "县市场监督管理局已完成本部门人员抽取：为 3 个检查对象各抽取 1 人" in page
    assert "县市场监督管理局（配合） SCJ001 出租汽车计价器计量和价格行为 已抽取" in page
    assert "暂未发送到手机" not in page
    again = client.post(f"/office/tasks/{kit.task.id}/departments/{kit.scj.id}/seal", follow_redirects=True)
    assert "完成本部门人员抽取，结果已锁定，不能重复抽取" in _text(again)


def test_the_task_form_gives_an_item_to_a_participating_department(client, session, login):
    kit = jointkit.setup(session, publish=False)
    session.commit()
    login(kit.office, c=client)
    form = client.get(f"/office/tasks/{kit.task.id}/edit").get_data(as_text=True)
    assert f'name="item_department_{kit.pricing.id}"' in form
    data = {"name": "巡游出租汽车联合抽查", "task_type": "undirected", "item_ids": [kit.transport.id, kit.pricing.id],
            f"item_department_{kit.transport.id}": kit.zfd.id, f"item_department_{kit.pricing.id}": kit.zfd.id,
            "group_size": "2", "lead_department_id": kit.zfd.id, "cooperating_department_ids": [kit.scj.id],
            "period_start": "2024-04-01", "period_end": "2024-10-31", "exclusion_months": "12",
            **{f"ratio_{k}": "100" for k in ("low", "general", "higher", "high")}}
    refused = client.post(f"/office/tasks/{kit.task.id}/edit", data=data)
    assert refused.status_code == 422 and "部门“交通运输综合行政执法队”没有符合条件的执法人员（在岗、执法证在任务期间全程有效、" \
        "具备资质：市场监管）" in _text(refused)  # 执法队 cannot take the pricing item: none of its people may check it
    data.update({f"item_department_{kit.transport.id}": kit.scj.id, f"item_department_{kit.pricing.id}": kit.scj.id})
    resp = client.post(f"/office/tasks/{kit.task.id}/edit", data=data, follow_redirects=True)
    assert "任务已保存" in _text(resp)
    session.expire_all()
    assert session.get(Task, kit.task.id).item_departments == {str(kit.transport.id): kit.scj.id,
                                                               str(kit.pricing.id): kit.scj.id}


def test_the_departments_workbench_shows_the_joint_task_waiting_for_its_draw(client, session, login):
    kit = jointkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    session.commit()
    login(kit.staff, c=client)
    page = _text(client.get("/office/"))
    assert "待本部门抽取人员的联合抽查 1" in page

"""A joint task (联合抽查) of the bureau's 执法队 with 县市场监督管理局: each checks its own item, and each draws its own
members (the service tests and the e2e journey share it)."""
from __future__ import annotations

from types import SimpleNamespace

from server.services.planning import tasks
from tests.factories import create_department, create_inspector, create_item, create_target, create_user
from tests.server import drawkit

ALL = {"low": "1", "general": "1", "higher": "1", "high": "1"}


def setup(session, *, targets=3, scj_inspectors=2, scj_tags=("市场监管",), publish=True, **task_kw):
    """执法队 (3 inspectors), 县市场监督管理局 (external, its own inspectors and staff account), a transport item of
    执法队 and a pricing item of 县市场监督管理局 that needs 市场监管, `targets` general-risk taxi firms, all drawn."""
    office, leader = drawkit.people(session)
    zfd = create_department(session, code="ZFD", name="交通运输综合行政执法队")
    scj = create_department(session, code="SCJ", name="县市场监督管理局", kind="external", short_name="县市场监管局")
    ours = [create_inspector(session, zfd, name=n, cert_no=c) for n, c in (
        ("李志强", "14052200000001"), ("郭晓东", "14052200000002"), ("卫海燕", "14052200000003"))]
    theirs = [create_inspector(session, scj, name=n, cert_no=c, tags=list(scj_tags)) for n, c in (
        ("常文静", "14052299000001"), ("杜明远", "14052299000002"), ("秦晓芳", "14052299000003"))[:scj_inspectors]]
    transport = create_item(session, code="JT007", name="巡游出租汽车经营服务", target_categories=["taxi"],
                            department_id=zfd.id, checkpoints=("是否取得巡游出租汽车经营许可", "车辆是否按规定安装计价器"))
    pricing = create_item(session, code="SCJ001", name="出租汽车计价器计量和价格行为", target_categories=["taxi"],
                          department_id=scj.id, qualification_tags=["市场监管"],
                          checkpoints=("计价器是否经检定合格", "是否明码标价"))
    firms = [create_target(session, category="taxi", risk_level="general", name=f"阳城县第{n + 1}出租汽车有限公司")
             for n in range(targets)]
    plan = drawkit.published_plan(session, office, leader)
    data = drawkit.task_data([transport, pricing], [zfd, scj], name="巡游出租汽车联合抽查", ratios=dict(ALL),
                             item_departments={str(transport.id): zfd.id, str(pricing.id): scj.id}, **task_kw)
    task = tasks.create_task(session, office, plan.id, data)
    if publish:
        tasks.publish_task(session, office, task.id)
    staff = create_user(session, role="dept_staff", username="scjstaff", department_id=scj.id)
    return SimpleNamespace(office=office, leader=leader, zfd=zfd, scj=scj, ours=ours, theirs=theirs,
                           transport=transport, pricing=pricing, firms=firms, plan=plan, task=task, staff=staff)


def department_drawn(session, actor, task_id, department_id, entropy: str = "配合部门监督人"):
    """封存 then 抽取 of a cooperating department's own members."""
    from server.services.planning import department_draws
    department_draws.seal_department_draw(session, actor, task_id, department_id)
    return department_draws.run_department_draw(session, actor, task_id, department_id, witness_entropy=entropy,
                                                confirmed=True)

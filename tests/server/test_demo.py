"""The 阳城县 demo data set and the `load-demo` / `demo-logins` commands."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from server import demo, demo_plan
from server.models.accounts import User
from server.models.audit import AuditEntry
from server.models.registry import Department, InspectionItem, Inspector, Recusal, Target
from server.services.accounts import credentials
from server.services.kernel import audit
from server.services.registry import risk, uscc
from server.vocab import RiskLevel, TargetCategory
from tests.factories import create_target, create_user

DAY = dt.date(2026, 11, 27)


def test_build_is_deterministic_for_a_day():
    assert demo.build(DAY) == demo.build(DAY)
    later = demo.build(DAY + dt.timedelta(days=400))
    # Who and where stay the same on another day; only dates relative to the day (and ratings) move.
    keys = ("uscc", "name", "address", "legal_rep", "contact_phone")
    same_day = demo.build(DAY)["targets"]
    assert [[t[k] for k in keys] for t in later["targets"]] == [[t[k] for k in keys] for t in same_day]
    assert [i["name"] for i in later["inspectors"]] == [i["name"] for i in demo.build(DAY)["inspectors"]]


def test_data_set_shape():
    data = demo.build(DAY)
    targets = data["targets"]
    assert len(targets) == 300
    assert set(Counter(t["category"] for t in targets)) == {c.value for c in TargetCategory}
    assert len({t["uscc"] for t in targets}) == 300 and len({t["name"] for t in targets}) == 300
    for t in targets:
        assert uscc.problem(t["uscc"]) is None, t["uscc"]
        assert t["uscc"][2:8] == "140522" and t["name"].startswith("阳城县")
        assert 35.2 < t["latitude"] < 35.7 and 112.0 < t["longitude"] < 112.7
    assert any("危货" in t["tags"] for t in targets) and any(t["status"] != "active" for t in targets)
    items = data["items"]
    assert 11 <= len(items) <= 13
    assert all(3 <= len(i["checkpoints"]) <= 8 and i["legal_basis"].startswith("《") for i in items)
    assert {i["kind"] for i in items} == {"general", "key"}
    dangerous = next(i for i in items if i["name"] == "危险货物道路运输")
    assert dangerous["qualification_tags"] == ["危货"] and dangerous["kind"] == "key"


def test_load_stores_the_data_set_with_every_risk_level(session):
    counts = demo.load(session, today=DAY)
    session.commit()
    assert counts["targets"] == 300 and counts["items"] == 13 and counts["users"] == len(demo.DEMO_USERS)
    stored = sorted(session.execute(select(Target.uscc, Target.name)).all())
    assert stored == sorted((t["uscc"], t["name"]) for t in demo.build(DAY)["targets"])
    levels = dict(session.execute(select(Target.risk_level, func.count()).group_by(Target.risk_level)).all())
    assert set(levels) == {lv.value for lv in RiskLevel}
    for target in session.scalars(select(Target)).all()[:60]:
        assert target.risk_level == risk.derive(list(target.ratings), DAY).value
    assert all(uscc.problem(u) is None for u in session.scalars(select(Target.uscc)))
    item = session.scalar(select(InspectionItem).where(InspectionItem.name == "危险货物道路运输"))
    assert item.status == "published" and len(item.checkpoints) == 7
    assert audit.verify(session) == []
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "demo.load")).detail["检查对象"] == 300


def test_inspectors_certificates_and_recusals(session):
    demo.load(session, today=DAY)
    inspectors = session.scalars(select(Inspector)).all()
    assert len(inspectors) == 28 and len({i.department_id for i in inspectors}) == 4
    external = session.scalar(select(Department).where(Department.kind == "external"))
    assert external.name == "阳城县市场监督管理局" and external.contact_phone
    assert sum(i.department_id == external.id for i in inspectors) == 3
    expired = [i for i in inspectors if i.cert_expires_on < DAY]
    soon = [i for i in inspectors if DAY <= i.cert_expires_on <= DAY + dt.timedelta(days=60)]
    assert len(expired) == 1 and len(soon) == 3
    assert session.scalar(select(func.count(Recusal.id))) == 2
    assert sum("危货" in i.tags for i in inspectors) >= 4


def test_demo_users_log_in_and_inspectors_form_a_group(session):
    demo.load(session, today=DAY)
    for d in demo.DEMO_USERS:
        user = credentials.authenticate(session, d.username, d.password)
        assert user.role == d.role
    group = [session.scalar(select(User).where(User.username == d.username)).inspector
             for d in demo.DEMO_USERS if d.role == "inspector"]
    assert len(group) >= 2 and len({i.department_id for i in group}) == 1
    assert all(i.status == "active" and i.cert_valid_through(DAY, DAY + dt.timedelta(days=365)) for i in group)


def test_demo_plan_is_published_and_the_inspector_users_have_work(session):
    from server.models.inspections import Inspection, InspectionMember
    from server.models.planning import Plan, Task
    from server.services.draw import checks

    counts = demo.load(session, today=DAY)
    plan = session.scalar(select(Plan))
    assert plan.status == "published" and plan.year == DAY.year and counts["plans"] == 1
    statuses = sorted(session.scalars(select(Task.status)))
    assert statuses == ["drawn", "drawn", "drawn", "drawn", "drawn"]
    modes = dict(session.execute(select(Inspection.mode, func.count()).group_by(Inspection.mode)).all())
    assert modes.get("document") and modes.get("online") and modes.get("on_site")  # 书面检查 and 网络监测 too
    overdue = session.scalar(select(func.count(Inspection.id)).where(Inspection.due_date < DAY))
    assert overdue  # the 网络监测 task's period has ended: the 督查 board has overdue work to show
    from server.models.followup import RiskLevelChange
    assert session.scalar(select(func.count(RiskLevelChange.id))) >= 3  # the 工作台's risk warning
    assert counts["inspections"] == session.scalar(select(func.count(Inspection.id))) > 0
    for d in demo.DEMO_USERS:
        if d.role != "inspector":
            continue
        user = session.scalar(select(User).where(User.username == d.username))
        assigned = session.scalar(select(func.count(InspectionMember.id)).join(Inspection).where(
            InspectionMember.inspector_id == user.inspector_id, InspectionMember.active.is_(True),
            Inspection.status == "assigned"))
        assert assigned >= 1, d.username
    for task in session.scalars(select(Task).where(Task.status == "drawn")):
        record = task.draws[0].record
        assert record["unstaffed"] == [] and checks.verify(record) == []
    assert audit.verify(session) == []


def test_the_demo_joint_task_waits_for_the_market_supervision_bureau_to_draw_its_members(session):
    from server.models.inspections import Inspection
    from server.models.planning import Task
    from server.services.planning import department_draws

    demo.load(session, today=DAY)
    task = session.scalar(select(Task).where(Task.name.contains("巡游出租汽车")))
    [part] = department_draws.parts(session, task)
    assert (part.department.name, part.label) == ("阳城县市场监督管理局", "待封存")
    inspections = session.scalars(select(Inspection).where(Inspection.task_id == task.id)).all()
    assert inspections and not any(i.group_complete for i in inspections)
    assert [(c["code"], c["department"]["code"]) for c in inspections[0].checklist_snapshot] == [
        ("JT007", "ZFD"), ("SCJ001", "SCJ")]
    staff = session.scalar(select(User).where(User.username == "scjstaff"))
    department_draws.seal_department_draw(session, staff, task.id, part.department.id)
    department_draws.run_department_draw(session, staff, task.id, part.department.id, witness_entropy="演示",
                                         confirmed=True)
    assert all(i.group_complete for i in inspections)


def test_load_demo_if_empty_is_idempotent(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["load-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "已加载阳城县演示数据：部门 4，抽查事项 13，检查对象 300，执法检查人员 28，回避声明 2，用户 7，" \
           "抽查计划 1，抽查任务 5，已分派的检查" in first.output
    assert "已提交待审核的检查 1" in first.output
    audit_count = session.scalar(select(func.count(AuditEntry.id)))
    second = runner.invoke(args=["load-demo", "--if-empty"])
    assert second.exit_code == 0 and "数据库中已有检查对象，跳过演示数据" in second.output
    assert session.scalar(select(func.count(Target.id))) == 300
    assert session.scalar(select(func.count(AuditEntry.id))) == audit_count


def test_load_demo_refuses_a_database_with_targets(app, session):
    create_target(session)
    session.commit()
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 1
    assert "数据库中已有检查对象，演示数据只能加载到没有检查对象的数据库" in result.output
    assert session.scalar(select(func.count(Target.id))) == 1
    assert session.scalar(select(func.count(User.id))) == 0


def test_load_demo_keeps_an_existing_account(app, session):
    create_user(session, role="admin", username="admin", password="my-own-secret")
    session.commit()
    assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code == 0
    assert credentials.authenticate(session, "admin", "my-own-secret").username == "admin"
    logins = app.test_cli_runner().invoke(args=["demo-logins", "--url", "http://127.0.0.1:5000/"]).output
    assert "admin / admin123" not in logins and "office / office123 / 科室工作人员" in logins


def test_load_demo_refuses_production(app):
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 1 and "生产环境不能加载演示数据" in result.output


def test_demo_logins_prints_where_to_go(app, session):
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["demo-logins", "--url", "http://127.0.0.1:5000"]).output
    assert "办公系统（科室、领导）：http://127.0.0.1:5000/office/" in empty
    assert "公开门户（公众）：      http://127.0.0.1:5000/public/" in empty
    assert "数据库中没有可用的演示账号" in empty
    demo.load(session)
    session.commit()
    out = runner.invoke(args=["demo-logins", "--url", "http://10.0.0.5:8000/"]).output
    assert "http://10.0.0.5:8000/office/" in out
    assert "/app/" in out or "执法终端 PWA（手机）：  尚未安装" in out
    assert "演示账号（用户名 / 密码 / 角色）：" in out
    for line in ("admin / admin123 / 系统管理员", "leader / leader123 / 领导",
                 "lizhiqiang / inspect123 / 执法检查人员，李志强",
                 "scjstaff / dept12345 / 部门工作人员，常文静，阳城县市场监督管理局"):
        assert line in out


def test_first_load_warns_only_of_the_demos_rating_downgrades(app, session):
    """Loading the demo sets each target's starting level without a warning; the 工作台 warns only about the
    demo's deliberate later changes (a few transport ratings lowered to C), so 发起定向抽查 has something to act on."""
    from server.models.followup import RiskLevelChange
    demo.load(session)
    changes = session.scalars(select(RiskLevelChange)).all()
    assert len(changes) == demo_plan.RISK_WARNINGS
    assert {(c.old_level, c.new_level, c.cause) for c in changes} == {("general", "higher", "交通运输信用等级下调为 C")}


def test_the_demo_has_a_hurried_inspection_whose_flags_the_reviewer_sees(app, session, login):
    from server.models.quality import QualityFlag
    from server.models.accounts import User
    assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code == 0
    assert sorted(f.kind for f in session.scalars(select(QualityFlag))) == ["photo_no_gps", "photo_time", "short_visit"]
    office = session.scalar(select(User).where(User.username == "office"))
    queue = login(office, password="office123").get("/office/review").get_data(as_text=True)
    assert "检查用时过短" in queue and "照片没有定位" in queue and "3 项质量提示待确认" in queue

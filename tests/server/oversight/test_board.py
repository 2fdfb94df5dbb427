"""The 督查 board: each row appears for the smallest case that should show it and not for its neighbour, grouped
by department and by inspector, links to the record, exports to .xlsx; the inspection list's 逾期 filter."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from server.models.followup import Publication
from server.models.types import utcnow
from server.services.kernel.workdays import local_midnight_utc, today
from server.services.oversight import board
from tests.factories import create_department, create_inspection, create_inspector, create_task, create_target, create_user

TODAY = today()
PAST = TODAY - dt.timedelta(days=10)


def _section(session, actor, key, group=""):
    return next(s for s in board.build(session, actor, group=group) if s.key == key)


def _names(section):
    return [r.cells[0] for r in section.rows]


def test_an_inspection_past_its_deadline_not_handed_in_is_overdue_and_one_handed_in_is_not(session):
    office = create_user(session, role="office")
    task = create_task(session, status="drawn", period_start=PAST - dt.timedelta(days=30), period_end=PAST)
    late = create_inspection(session, task=task, target=create_target(session, name="逾期运输公司"))
    create_inspection(session, task=task, target=create_target(session, name="已提交运输公司"), status="submitted",
                      submitted_at=local_midnight_utc(PAST))
    future = create_task(session, status="drawn", period_start=TODAY, period_end=TODAY + dt.timedelta(days=5))
    create_inspection(session, task=future, target=create_target(session, name="未到期运输公司"))
    section = _section(session, office, "overdue")
    assert _names(section) == ["逾期运输公司"] and section.total == 1
    assert section.rows[0].link == ("office.inspection_detail", {"inspection_id": late.id})
    assert section.rows[0].cells[4] == 10  # days overdue
    progress = {r.cells[0]: r.cells for r in _section(session, office, "progress").rows}
    row = progress[f"{task.code} {task.name}"]
    assert row[4:] == [2, 1, 1, 0, 0, 1]  # drawn, in progress, handed in, reviewed, published, overdue
    assert row[3].startswith("已到期 10 天，1 项逾期未提交")


def test_a_result_handed_in_after_its_deadline_is_late_and_one_on_the_last_day_is_not(session):
    office = create_user(session, role="office")
    task = create_task(session, status="drawn", period_start=PAST - dt.timedelta(days=30), period_end=PAST)
    last_evening = local_midnight_utc(PAST + dt.timedelta(days=1)) - dt.timedelta(minutes=1)  # 23:59 北京时间
    next_morning = local_midnight_utc(PAST + dt.timedelta(days=1)) + dt.timedelta(hours=9)
    create_inspection(session, task=task, target=create_target(session, name="当天提交公司"), status="submitted",
                      submitted_at=last_evening, first_completed_at=last_evening)
    create_inspection(session, task=task, target=create_target(session, name="次日提交公司"), status="approved",
                      submitted_at=next_morning, first_completed_at=next_morning)
    section = _section(session, office, "late_entry")
    assert _names(section) == ["次日提交公司"]
    assert section.rows[0].cells[5] == 1


def test_unpublished_past_twenty_working_days_is_on_the_board_and_one_within_is_not(session):
    office = create_user(session, role="office")
    task = create_task(session, status="drawn")
    for name, due in (("超期未公示公司", TODAY - dt.timedelta(days=1)), ("未超期公司", TODAY + dt.timedelta(days=3))):
        insp = create_inspection(session, task=task, target=create_target(session, name=name), status="approved")
        session.add(Publication(inspection_id=insp.id, target_id=insp.target_id, target_name=name,
                                target_uscc=insp.target.uscc, content={}, completed_on=due - dt.timedelta(days=28),
                                due_on=due, status="draft"))
    old = utcnow() - dt.timedelta(days=40)
    create_inspection(session, task=task, target=create_target(session, name="超期未审核公司"), status="submitted",
                      submitted_at=old, completed_at=old, first_completed_at=old)
    session.flush()
    section = _section(session, office, "publication_late")
    assert [(r.cells[0], r.cells[1]) for r in section.rows] == [("超期未审核", "超期未审核公司"), ("超期未公示", "超期未公示公司")]
    assert section.rows[1].link[0] == "office.publication_detail"


def test_rows_group_by_department_and_by_inspector(session):
    office = create_user(session, role="office")
    first, second = create_department(session, name="执法一中队"), create_department(session, name="运输管理股")
    a, b = create_inspector(session, first, name="王建国"), create_inspector(session, second, name="李明")
    c = create_inspector(session, first, name="张伟")
    task = create_task(session, status="drawn", departments=[first, second], period_end=PAST,
                       period_start=PAST - dt.timedelta(days=20))
    create_inspection(session, task=task, inspectors=[a, b], target=create_target(session, name="甲公司"))
    create_inspection(session, task=task, inspectors=[a, c], target=create_target(session, name="乙公司"))
    by_dept = _section(session, office, "overdue", "department")
    assert sorted(by_dept.groups) == [("执法一中队", 2), ("运输管理股", 1)]  # 乙公司 counted once for 执法一中队
    by_person = _section(session, office, "overdue", "inspector")
    assert sorted((g.split("（")[0], n) for g, n in by_person.groups) == [("张伟", 1), ("李明", 1), ("王建国", 2)]
    progress = _section(session, office, "progress", "department")
    assert sorted((r.group, r.cells[0], r.cells[1], r.cells[6]) for r in progress.rows) == [
        ("执法一中队", 1, 2, 2), ("运输管理股", 1, 1, 1)]  # tasks, drawn, overdue: each inspection once per group
    assert [r.cells[0] for r in by_dept.rows].count("乙公司") == 1  # two members of one department: listed once


def test_the_page_the_export_and_who_may_see_them(client, session, login):
    office = create_user(session, role="office")
    task = create_task(session, status="drawn", period_start=PAST - dt.timedelta(days=30), period_end=PAST)
    create_inspection(session, task=task, target=create_target(session, name="=HYPERLINK(\"http://x\")公司"))
    inspector = create_user(session, role="inspector")
    session.commit()
    login(office)
    page = client.get("/office/oversight?group=department").get_data(as_text=True)
    assert "逾期未提交的检查" in page and "=HYPERLINK" in page and "按部门" in page
    resp = client.get("/office/oversight/export.xlsx?group=inspector")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb["逾期未提交的检查"]
    cells = [c for row in ws.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never run as a formula
    assert ws.cell(3, 1).value == "分组"
    client.post("/office/logout")
    login(inspector)
    assert client.get("/office/oversight").status_code == 403


def test_the_inspection_list_filters_overdue(client, session, login):
    office = create_user(session, role="office")
    task = create_task(session, status="drawn", period_start=PAST - dt.timedelta(days=30), period_end=PAST)
    create_inspection(session, task=task, target=create_target(session, name="逾期甲公司"))
    create_inspection(session, task=task, target=create_target(session, name="已提交乙公司"), status="submitted")
    session.commit()
    login(office)
    page = client.get("/office/inspections?status=overdue").get_data(as_text=True)
    assert "逾期甲公司" in page and "已提交乙公司" not in page and "共 1 项检查" in page


def test_a_referral_step_past_its_clock_is_on_the_board_and_one_within_it_is_not(session):
    from server.models.followup import Referral, ReferralEvent, Violation
    office = create_user(session, role="office")
    now = utcnow()
    refs = []
    for n, due in ((1, now - dt.timedelta(days=2)), (2, now + dt.timedelta(days=2))):
        insp = create_inspection(session, status="approved")
        violation = Violation(inspection_id=insp.id, finding_ref="", description="问题")
        session.add(violation)
        session.flush()
        ref = Referral(kind="administrative", violation_id=violation.id, inspection_id=insp.id, doc_no=f"阳交移〔2024〕{n}号",
                       party=insp.target.name, cause="案由", reason="理由", legal_basis="依据", receiving_dept="县公安局",
                       status="sent", due_step="feedback", due_at=due, created_by_id=office.id)
        session.add(ref)
        session.flush()
        refs.append(ref)
    session.add(ReferralEvent(referral_id=refs[1].id, step="acknowledge", happened_at=now - dt.timedelta(days=1),
                              due_at=now - dt.timedelta(days=3), late=True))
    session.flush()
    section = _section(session, office, "referral_late")
    assert [(r.cells[0], r.cells[1]) for r in section.rows] == [("超期未办理", "阳交移〔2024〕1号"),
                                                                ("超期后办理", "阳交移〔2024〕2号")]
    assert section.rows[1].link == ("office.referral_detail", {"referral_id": refs[1].id})
    assert section.rows[1].cells[3] == "接收部门签收"


def test_an_unacknowledged_quality_flag_is_on_the_board_until_a_reviewer_acknowledges_it(session):
    from server.models.quality import QualityFlag
    from server.services.fieldwork import quality_flags
    office = create_user(session, role="office")
    dept = create_department(session, name="执法一中队")
    a, b = create_inspector(session, dept, name="王建国"), create_inspector(session, dept, name="李明")
    task = create_task(session, status="drawn", departments=[dept])
    hurried = create_inspection(session, task=task, inspectors=[a, b], status="submitted", submitted_at=utcnow(),
                                target=create_target(session, name="匆忙运输公司"))
    earlier = create_inspection(session, task=task, inspectors=[a, b], status="submitted", submitted_at=utcnow(),
                                target=create_target(session, name="旧版本运输公司"), version=2)
    flag = QualityFlag(inspection_id=hurried.id, inspection_version=hurried.version, kind="short_visit",
                       reason="现场检查用时 1 分钟")
    session.add_all([flag, QualityFlag(inspection_id=earlier.id, inspection_version=1, kind="short_visit",
                                       reason="上一版本的提示")])  # a resubmission is judged afresh
    session.flush()
    section = _section(session, office, "quality_flags")
    assert _names(section) == ["匆忙运输公司"] and section.total == 1
    assert section.rows[0].cells[3] == "检查用时过短" and section.rows[0].cells[4] == "现场检查用时 1 分钟"
    assert section.rows[0].link == ("office.review_detail", {"inspection_id": hurried.id})
    assert sorted((g.split("（")[0], n) for g, n in _section(session, office, "quality_flags", "inspector").groups) \
        == [("李明", 1), ("王建国", 1)]
    quality_flags.acknowledge(session, office, flag.id, note="已电话核实，检查组确在现场")
    assert _section(session, office, "quality_flags").total == 0

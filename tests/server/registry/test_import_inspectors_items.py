"""Registry import of the inspector registry and the item list: dates as offices type them, each bad row
explained, upserts by 执法证号 and item versions."""
import datetime as dt

import pytest
from sqlalchemy import select

from server.models.registry import InspectionItem, Inspector
from tests import factories as f
from tests.server.sheet_builders import (
    INSPECTOR_HEAD, ITEM_HEAD, xlsx_bytes,
)

from tests.server.registry.import_kit import count, problems, run


# --- inspectors -----------------------------------------------------------------------------------

@pytest.fixture
def dept(session):
    return f.create_department(session, name="交通运输综合行政执法队", code="ZFD")


def inspector_row(name, cert, issued="2024-03-01", expires="2029-02-28", dept="交通运输综合行政执法队", tags="客运",
                  status="在岗"):
    return [name, cert, issued, expires, dept, tags, status]


def test_inspector_dates_in_the_forms_offices_type(session, dept):
    rows = [INSPECTOR_HEAD,
            inspector_row("甲", 14052000001, dt.datetime(2024, 3, 1), "2029/2/28"),
            inspector_row("乙", "1405２000002", "2024年3月1日", "２０２９－０２－２８"),
            inspector_row("丙", " 14052000003 ", 45352, "20290228", dept="ZFD")]
    report = run(session, "inspectors", xlsx_bytes(rows))
    assert problems(report) == []
    got = {(i.cert_no, i.cert_issued_on, i.cert_expires_on, i.department_id) for i in session.scalars(select(Inspector))}
    assert got == {(f"1405200000{n}", dt.date(2024, 3, 1), dt.date(2029, 2, 28), dept.id) for n in (1, 2, 3)}


def test_inspector_bad_rows_are_each_explained(session, dept):
    rows = [INSPECTOR_HEAD,
            inspector_row("甲", "14052000011", "2024-03-01", "2023-03-01"),
            inspector_row("乙", "14052000012", "2024-02-30"),
            inspector_row("丙", "14052000013", dept="运输科"),
            inspector_row("丁", "14052000011"),
            inspector_row("戊", "1.40521E+10"),
            inspector_row("", "14052000016", expires=""),
            inspector_row("己", "14052000017", status="休假")]
    assert problems(run(session, "inspectors", xlsx_bytes(rows))) == [
        (3, "有效期至", "有效期至（2023-03-01）早于发证日期（2024-03-01）"),
        (4, "发证日期", "“2024-02-30”不是有效日期，请写成 2024-03-01 这样的格式"),
        (5, "所属部门", "部门“运输科”不存在，现有部门：交通运输综合行政执法队"),
        (6, "执法证号", "与第 3 行重复"),
        (7, "执法证号", "“1.40521E+10”被 Excel 显示成了科学计数法，原号码已丢失：请把该列设为“文本”格式后重新填写"),
        (8, "姓名", "必填，不能为空"),
        (8, "有效期至", "必填，不能为空"),
        (9, "在岗状态", "“休假”不是有效的在岗状态，可选：在岗、离岗"),
    ]
    assert count(session, Inspector) == 0


def test_inactive_department_is_refused(session, dept):
    f.create_department(session, name="已撤销中队", is_active=False)
    rows = [INSPECTOR_HEAD, inspector_row("甲", "14052000021", dept="已撤销中队")]
    assert problems(run(session, "inspectors", xlsx_bytes(rows))) == [
        (3, "所属部门", "部门“已撤销中队”已停用，请改填在用的部门")]


def test_inspector_upsert_by_cert_number(session, dept):
    run(session, "inspectors", xlsx_bytes([INSPECTOR_HEAD, inspector_row("甲", "14052000031")]))
    report = run(session, "inspectors", xlsx_bytes([INSPECTOR_HEAD, inspector_row("甲", "14052000031", expires="2031-12-31"),
                                                   inspector_row("乙", "14052000032")]))
    assert report.summary() == "导入完成：新增 1 条，更新 1 条，未变 0 条"
    assert session.scalar(select(Inspector.cert_expires_on).where(Inspector.cert_no == "14052000031")) == dt.date(2031, 12, 31)


# --- items ----------------------------------------------------------------------------------------

def item_row(code, checkpoints, kind="重点", methods="实地检查、书面检查", categories="道路普通货物运输"):
    return [code, "道路货物运输经营行为检查", kind, "《道路运输条例》第二十一条", methods, categories, checkpoints]


def test_item_checkpoints_one_per_line_with_numbering_dropped(session):
    rows = [ITEM_HEAD, item_row("jt-００1", "1. 是否取得经营许可\n2、车辆是否年审\n\n（3）驾驶员是否持证", methods="现场检查；书面检查")]
    assert problems(run(session, "items", xlsx_bytes(rows))) == []
    item = session.scalar(select(InspectionItem))
    assert item.code == "JT-001" and item.kind == "key" and item.methods == ["on_site", "document"]
    assert [(c.seq, c.text) for c in item.checkpoints] == [(1, "是否取得经营许可"), (2, "车辆是否年审"), (3, "驾驶员是否持证")]


def test_changed_checkpoints_make_a_new_item_version(session):
    run(session, "items", xlsx_bytes([ITEM_HEAD, item_row("JT-002", "要点一\n要点二\n要点三")]))
    item = session.scalar(select(InspectionItem))
    first_id = item.checkpoints[0].id
    report = run(session, "items", xlsx_bytes([ITEM_HEAD, item_row("JT-002", "要点一（修订）\n要点二")]))
    assert report.updated == 1
    session.refresh(item)
    assert item.version == 2
    assert [c.text for c in item.checkpoints] == ["要点一（修订）", "要点二"]
    assert item.checkpoints[0].id == first_id


def test_item_bad_rows(session):
    rows = [ITEM_HEAD, item_row("JT-003", "要点", kind="特别"), item_row("JT-004", "要点", methods="实地检查、飞行检查"),
            item_row("JT-005", "1."), item_row("JT-006", "要点", categories="危险货物运输")]
    assert problems(run(session, "items", xlsx_bytes(rows))) == [
        (3, "事项类别（一般/重点）", "“特别”不是有效的事项类别，可选：一般、重点"),
        (4, "检查方式", "“飞行检查”不是有效的检查方式，可选：实地检查、书面检查、行政部门检查结果或专业意见、检验检测、网络监测、委托专业机构辅助"),
        (5, "检查要点", "请至少填写一条检查要点，每行一条"),
        (6, "检查对象类别", "“危险货物运输”不是有效的检查对象类别，可选：道路普通货物运输、道路旅客运输、城市公共汽车客运、"
                          "出租汽车客运、机动车驾驶员培训、机动车维修、道路客运站（场）"),
    ]

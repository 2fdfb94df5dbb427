"""Departments as records: the admin keeps them (kind, contact, active flag); deactivation is refused while the
department still has open work; an external department's inspectors import like any other."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.registry import Department, Inspector
from server.services.registry import departments, imports
from tests.factories import (create_department, create_inspection, create_inspector, create_task, create_target,
                             create_user)
from tests.server.sheet_builders import INSPECTOR_HEAD, xlsx_bytes

SCJ = {"code": "scj", "name": "县市场监督管理局", "short_name": "县市场监管局", "kind": "external",
       "contact_name": "常文静", "contact_phone": "0356-4022315"}


def _text(resp) -> str:
    return re.sub(r"\s+", " ", resp.get_data(as_text=True))


@pytest.fixture
def admin(session):
    return create_user(session, role="admin", username="root")


def test_admin_creates_an_external_department_with_its_contact(session, admin):
    dept, _ = departments.save_department(session, admin, None, SCJ)
    assert (dept.code, dept.kind, dept.short_name, dept.contact_phone, dept.is_active) == (
        "SCJ", "external", "县市场监管局", "0356-4022315", True)  # codes are kept upper case
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "department.create"))
    assert entry.actor_id == admin.id and entry.detail["name"] == "县市场监督管理局"


def test_edit_records_what_changed(session, admin):
    dept, _ = departments.save_department(session, admin, None, SCJ)
    _, changes = departments.save_department(session, admin, dept.id, {**SCJ, "contact_name": "王强"})
    assert changes == {"contact_name": ["常文静", "王强"]} and dept.contact_name == "王强"
    assert departments.save_department(session, admin, dept.id, {**SCJ, "contact_name": "王强"})[1] == {}


@pytest.mark.parametrize("data,field,message", [
    ({"code": "", "name": "县应急管理局"}, "code", "请填写部门编码"),
    ({"code": "应急", "name": "县应急管理局"}, "code", "部门编码只能由字母、数字"),
    ({"code": "YJJ", "name": ""}, "name", "请填写部门名称"),
    ({"code": "YJJ", "name": "县应急管理局", "kind": "上级部门"}, "kind", "部门类型应为“本局内设机构”或“外部部门”"),
    ({"code": "YJJ", "name": "县应急管理局", "contact_phone": "找老王"}, "contact_phone", "不是有效的电话号码"),
    ({"code": "zfd", "name": "县应急管理局"}, "code", "部门编码“ZFD”已被部门“执法队”使用"),
    ({"code": "YJJ", "name": "执法队"}, "name", "部门名称“执法队”已被部门“执法队”使用"),
    ({"code": "YJJ", "name": "县应急管理局", "short_name": "ZFD"}, "short_name", "简称“ZFD”已被部门“执法队”使用"),
])
def test_bad_department_input_is_refused_with_nothing_stored(session, admin, data, field, message):
    create_department(session, code="ZFD", name="执法队")
    before = session.scalar(select(func.count(Department.id)))
    with pytest.raises(ValidationError, match=message) as err:
        departments.save_department(session, admin, None, data)
    assert field in err.value.errors
    assert session.scalar(select(func.count(Department.id))) == before


def test_only_the_admin_keeps_departments(session):
    with pytest.raises(PermissionDenied):
        departments.save_department(session, create_user(session, role="office"), None, SCJ)
    with pytest.raises(PermissionDenied):
        departments.list_departments(session, create_user(session, role="leader"))


def test_deactivation_is_refused_while_the_department_has_open_inspections(session, admin):
    dept = create_department(session, name="县市场监督管理局")
    task = create_task(session, departments=[dept], status="drawn", code="T-JOINT-1")
    target = create_target(session, name="阳城县示例运输有限公司")
    create_inspection(session, task=task, target=target, status="in_progress")
    with pytest.raises(Conflict) as err:
        departments.deactivate(session, admin, dept.id, "机构调整")
    assert "不能停用" in err.value.message and "T-JOINT-1 阳城县示例运输有限公司（检查中）" in err.value.message
    assert dept.is_active and err.value.errors["inspections"] == [["T-JOINT-1", "阳城县示例运输有限公司", "检查中"]]
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "department.deactivate")) == 0


def test_deactivation_counts_inspections_whose_group_has_its_inspectors(session, admin):
    """An inspector lent to another department's task still ties their department to the open inspection."""
    lead, lender = create_department(session), create_department(session, name="县应急管理局")
    task = create_task(session, departments=[lead], status="drawn")
    create_inspection(session, task=task, inspectors=[create_inspector(session, lead), create_inspector(session, lender)])
    with pytest.raises(Conflict, match="尚未办结的检查"):
        departments.deactivate(session, admin, lender.id, "撤并")


def test_deactivation_is_refused_while_a_published_task_waits_for_its_draw(session, admin):
    dept = create_department(session)
    create_task(session, departments=[dept], status="published", code="T-WAIT", name="出租汽车联合抽查")
    with pytest.raises(Conflict, match="已发布待抽取的任务：T-WAIT 出租汽车联合抽查"):
        departments.deactivate(session, admin, dept.id, "撤并")


def test_deactivate_after_the_work_is_done_and_reactivate(session, admin):
    dept = create_department(session)
    task = create_task(session, departments=[dept], status="drawn")
    create_inspection(session, task=task, status="approved")
    with pytest.raises(ValidationError, match="请填写停用原因"):
        departments.deactivate(session, admin, dept.id, " ")
    departments.deactivate(session, admin, dept.id, "机构改革，职能并入执法队")
    assert not dept.is_active
    with pytest.raises(Conflict, match="已经是停用状态"):
        departments.deactivate(session, admin, dept.id, "再次")
    departments.activate(session, admin, dept.id)
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "departments")))
    assert actions == ["department.deactivate", "department.activate"]


def test_an_external_departments_inspectors_import_from_its_own_sheet(session):
    office = create_user(session, role="office")
    create_department(session, code="SCJ", name="县市场监督管理局", kind="external")
    sheet = xlsx_bytes([INSPECTOR_HEAD, ["刘洋", "SC1405220001", "2023-01-01", "2029-12-31", "县市场监督管理局",
                                         "市场监管", "在岗"]], title_rows=("县市场监督管理局执法人员名录",))
    report = imports.import_file(session, office, "inspectors", sheet, "市场监管局执法人员.xlsx")
    assert report.ok and report.created == 1
    person = session.scalar(select(Inspector).where(Inspector.cert_no == "SC1405220001"))
    assert person.department.kind == "external" and person.department.name == "县市场监督管理局"


# --- pages ---------------------------------------------------------------------------------------------------

def test_admin_page_lists_creates_edits_and_deactivates(client, login, session, admin):
    session.commit()
    login(admin)
    resp = client.post("/office/departments", data=SCJ, follow_redirects=True)
    page = _text(resp)
    assert "已新建部门 县市场监督管理局" in page and "外部部门" in page and "常文静 0356-4022315" in page
    dept = session.scalar(select(Department).where(Department.code == "SCJ"))
    page = _text(client.post(f"/office/departments/{dept.id}/edit", data={**SCJ, "contact_phone": "13912345678"},
                             follow_redirects=True))
    assert "已保存" in page and "13912345678" in page
    page = _text(client.post(f"/office/departments/{dept.id}/deactivate", data={"reason": "测试"},
                             follow_redirects=True))
    assert "已停用部门 县市场监督管理局" in page and "已停用" in page


def test_a_bad_form_is_shown_again_with_what_was_typed(client, login, session, admin):
    create_department(session, code="ZFD", name="执法队")
    session.commit()
    login(admin)
    resp = client.post("/office/departments", data={**SCJ, "code": "ZFD"})
    page = _text(resp)
    assert resp.status_code == 422 and "部门编码“ZFD”已被部门“执法队”使用" in page
    assert 'value="县市场监督管理局"' in page


def test_a_refused_deactivation_shows_the_open_inspections(client, login, session, admin):
    dept = create_department(session, name="县市场监督管理局")
    task = create_task(session, departments=[dept], status="drawn", code="T-JOINT-2")
    create_inspection(session, task=task, target=create_target(session, name="阳城县某出租汽车有限公司"))
    session.commit()
    login(admin)
    page = _text(client.post(f"/office/departments/{dept.id}/deactivate", data={"reason": "撤并"},
                             follow_redirects=True))
    assert "不能停用" in page and "T-JOINT-2 阳城县某出租汽车有限公司（待检查）" in page


@pytest.mark.parametrize("role", ["office", "leader", "dept_staff", "inspector"])
def test_only_admins_open_the_departments_page(client, login, session, role):
    kw = {"department_id": create_department(session).id} if role == "dept_staff" else {}
    login_user = create_user(session, role=role, **kw)
    session.commit()
    login(login_user)
    assert client.get("/office/departments").status_code == 403
    assert client.post("/office/departments", data=SCJ).status_code == 403
    assert "部门管理" not in _text(client.get("/office/"))


def test_department_forms_need_the_csrf_token(csrf_app, session):
    admin = create_user(session, role="admin")
    session.commit()
    c = csrf_app.test_client()
    page = c.get("/office/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    c.post("/office/login", data={"username": admin.username, "password": "password123", "csrf_token": token})
    assert c.post("/office/departments", data=SCJ).status_code == 400
    assert session.scalar(select(func.count(Department.id))) == 0

"""部门 (admin): the departments list with a create form, editing, deactivation and reactivation."""
from __future__ import annotations

from flask import g, render_template, request, url_for

from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import field_errors, run
from server.services.registry import departments as departments_service
from server.vocab import DepartmentKind

FORM_FIELDS = tuple(departments_service.FIELDS)


def _form_data() -> dict:
    return {k: request.form.get(k, "") for k in FORM_FIELDS}


def _list_page(form=None, errors=None, status=200):
    return render_template("office/departments.html", rows=departments_service.list_departments(db.session, g.user),
                           form=form or {"kind": DepartmentKind.EXTERNAL.value}, errors=errors or {},
                           kinds=DepartmentKind.choices(), labels=departments_service.FIELDS), status


@bp.get("/departments")
@login_required("admin")
def departments():
    return _list_page()


@bp.post("/departments")
@login_required("admin")
def department_create():
    return run(lambda: departments_service.save_department(db.session, g.user, None, _form_data()),
               lambda done: f"已新建部门 {done[0].name}", url_for("office.departments"),
               on_error=lambda err: _list_page(request.form, field_errors(err), err.status))


def _edit_page(dept, form=None, errors=None, status=200):
    values = form or {k: getattr(dept, k) for k in FORM_FIELDS}
    return render_template("office/department_edit.html", dept=dept, form=values, errors=errors or {},
                           kinds=DepartmentKind.choices(), labels=departments_service.FIELDS), status


@bp.route("/departments/<int:dept_id>/edit", methods=["GET", "POST"])
@login_required("admin")
def department_edit(dept_id: int):
    dept = departments_service.get_department(db.session, g.user, dept_id)
    if request.method == "GET":
        return _edit_page(dept)
    return run(lambda: departments_service.save_department(db.session, g.user, dept.id, _form_data()),
               lambda done: "已保存" if done[1] else "没有修改任何内容", url_for("office.departments"),
               on_error=lambda err: _edit_page(dept, request.form, field_errors(err), err.status))


@bp.post("/departments/<int:dept_id>/deactivate")
@login_required("admin")
def department_deactivate(dept_id: int):
    return run(lambda: departments_service.deactivate(db.session, g.user, dept_id, request.form.get("reason", "")),
               lambda d: f"已停用部门 {d.name}：它不能再参加新任务，导入名录时也不能再填写它",
               url_for("office.departments"))


@bp.post("/departments/<int:dept_id>/activate")
@login_required("admin")
def department_activate(dept_id: int):
    return run(lambda: departments_service.activate(db.session, g.user, dept_id),
               lambda d: f"已启用部门 {d.name}", url_for("office.departments"))

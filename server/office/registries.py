"""一单两库 pages: lists with search, filters and paging; detail; edit; import; export; template."""
from __future__ import annotations

import base64
import io

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for

from server.errors import AppError, ValidationError
from server.extensions import db
from server.http import login_required
from server.office import bp
from server.services.kernel import workdays
from server.services.registry import edit, error_report, exports, imports, search
from server.services.registry.cell_dates import Date
from server.services.registry.cell_types import Choice, DepartmentRef, Lines, MultiChoice, Text
from server.services.registry.columns import REGISTRIES
from server.services.registry.records import current
from server.vocab import RatingSource

REGISTRY_PATH = "<any(targets,inspectors,items):name>"
MAX_REPORT_ROWS = 500


def _per_page() -> int:
    return current_app.config.get("PAGE_SIZE", 50)


@bp.get("/targets")
@login_required()
def targets():
    a = request.args
    page = search.search_targets(db.session, g.user, q=a.get("q", ""), category=a.get("category", ""),
                                   status=a.get("status", ""), risk_level=a.get("risk", ""),
                                   region=a.get("region", ""), page=a.get("page", 1), per_page=_per_page())
    return render_template("office/targets.html", page=page, args=a, regions=search.target_regions(db.session),
                           can_edit=search.can_edit(g.user))


@bp.get("/targets/<int:target_id>")
@login_required()
def target_detail(target_id: int, rating_errors=None, status=200):
    target = search.get_target(db.session, g.user, target_id)
    return render_template("office/target_detail.html", target=target, today=workdays.today(),
                           recusals=search.target_recusals(db.session, target), can_edit=search.can_edit(g.user),
                           sources=list(RatingSource), rating_errors=rating_errors or {},
                           rating_form=request.form if rating_errors else {}), status


@bp.post("/targets/<int:target_id>/ratings")
@login_required()
def target_add_rating(target_id: int):
    try:
        edit.add_rating(db.session, g.user, target_id, request.form)
    except ValidationError as err:
        db.session.rollback()
        return target_detail(target_id, rating_errors=err.errors, status=422)
    db.session.commit()
    flash("已新增信用等级，风险等级已重新计算")
    return redirect(url_for("office.target_detail", target_id=target_id))


@bp.get("/inspectors")
@login_required()
def inspectors():
    a = request.args
    page = search.search_inspectors(db.session, g.user, q=a.get("q", ""), department_id=a.get("department", ""),
                                      status=a.get("status", ""), cert=a.get("cert", ""), page=a.get("page", 1),
                                      per_page=_per_page())
    dept_choices = [(d.id, d.name) for d in search.departments(db.session)]
    return render_template("office/inspectors.html", page=page, args=a, dept_choices=dept_choices,
                           cert_state=search.cert_state, can_edit=search.can_edit(g.user))


@bp.get("/inspectors/<int:inspector_id>")
@login_required()
def inspector_detail(inspector_id: int, recusal_errors=None, status=200):
    inspector = search.get_inspector(db.session, g.user, inspector_id)
    return render_template("office/inspector_detail.html", inspector=inspector,
                           cert=search.cert_state(inspector), targets=search.recusal_targets(db.session, inspector),
                           can_edit=search.can_edit(g.user), recusal_errors=recusal_errors or {},
                           recusal_form=request.form if recusal_errors else {}), status


@bp.post("/inspectors/<int:inspector_id>/recusals")
@login_required()
def inspector_add_recusal(inspector_id: int):
    try:
        edit.add_recusal(db.session, g.user, inspector_id, request.form.get("target_uscc", ""),
                                  request.form.get("reason", ""))
    except ValidationError as err:
        db.session.rollback()
        return inspector_detail(inspector_id, recusal_errors=err.errors, status=422)
    db.session.commit()
    flash("已登记回避")
    return redirect(url_for("office.inspector_detail", inspector_id=inspector_id))


@bp.post("/inspectors/<int:inspector_id>/recusals/<int:recusal_id>/delete")
@login_required()
def inspector_remove_recusal(inspector_id: int, recusal_id: int):
    try:
        edit.remove_recusal(db.session, g.user, inspector_id, recusal_id, request.form.get("reason", ""))
    except ValidationError as err:
        db.session.rollback()
        return inspector_detail(inspector_id, recusal_errors={"remove": err.message}, status=422)
    db.session.commit()
    flash("已撤销回避")
    return redirect(url_for("office.inspector_detail", inspector_id=inspector_id))


@bp.get("/items")
@login_required()
def items():
    a = request.args
    page = search.search_items(db.session, g.user, q=a.get("q", ""), kind=a.get("kind", ""),
                                 status=a.get("status", ""), category=a.get("category", ""), page=a.get("page", 1),
                                 per_page=_per_page())
    return render_template("office/items.html", page=page, args=a, can_edit=search.can_edit(g.user))


@bp.get("/items/<int:item_id>")
@login_required()
def item_detail(item_id: int):
    item = search.get_item(db.session, g.user, item_id)
    return render_template("office/item_detail.html", item=item, can_edit=search.can_edit(g.user))


def _form_fields(name: str) -> list[dict]:
    """What the edit template needs to draw each input of a registry's form."""
    fields = []
    dept_names = [d.name for d in search.departments(db.session, active_only=True)]
    for col in edit.form_columns(REGISTRIES[name]):
        t = col.type
        kind, options = "text", []
        if isinstance(t, MultiChoice):
            kind, options = "multi", [(m.value, m.label) for m in t.enum]
        elif isinstance(t, Choice):
            kind, options = "select", [(m.value, m.label) for m in t.enum]
        elif isinstance(t, DepartmentRef):
            kind, options = "select", [(n, n) for n in dept_names]
        elif isinstance(t, Lines) or (isinstance(t, Text) and t.multiline):
            kind = "textarea"
        elif isinstance(t, Date):
            kind = "date"
        fields.append({"name": col.field, "label": col.header, "kind": kind, "options": options,
                       "required": col.required, "note": col.note, "is_key": col.is_key})
    return fields


def _form_values(name: str, obj) -> dict:
    """The record's values as the form shows them (or the submitted form, after an error)."""
    spec, out = REGISTRIES[name], {}
    for col in edit.form_columns(spec):
        if request.method == "POST" or obj is None:  # a new record may come prefilled (?uscc=…&name=…)
            source = request.form if request.method == "POST" else request.args
            vals = source.getlist(col.field)
            out[col.field] = vals if isinstance(col.type, MultiChoice) else (vals[0] if vals else "")
        elif obj is not None:
            value = current(obj, col.field, workdays.today())
            if isinstance(col.type, DepartmentRef):
                out[col.field] = obj.department.name if getattr(obj, "department", None) else ""
            elif isinstance(col.type, Choice):  # the <select>/checkboxes carry codes, not labels
                out[col.field] = list(value or []) if isinstance(col.type, MultiChoice) else (value or "")
            else:
                out[col.field] = col.type.text(value)
    return out


def _edit(name: str, record_id: int | None):
    search.require_editor(g.user)
    spec = REGISTRIES[name]
    obj = edit.GETTERS[name](db.session, g.user, record_id) if record_id else None
    errors, message, status = {}, None, 200
    if request.method == "POST":
        form = {k: "、".join(request.form.getlist(k)) for k in request.form}
        try:
            obj, changes = edit.save_record(db.session, g.user, name, record_id, form)
        except ValidationError as err:
            db.session.rollback()
            errors, message, status = err.errors, err.message, 422
        else:
            db.session.commit()
            flash("已保存" if changes else "没有修改任何内容")
            return redirect(url_for(f"office.{spec.singular}_detail", **{f"{spec.singular}_id": obj.id}))
    return render_template("office/registry_edit.html", spec=spec, obj=obj, fields=_form_fields(name),
                           values=_form_values(name, obj), errors=errors, message=message,
                           immutable_key=obj is not None and name in edit.IMMUTABLE_KEYS), status


@bp.route("/targets/new", methods=["GET", "POST"])
@login_required()
def target_new():
    return _edit("targets", None)


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
@login_required()
def target_edit(target_id: int):
    return _edit("targets", target_id)


@bp.route("/inspectors/new", methods=["GET", "POST"])
@login_required()
def inspector_new():
    return _edit("inspectors", None)


@bp.route("/inspectors/<int:inspector_id>/edit", methods=["GET", "POST"])
@login_required()
def inspector_edit(inspector_id: int):
    return _edit("inspectors", inspector_id)


@bp.route("/items/new", methods=["GET", "POST"])
@login_required()
def item_new():
    return _edit("items", None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required()
def item_edit(item_id: int):
    return _edit("items", item_id)


def _read_upload() -> tuple[bytes, str]:
    upload = request.files.get("file")
    limit = current_app.config.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    if not upload or not upload.filename:
        raise ValidationError("请选择要导入的文件（Excel .xlsx、.xls，WPS .et 或 CSV）")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(f"文件超过 {limit // (1024 * 1024)} MB，请分成几个文件分批导入")
    return data, upload.filename


def _error_report_link(report) -> dict:
    """The error report as a link the page carries (a data: URL): nothing is kept on the server."""
    data, filename = error_report.build(report)
    return {"href": f"data:{exports.FORMATS['xlsx']};base64,{base64.b64encode(data).decode('ascii')}",
            "filename": filename}


@bp.route(f"/{REGISTRY_PATH}/import", methods=["GET", "POST"])
@login_required()
def registry_import(name: str):
    search.require_editor(g.user)
    report, error, status, download = None, None, 200, None
    if request.method == "POST":
        try:
            data, filename = _read_upload()
            report = imports.import_file(db.session, g.user, name, data, filename,
                                         dry_run=request.form.get("dry_run") == "1")
        except AppError as err:
            db.session.rollback()
            error, status = err.message, err.status
        else:
            if report.ok and not report.dry_run:
                db.session.commit()
            else:
                db.session.rollback()
                status = 200 if report.ok else 422
            if not report.ok:
                download = _error_report_link(report)
    return render_template("office/import.html", spec=REGISTRIES[name], report=report, error=error,
                           max_rows=MAX_REPORT_ROWS, error_report=download), status


@bp.get(f"/{REGISTRY_PATH}/export")
@login_required()
def registry_export(name: str):
    data, filename, mimetype = exports.export_registry(db.session, g.user, name, request.args.get("fmt", "xlsx"))
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


@bp.get(f"/{REGISTRY_PATH}/template")
@login_required()
def registry_template(name: str):
    data, filename = exports.template(db.session, g.user, name)
    return send_file(io.BytesIO(data), mimetype=exports.FORMATS["xlsx"], as_attachment=True, download_name=filename)

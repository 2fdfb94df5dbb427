"""Office pages for annual plans (with versions, approval and 备案 export) and their tasks."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from flask import Response, current_app, g, render_template, request, url_for

from server.extensions import db
from server.http import login_required, safe_next
from server.office import bp
from server.office.forms import field_errors, run
from server.services.kernel import approvals
from server.services.kernel.permissions import READERS
from server.services.planning import (draw_requests, draws, pages, plan_export, plan_rows, plans, task_closing, tasks,
                                      upper_rules, upper_tasks)
from server.vocab import TargetCategory
from sync.messages import STATUS_LABELS as INSPECTION_STATUS_LABELS

ENTRY_ROWS_EXTRA = 3


# --- plans ------------------------------------------------------------------------------------------

@bp.get("/plans", endpoint="plans")
@login_required(*READERS)
def plans_list():
    return _plans_page()


def _plans_page(form=None, errors=None, status=200):
    return render_template("office/plans.html", **pages.plans_page(db.session, g.user), form=form or {},
                           errors=errors or {}, statuses=plans.PLAN_STATUSES), status


@bp.post("/plans")
@login_required("admin", "office")
def plan_create():
    form = request.form
    return run(lambda: plans.create_plan(db.session, g.user, year=form.get("year", ""), name=form.get("name", ""),
                                         code=form.get("code", ""), department_id=_int(form.get("department_id")),
                                         description=form.get("description", "")),
               lambda plan: f"已新建计划 {plan.code}，请填写计划内容后提交领导审批",
               lambda plan: url_for("office.plan_detail", plan_id=plan.id),
               on_error=lambda err: _plans_page(form, field_errors(err), err.status))


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@bp.get("/plans/<int:plan_id>")
@login_required(*READERS)
def plan_detail(plan_id: int):
    plan = plans.get_readable_plan(db.session, g.user, plan_id)
    version = plans.readable_version(plan, g.user)
    entries = list(version.content.get("entries", []))
    staff = g.user.role != "dept_staff"  # a department's staff read the plan in force, not the work on it
    pending = plans.pending_approval(db.session, plan) if staff else None
    editable = version.status in ("draft", "adjusting") and not pending and g.user.role in ("admin", "office")
    names = plan_rows.Names.load(db.session)
    plan_tasks = tasks.plan_tasks(db.session, plan, g.user)
    keys = {e.get("key") for e in (plans.in_force(plan) or version).content.get("entries", [])}
    return render_template(
        "office/plan_detail.html", plan=plan, version=version, in_force=plans.in_force(plan),
        entries=entries + [{}] * (ENTRY_ROWS_EXTRA if editable else 0), editable=editable, pending=pending,
        row_text=lambda row: plan_rows.row_text(row, names), tasks=plan_tasks,
        tasks_by_row={k: [t for t in plan_tasks if t.plan_row == k] for k in keys},
        unlinked=[t for t in plan_tasks if t.plan_row not in keys], linkable_keys=keys,
        changes=plans.changes_under_review(db.session, plan) if staff else None, diff_labels=plan_rows.DIFF_LABELS,
        plan_statuses=plans.PLAN_STATUSES, version_statuses=plans.VERSION_STATUSES, entry_fields=plans.ENTRY_FIELDS,
        entry_labels=plans.ENTRY_LABELS, unmatched_labels=plan_rows.UNMATCHED_LABELS, task_types=tasks.TASK_TYPES,
        task_statuses=tasks.TASK_STATUSES, deployed_by=upper_rules.deployed_by,
        **(plans.row_choices(db.session, version) if editable else {}))


ENTRY_FORM_FIELDS = ("key", "name", "task_type", "scope", "ratio", "period_start", "period_end", "lead_department_id",
                     "note")


def _entries(form) -> list[dict]:
    count = int(form.get("entry_count") or 0)
    return [{**{k: form.get(f"entry-{n}-{k}", "") for k in ENTRY_FORM_FIELDS},
             "item_ids": form.getlist(f"entry-{n}-item_ids"),
             "cooperating_department_ids": form.getlist(f"entry-{n}-cooperating_department_ids"),
             "clear_unmatched": form.get(f"entry-{n}-clear_unmatched") == "1"} for n in range(min(count, 200))]


@bp.post("/plans/<int:plan_id>/edit")
@login_required("admin", "office")
def plan_edit(plan_id: int):
    return run(lambda: plans.update_plan(db.session, g.user, plan_id, name=request.form.get("name"),
                                         description=request.form.get("description", ""),
                                         entries=_entries(request.form)),
               "计划内容已保存", url_for("office.plan_detail", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/submit")
@login_required("admin", "office")
def plan_submit(plan_id: int):
    return run(lambda: plans.submit_plan(db.session, g.user, plan_id, request.form.get("reason", "")),
               "已提交领导审批", url_for("office.plan_detail", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/publish")
@login_required("admin", "office")
def plan_publish(plan_id: int):
    return run(lambda: plans.publish_plan(db.session, g.user, plan_id), "计划已公布，公众可在门户“抽查计划”栏目查看",
               url_for("office.plan_detail", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/adjust")
@login_required("admin", "office")
def plan_adjust(plan_id: int):
    return run(lambda: plans.start_adjustment(db.session, g.user, plan_id),
               "已新建调整版本；修改后填写调整理由并提交领导审批", url_for("office.plan_detail", plan_id=plan_id))


@bp.post("/approvals/<int:approval_id>/decide-here")
@login_required(approvals.deciders)
def decide_here(approval_id: int):
    """A leader decides from the plan or task page itself (the inbox is office.approvals)."""
    approve = request.form.get("decision") == "approve"
    back = safe_next(request.form.get("back", ""), url_for("office.plans"))
    return run(lambda: approvals.decide(db.session, g.user, approval_id, approve=approve,
                                        note=request.form.get("note", "")),
               "已批准" if approve else "已不批准", back)


@bp.get("/plans/<int:plan_id>/export.xlsx")
@login_required("admin", "office", "leader")
def plan_export_xlsx(plan_id: int):
    plan = plans.get_plan(db.session, plan_id)
    data = plan_export.plan_workbook(db.session, plan)
    filename = f"{plan.code}-年度抽查计划备案.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# --- tasks ------------------------------------------------------------------------------------------

def _task_form_data(form) -> dict:
    """The task service's input from the form; ratios are typed as percentages."""
    def split(text):
        return [p.strip() for p in (text or "").replace("，", ",").replace("、", ",").replace("\n", ",").split(",")
                if p.strip()]
    return {"name": form.get("name", ""), "code": form.get("code", ""), "task_type": form.get("task_type", ""),
            "method": form.get("method", ""), "item_ids": form.getlist("item_ids"), "group_size": form.get("group_size", ""),
            "ratios": {k: _fraction(form.get(f"ratio_{k}", "")) for k in ("low", "general", "higher", "high")},
            "exclusion_months": form.get("exclusion_months", ""),
            "lead_department_id": form.get("lead_department_id", ""),
            "cooperating_department_ids": form.getlist("cooperating_department_ids"),
            "period_start": form.get("period_start", ""), "period_end": form.get("period_end", ""),
            "reveal_seed_at_once": form.get("reveal_seed_at_once") == "1",
            "scope": {"categories": form.getlist("scope_categories"), "tags": split(form.get("scope_tags")),
                      "regions": split(form.get("scope_regions")), "usccs": split(form.get("scope_usccs"))},
            "targeted_reason": form.get("targeted_reason", ""),
            "targeted_source_doc": form.get("targeted_source_doc", ""),
            "target_usccs": split(form.get("target_usccs")), "plan_row": form.get("plan_row", ""),
            "item_departments": _item_departments(form), **{k: form.get(k, "") for k in UPPER_FIELDS}}


def _item_departments(form) -> dict:
    """联合抽查: the department chosen for each item (item_department_<id>), blank for its default."""
    return {i: form.get(f"item_department_{i}", "") for i in form.getlist("item_ids")}


UPPER_FIELDS = ("upper_authority", "upper_doc_no", "upper_task_code", "upper_source", "upper_columns")


def _fraction(percent: str) -> str:
    text = (percent or "").strip().rstrip("%").strip()
    try:
        return format(Decimal(text) / 100, "f") if text else ""
    except InvalidOperation:
        return percent


def _form_values(task, form) -> dict:
    """What the task form shows: the posted values after an error, else the task's, else the defaults."""
    strata = ("low", "general", "higher", "high")
    if form is not None:
        values = {k: form.get(k, "") for k in ("name", "code", "task_type", "method", "group_size", "exclusion_months",
                                                "lead_department_id", "period_start", "period_end", "scope_tags",
                                                "scope_regions", "scope_usccs", "targeted_reason", "targeted_source_doc",
                                                "target_usccs", "reveal_seed_at_once", "plan_row") + UPPER_FIELDS}
        values.update({f"ratio_{k}": form.get(f"ratio_{k}", "") for k in strata})
        values.update({k: form.getlist(k) for k in ("item_ids", "cooperating_department_ids", "scope_categories")})
        values["item_departments"] = {k[len("item_department_"):]: v for k, v in form.items()
                                      if k.startswith("item_department_")}
        return values
    if task is None:
        defaults = current_app.config["DRAW_DEFAULT_RATIOS"]
        values = {"task_type": "undirected", "method": "on_site", "group_size": "2", "item_ids": [], "cooperating_department_ids": [],
                  "scope_categories": [], "exclusion_months": str(current_app.config["DRAW_EXCLUSION_MONTHS"]),
                  "upper_source": "list", "upper_columns": "\n".join(upper_rules.GSXT_COLUMNS)}
        values.update({f"ratio_{k}": tasks.percent(defaults[k]).rstrip("%") for k in strata})
        return values
    scope = task.scope or {}
    values = {"name": task.name, "code": task.code, "task_type": task.task_type, "method": task.method,
              "group_size": str(task.group_size),
              "exclusion_months": str(task.exclusion_months), "lead_department_id": str(task.lead_department_id),
              "period_start": task.period_start.isoformat(), "period_end": task.period_end.isoformat(),
              "scope_tags": "、".join(scope.get("tags", [])), "scope_regions": "、".join(scope.get("regions", [])),
              "scope_usccs": "\n".join(scope.get("usccs", [])),
              "targeted_reason": task.targeted_reason, "targeted_source_doc": task.targeted_source_doc,
              "target_usccs": "\n".join(task.target_usccs) if task.task_type == "targeted" else "",
              "reveal_seed_at_once": "1" if task.reveal_seed_at_once else "",
              "item_ids": [str(i) for i in task.item_ids],
              "cooperating_department_ids": [str(i) for i in task.department_ids[1:]],
              "scope_categories": scope.get("categories", []) if task.task_type in ("directed", "upper") else [],
              "plan_row": task.plan_row, "upper_authority": task.upper_authority, "upper_doc_no": task.upper_doc_no,
              "upper_task_code": task.upper_task_code, "upper_source": task.upper_source or "list",
              "upper_columns": "\n".join(task.upper_columns or upper_rules.GSXT_COLUMNS),
              "item_departments": {k: str(v) for k, v in (task.item_departments or {}).items()}}
    values.update({f"ratio_{k}": tasks.percent(task.ratios[k]).rstrip("%") if k in task.ratios else "" for k in strata})
    return values


def _from_plan_row(plan, values: dict) -> dict:
    """A new task's form filled from the plan row it carries out (?row=R1 on the plan page's link)."""
    row = plans.row_by_key(plans.in_force(plan) or plans.current(plan), request.args.get("row", ""))
    if row is None:
        return values
    depts = [str(d) for d in row.get("department_ids") or ()]
    values.update(plan_row=row["key"], name=row.get("name", ""), item_ids=[str(i) for i in row.get("item_ids", [])],
                  lead_department_id=depts[0] if depts else "", cooperating_department_ids=depts[1:],
                  period_start=row.get("period_start", ""), period_end=row.get("period_end", ""))
    if row.get("task_type"):
        values["task_type"] = row["task_type"]
    return values


def _task_form(plan, task=None, form=None, errors=None, status=200, prefill=None, action=None):
    values = _form_values(task, form)
    if task is None and form is None:
        values = _from_plan_row(plan, values)
    if prefill:  # 发起定向抽查 / 发起靶向检查: the population and reason from a warning, a list or a referral
        values.update(prefill)
    version = plans.in_force(plan) or plans.current(plan)
    return render_template("office/task_form.html", plan=plan, task=task, v=values, errors=errors or {},
                           **pages.task_form_choices(db.session), task_types=tasks.TASK_TYPES,
                           methods=tasks.METHODS,
                           categories=TargetCategory.choices(), strata=tasks.STRATUM_LABELS,
                           plan_rows=version.content.get("entries", []), upper_sources=upper_rules.SOURCES,
                           result_columns=upper_rules.RESULT_COLUMNS, action=action,
                           prefilled=bool(prefill)), status


@bp.route("/plans/<int:plan_id>/tasks/new", methods=["GET", "POST"])
@login_required("admin", "office")
def task_new(plan_id: int):
    plan = plans.get_plan(db.session, plan_id)
    if request.method == "GET":
        return _task_form(plan)
    return run(lambda: tasks.create_task(db.session, g.user, plan.id, _task_form_data(request.form)),
               lambda task: f"已保存任务草稿 {task.code}；核对总体抽查比例后即可发布",
               lambda task: url_for("office.task_detail", task_id=task.id),
               on_error=lambda err: _task_form(plan, None, request.form, field_errors(err), err.status))


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required("admin", "office")
def task_edit(task_id: int):
    task = tasks.get_task(db.session, task_id)
    plan = plans.get_plan(db.session, task.plan_id)
    if request.method == "GET":
        return _task_form(plan, task)
    return run(lambda: tasks.update_task(db.session, g.user, task.id, _task_form_data(request.form)), "任务已保存",
               url_for("office.task_detail", task_id=task.id),
               on_error=lambda err: _task_form(plan, task, request.form, field_errors(err), err.status))


@bp.post("/tasks/<int:task_id>/publish")
@login_required("admin", "office")
def task_publish(task_id: int):
    return run(lambda: tasks.publish_task(db.session, g.user, task_id), "任务已发布，承诺值已在门户公开；现在可以组织抽取",
               url_for("office.task_detail", task_id=task_id))


@bp.get("/tasks/<int:task_id>")
@login_required(*READERS)
def task_detail(task_id: int):
    task = tasks.get_visible_task(db.session, g.user, task_id)
    plan = plans.get_plan(db.session, task.plan_id)
    return render_template(
        "office/task_detail.html", task=task, **pages.task_page(db.session, task),
        plan_row=plans.row_by_key(plans.in_force(plan) or plans.current(plan), task.plan_row),
        upper_list=upper_tasks.list_status(db.session, task) if upper_rules.takes_list(task) else None,
        upper_sources=upper_rules.SOURCES, deployed_by=upper_rules.deployed_by(task), categories=TargetCategory.choices(),
        request_statuses=draw_requests.REQUEST_STATUSES, task_types=tasks.TASK_TYPES, methods=tasks.METHODS,
        task_statuses=tasks.TASK_STATUSES, strata=tasks.STRATUM_LABELS, percent=tasks.percent,
        kind_labels=draws.KIND_LABELS, inspection_statuses=INSPECTION_STATUS_LABELS)


@bp.post("/tasks/<int:task_id>/close")
@login_required("admin", "office")
def task_close(task_id: int):
    return run(lambda: task_closing.close_task(db.session, g.user, task_id, note=request.form.get("note", "")),
               "任务已结束；抽取的服务器种子已在门户公开，任何人都可以核对抽取结果",
               url_for("office.task_detail", task_id=task_id))


from server.office import joint_draws, planning_draws, planning_upper  # noqa: E402,F401  (these pages register on bp too)

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
from server.services.kernel.permissions import STAFF
from server.services.planning import draws, pages, plan_export, plans, supplementary, task_closing, tasks
from server.vocab import TargetCategory
from sync.messages import STATUS_LABELS as INSPECTION_STATUS_LABELS

ENTRY_ROWS_EXTRA = 3


# --- plans ------------------------------------------------------------------------------------------

@bp.get("/plans", endpoint="plans")
@login_required(*STAFF)
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
@login_required(*STAFF)
def plan_detail(plan_id: int):
    plan = plans.get_plan(db.session, plan_id)
    version = plans.current(plan)
    entries = list(version.content.get("entries", []))
    editable = version.status in ("draft", "adjusting")
    pending = plans.pending_approval(db.session, plan)
    return render_template(
        "office/plan_detail.html", plan=plan, version=version, in_force=plans.in_force(plan),
        entries=entries + [{}] * (ENTRY_ROWS_EXTRA if editable and not pending else 0), editable=editable,
        pending=pending, tasks=tasks.plan_tasks(db.session, plan), plan_statuses=plans.PLAN_STATUSES,
        version_statuses=plans.VERSION_STATUSES, entry_fields=plans.ENTRY_FIELDS, entry_labels=plans.ENTRY_LABELS,
        task_types=tasks.TASK_TYPES, task_statuses=tasks.TASK_STATUSES)


def _entries(form) -> list[dict]:
    count = int(form.get("entry_count") or 0)
    return [{k: form.get(f"entry-{n}-{k}", "") for k in plans.ENTRY_FIELDS} for n in range(count)]


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
@login_required(*STAFF)
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
            "item_ids": form.getlist("item_ids"), "group_size": form.get("group_size", ""),
            "ratios": {k: _fraction(form.get(f"ratio_{k}", "")) for k in ("low", "general", "higher", "high")},
            "exclusion_months": form.get("exclusion_months", ""),
            "lead_department_id": form.get("lead_department_id", ""),
            "cooperating_department_ids": form.getlist("cooperating_department_ids"),
            "period_start": form.get("period_start", ""), "period_end": form.get("period_end", ""),
            "reveal_seed_at_once": form.get("reveal_seed_at_once") == "1",
            "scope": {"categories": form.getlist("scope_categories"), "tags": split(form.get("scope_tags")),
                      "regions": split(form.get("scope_regions"))},
            "targeted_reason": form.get("targeted_reason", ""),
            "targeted_source_doc": form.get("targeted_source_doc", ""),
            "target_usccs": split(form.get("target_usccs"))}


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
        values = {k: form.get(k, "") for k in ("name", "code", "task_type", "group_size", "exclusion_months",
                                                "lead_department_id", "period_start", "period_end", "scope_tags",
                                                "scope_regions", "targeted_reason", "targeted_source_doc",
                                                "target_usccs", "reveal_seed_at_once")}
        values.update({f"ratio_{k}": form.get(f"ratio_{k}", "") for k in strata})
        values.update({k: form.getlist(k) for k in ("item_ids", "cooperating_department_ids", "scope_categories")})
        return values
    if task is None:
        defaults = current_app.config["DRAW_DEFAULT_RATIOS"]
        values = {"task_type": "undirected", "group_size": "2", "item_ids": [], "cooperating_department_ids": [],
                  "scope_categories": [], "exclusion_months": str(current_app.config["DRAW_EXCLUSION_MONTHS"])}
        values.update({f"ratio_{k}": tasks.percent(defaults[k]).rstrip("%") for k in strata})
        return values
    scope = task.scope or {}
    values = {"name": task.name, "code": task.code, "task_type": task.task_type, "group_size": str(task.group_size),
              "exclusion_months": str(task.exclusion_months), "lead_department_id": str(task.lead_department_id),
              "period_start": task.period_start.isoformat(), "period_end": task.period_end.isoformat(),
              "scope_tags": "、".join(scope.get("tags", [])), "scope_regions": "、".join(scope.get("regions", [])),
              "targeted_reason": task.targeted_reason, "targeted_source_doc": task.targeted_source_doc,
              "target_usccs": "\n".join(task.target_usccs),
              "reveal_seed_at_once": "1" if task.reveal_seed_at_once else "",
              "item_ids": [str(i) for i in task.item_ids],
              "cooperating_department_ids": [str(i) for i in task.department_ids[1:]],
              "scope_categories": scope.get("categories", []) if task.task_type == "directed" else []}
    values.update({f"ratio_{k}": tasks.percent(task.ratios[k]).rstrip("%") if k in task.ratios else "" for k in strata})
    return values


def _task_form(plan, task=None, form=None, errors=None, status=200):
    return render_template("office/task_form.html", plan=plan, task=task, v=_form_values(task, form),
                           errors=errors or {}, **pages.task_form_choices(db.session), task_types=tasks.TASK_TYPES,
                           categories=TargetCategory.choices(), strata=tasks.STRATUM_LABELS), status


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
@login_required(*STAFF)
def task_detail(task_id: int):
    task = tasks.get_task(db.session, task_id)
    return render_template(
        "office/task_detail.html", task=task, **pages.task_page(db.session, task),
        request_statuses=supplementary.REQUEST_STATUSES, task_types=tasks.TASK_TYPES,
        task_statuses=tasks.TASK_STATUSES, strata=tasks.STRATUM_LABELS, percent=tasks.percent,
        kind_labels=draws.KIND_LABELS, inspection_statuses=INSPECTION_STATUS_LABELS)


@bp.post("/tasks/<int:task_id>/close")
@login_required("admin", "office")
def task_close(task_id: int):
    return run(lambda: task_closing.close_task(db.session, g.user, task_id, note=request.form.get("note", "")),
               "任务已结束；抽取的服务器种子已在门户公开，任何人都可以核对抽取结果",
               url_for("office.task_detail", task_id=task_id))


from server.office import planning_draws  # noqa: E402,F401  (the draw pages register on bp too)

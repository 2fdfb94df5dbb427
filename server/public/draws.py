"""Public pages: plans with all versions, tasks with their commitments, draw records and how to check them."""
from __future__ import annotations

from flask import Response, render_template

from server.extensions import db
from server.public import bp
from server.services.draw import records, sealing
from server.services.draw.example import worked_example
from server.services.followup import credit
from server.services.kernel.workdays import today
from server.services.planning import draw_requests, draws, pages, plan_rows, plans, tasks, upper_rules
from server.services.registry import risk
from server.vocab import RATING_LEVELS

KIND_LABELS = {"main": "随机抽取", "targeted": "靶向检查派员", "replace_target": "补抽", "replace_inspector": "递补",
               "staff_target": "补派", "department": "配合部门抽取本部门人员", "department_staff": "配合部门补派本部门人员",
               "department_replace": "配合部门递补本部门人员"}
SEAL_STATUSES = {"open": "已封存，待抽取", "used": "已用于抽取", "superseded": "已被重新封存取代（未用于抽取）"}


@bp.get("/plans", endpoint="plans")
def plans_page():
    names = plan_rows.Names.load(db.session)
    return render_template("public/plans.html", **pages.public_plans(db.session), entry_fields=plans.ENTRY_FIELDS,
                           entry_labels=plans.ENTRY_LABELS, task_types=tasks.TASK_TYPES,
                           row_text=lambda row: plan_rows.row_text(row, names), deployed_by=upper_rules.deployed_by)


@bp.get("/tasks", endpoint="tasks")
def tasks_page():
    return render_template("public/tasks.html", tasks=tasks.public_tasks(db.session), task_types=tasks.TASK_TYPES,
                           task_statuses=tasks.TASK_STATUSES, revealed=lambda t: tasks.seed_revealed(t, today()),
                           deployed_by=upper_rules.deployed_by)


@bp.get("/tasks/<code>", endpoint="task_detail")
def task_detail(code: str):
    return render_template("public/task_detail.html", **pages.public_task_view(db.session, code),
                           task_types=tasks.TASK_TYPES, task_statuses=tasks.TASK_STATUSES,
                           deployed_by=upper_rules.deployed_by,
                           strata=tasks.STRATUM_LABELS, percent=tasks.percent,
                           request_statuses=draw_requests.REQUEST_STATUSES, kind_labels=KIND_LABELS,
                           seal_statuses=SEAL_STATUSES)


@bp.get("/tasks/<code>/draws/<int:draw_id>.json", endpoint="draw_record")
def draw_record(code: str, draw_id: int):
    name, body = draws.record_file(pages.revealed_draw(db.session, code, draw_id), revealed=True)
    return Response(body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/tasks/<code>/draws.json", endpoint="draw_bundle")
def draw_bundle(code: str):
    """联合抽查: every draw record of the task in one file, for `spotcheck verify-draw` to check them all together."""
    name, body = pages.draw_bundle_file(db.session, code)
    return Response(body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/tasks/<code>/draws/<int:draw_id>/listing.txt", endpoint="draw_listing")
def draw_listing(code: str, draw_id: int):
    """The canonical population listing, byte for byte what population_hash is computed over."""
    made = pages.revealed_draw(db.session, code, draw_id)
    return Response(made.record["population_listing"].encode("utf-8"), mimetype="text/plain; charset=utf-8")


@bp.get("/draw-method", endpoint="draw_method")
def draw_method():
    return render_template("public/draw_method.html", ex=worked_example(), risk_rule=risk_rule(),
                           strata=tasks.STRATUM_LABELS, algorithm=records.CURRENT, algorithms=list(records.ALGORITHMS),
                           seal_fields=sealing.FIELDS, digest_excluded=records.NOT_DIGESTED)


def risk_rule() -> dict:
    """The tables of services.registry.risk's rule, read from the code so the page cannot drift from it."""
    ratings = [(source.label, [(level, risk_level.label) for level, risk_level in levels.items()])
               for source, levels in RATING_LEVELS.items()]
    floors = [(credit.SEVERITIES.get(code, code), level.label if level else "不提高")
              for code, level in risk.SEVERITY_FLOOR.items()]
    return {"ratings": ratings, "floors": floors, "many": risk.MANY_RECORDS}

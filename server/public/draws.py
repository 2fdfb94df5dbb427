"""Public pages: plans with all versions, tasks with their commitments, draw records and how to check them."""
from __future__ import annotations

import functools
import hashlib
import json

from flask import Response, abort, render_template
from sqlalchemy import select

from server.extensions import db
from server.models.planning import Draw, Task
from server.models.registry import Department, Target
from server.public import bp
from server.services.draw import records, v1 as draw_v1
from server.services.followup import credit
from server.services.kernel.workdays import today
from server.services.planning import plans, supplementary, tasks
from server.services.registry import risk
from server.services.registry.uscc import check_digit

@bp.get("/plans", endpoint="plans")
def plans_page():
    rows = plans.published_plans(db.session)
    depts = {d.id: d.name for d in db.session.scalars(select(Department))}
    return render_template("public/plans.html", plans=rows, versions={p.id: plans.public_versions(p) for p in rows},
                           tasks={p.id: [t for t in tasks.plan_tasks(db.session, p) if t.status != "draft"]
                                  for p in rows}, depts=depts, entry_fields=plans.ENTRY_FIELDS,
                           entry_labels=plans.ENTRY_LABELS, task_types=tasks.TASK_TYPES)


@bp.get("/tasks", endpoint="tasks")
def tasks_page():
    return render_template("public/tasks.html", tasks=tasks.public_tasks(db.session), task_types=tasks.TASK_TYPES,
                           task_statuses=tasks.TASK_STATUSES, revealed=lambda t: tasks.seed_revealed(t, today()))


def _task_or_404(code: str) -> Task:
    task = db.session.scalar(select(Task).where(Task.code == code, Task.status != "draft"))
    if task is None:
        abort(404)
    return task


@bp.get("/tasks/<code>", endpoint="task_detail")
def task_detail(code: str):
    task = _task_or_404(code)
    revealed = tasks.seed_revealed(task, today())
    draws = [(d, records.public_view(d.record, revealed)) for d in task.draws]
    groups = {d.id: {a["uscc"]: a["inspectors"] for a in view.get("assignments", [])} for d, view in draws}
    checks = {d.id: records.verify(d.record) for d, _ in draws} if revealed else {}
    usccs = {s["uscc"] for _, v in draws for s in v.get("selections", [])}
    names = {u: n for u, n in db.session.execute(select(Target.uscc, Target.name).where(Target.uscc.in_(usccs)))}
    requests = supplementary.requests_for(db.session, task)
    return render_template("public/task_detail.html", task=task, revealed=revealed, draws=draws, checks=checks,
                           names=names, groups=groups, requests=requests, items=tasks.task_items(db.session, task),
                           departments=tasks.task_departments(db.session, task), task_types=tasks.TASK_TYPES,
                           task_statuses=tasks.TASK_STATUSES, strata=tasks.STRATUM_LABELS, percent=tasks.percent,
                           request_statuses=supplementary.REQUEST_STATUSES,
                           kind_labels={"main": "随机抽取", "targeted": "靶向检查派员", "replace_target": "补抽",
                                        "replace_inspector": "递补"})


def _revealed_draw(code: str, draw_id: int) -> Draw:
    task = _task_or_404(code)
    made = db.session.get(Draw, draw_id)
    if made is None or made.task_id != task.id or not tasks.seed_revealed(task, today()):
        abort(404)
    return made


@bp.get("/tasks/<code>/draws/<int:draw_id>.json", endpoint="draw_record")
def draw_record(code: str, draw_id: int):
    made = _revealed_draw(code, draw_id)
    body = json.dumps(records.public_view(made.record, True), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=draw-{code}-{draw_id}.json"})


@bp.get("/tasks/<code>/draws/<int:draw_id>/listing.txt", endpoint="draw_listing")
def draw_listing(code: str, draw_id: int):
    """The canonical population listing, byte for byte what population_hash is computed over."""
    made = _revealed_draw(code, draw_id)
    return Response(made.record["population_listing"].encode("utf-8"), mimetype="text/plain; charset=utf-8")


@bp.get("/draw-method", endpoint="draw_method")
def draw_method():
    return render_template("public/draw_method.html", ex=worked_example(), risk_rule=risk_rule(),
                           strata=tasks.STRATUM_LABELS, algorithm=draw_v1.ALGORITHM)


def risk_rule() -> dict:
    """The tables of services.registry.risk's rule, read from the code so the page cannot drift from it."""
    from server.vocab import RATING_LEVELS
    ratings = [(source.label, [(level, risk_level.label) for level, risk_level in levels.items()])
               for source, levels in RATING_LEVELS.items()]
    floors = [(credit.SEVERITIES.get(code, code), level.label if level else "不提高")
              for code, level in risk.SEVERITY_FLOOR.items()]
    return {"ratings": ratings, "floors": floors, "many": risk.MANY_RECORDS}


def _example_uscc(n: int) -> str:
    body = f"91140522{n:09d}"
    return body + check_digit(body)


@functools.lru_cache(maxsize=1)
def worked_example() -> dict:
    """A small draw computed by the real code, so the page's numbers are always right."""
    server_seed = hashlib.sha256("spotcheck 示例".encode("utf-8")).digest()
    witness = "阳城县交通运输局 2024年4月1日 监督人张三"
    levels = ["low", "low", "low", "low", "general", "general", "general", "higher", "higher", "high"]
    pairs = [(_example_uscc(101 + i), level) for i, level in enumerate(levels)]
    ratios = {"low": "0.2", "general": "0.3", "higher": "0.5", "high": "0.5"}
    record = records.complete({
        "kind": "main", "selection_rule": "ratios",
        "task": {"code": "示例", "name": "示例任务", "ratios": ratios, "group_size": 2,
                 "departments": [{"code": "ZFD", "name": "执法大队"}]},
        "population_listing": draw_v1.canonical_listing(pairs), "server_seed": server_seed.hex(),
        "witness_entropy": witness, "recusals": [],
        "inspectors": [{"cert_no": f"1405220{n}", "department": "ZFD"} for n in (1, 2, 3)]},
        names={"14052201": "王一", "14052202": "李二", "14052203": "赵三"})
    seed = bytes.fromhex(record["draw_seed"])
    scores = sorted(((draw_v1.target_score(seed, u), u, k) for u, k in pairs),
                    key=lambda s: (draw_v1.STRATA.index(s[2]), s[0]))
    first = record["selections"][0]["uscc"]
    names = {i["cert_no"]: i["name"] for a in record["assignments"] for i in a["inspectors"]}
    inspector_scores = sorted((draw_v1.inspector_score(seed, first, i["cert_no"]), i["cert_no"],
                               names.get(i["cert_no"], "")) for i in record["inspectors"])
    return {"record": record, "ratios": ratios, "scores": scores, "first": first,
            "inspector_scores": inspector_scores, "witness": witness,
            "selected": {s["uscc"] for s in record["selections"]}}

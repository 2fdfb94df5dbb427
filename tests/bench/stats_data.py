"""Province-scale data for the statistics benchmark: one year with 200,000 inspections, 2,000,000
checkpoint answers and 20,000 findings, plus their publications, violations, referrals, credit records
and risk-level changes, over a registry of 1,000,000 targets.

The registries' small tables (departments, items, the plan, tasks, a user) go through the ORM; every large
table is bulk-loaded with the driver's fast path (sqlite3 executemany, PostgreSQL COPY), not the ORM.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid

N_TARGETS = 1_000_000
N_TASKS = 200
N_INSPECTIONS = 200_000
N_ANSWERS = 2_000_000
N_FINDINGS = 20_000
YEAR = 2024
CATEGORIES = ("freight", "passenger", "bus", "taxi", "driving_school", "repair", "station")
TOWNS = tuple(f"第{k}镇" for k in range(1, 21))
RISKS = ("low",) * 8 + ("general",) * 8 + ("higher",) * 3 + ("high",)
TYPES = ("undirected",) * 6 + ("directed",) * 3 + ("targeted",)
STATUSES = ("approved",) * 72 + ("submitted",) * 9 + ("returned",) * 3 + ("in_progress",) * 5 + \
    ("assigned",) * 9 + ("withdrawn",) * 2
UTC = dt.timezone.utc
NONCOMPLIANT_SHARE = 0.015  # about 30,000 不符合 answers: of the order of the findings they come with
RESULTS = (["01"], ["02"], ["03"], ["02", "03"], ["04"], ["05"], ["01", "04"], ["09"], ["06"])
RESULT_WEIGHTS = (86, 6, 2, 2, 1.5, 1, 0.5, 0.5, 0.5)


class Loader:
    """Bulk inserts through the driver: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, db):
        self.db = db
        self.pg = db.engine.dialect.name == "postgresql"

    def ts(self, moment: dt.datetime | None):
        if moment is None:
            return None
        text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return text + "+00" if self.pg else text

    def load(self, table: str, columns: tuple[str, ...], rows) -> int:
        raw = self.db.engine.raw_connection()
        n = 0
        try:
            cur = raw.cursor()
            if self.pg:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        n += 1
            else:
                rows = list(rows)
                n = len(rows)
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                rows)
            raw.commit()
        finally:
            raw.close()
        return n


def _uscc(k: int) -> str:
    from server.services.registry.uscc import check_digit
    body = f"91140522{k:09d}"
    return body + check_digit(body)


def _setup(db):
    """Departments, items with checkpoints, the plan (two versions), tasks and an office user (ORM)."""
    from server.models.planning import Plan, PlanVersion, Task
    from server.models.registry import Checkpoint, Department, InspectionItem
    from server.services.accounts import credentials

    s, rnd = db.session, random.Random(7)
    depts = [Department(code=f"D{k}", name=f"执法{k}中队") for k in range(1, 6)]
    s.add_all(depts)
    s.flush()
    items = []
    for k in range(20):
        item = InspectionItem(code=f"JT-{k:03d}", name=f"抽查事项{k}", legal_basis="《道路运输条例》",
                              methods=["on_site"], target_categories=[CATEGORIES[k % 7]], department_id=depts[k % 5].id)
        item.checkpoints = [Checkpoint(seq=c + 1, text=f"事项{k}检查要点{c + 1}") for c in range(5)]
        items.append(item)
    s.add_all(items)
    plan = Plan(code="JH202401", year=YEAR, name=f"{YEAR}年度双随机抽查计划", status="published", current_version=2,
                published_version=2)
    s.add(plan)
    s.flush()
    s.add_all([PlanVersion(plan_id=plan.id, version=1, status="published", content={}, reason=""),
               PlanVersion(plan_id=plan.id, version=2, status="published", content={}, reason="增加危险货物专项任务")])
    tasks = []
    for k in range(N_TASKS):
        start = dt.date(YEAR, 1 + k % 10, 1 + k % 20)
        chosen = [items[(2 * k) % 20], items[(2 * k + 1) % 20]]
        dept = depts[k % 5]
        tasks.append(Task(plan_id=plan.id, code=f"T{YEAR}{k:04d}", name=f"抽查任务{k}", task_type=TYPES[k % 10],
                          status="drawn", item_ids=[i.id for i in chosen], lead_department_id=dept.id,
                          department_ids=[dept.id, depts[(k + 1) % 5].id], period_start=start,
                          period_end=start + dt.timedelta(days=rnd.randint(60, 120)),
                          scope={"categories": [CATEGORIES[k % 7]]}))
    s.add_all(tasks)
    user = credentials.create_user(s, None, username="bench", password="password123", role="office")
    s.commit()
    return user, tasks, items


def _target_dims() -> list[tuple[str, str]]:
    """(region, risk level) of every target id (index 0 unused), the same draws _targets makes."""
    rnd = random.Random(1)
    return [("", "")] + [(TOWNS[rnd.randrange(20)], RISKS[rnd.randrange(20)]) for _ in range(N_TARGETS)]


def _snapshot(target: int, dims: tuple[str, str]) -> str:
    """The target as the draw froze it on the inspection (services.draw.assignment.target_snapshot)."""
    return json.dumps({"uscc": _uscc(target - 1), "name": f"第{target - 1}运输有限公司", "address": "阳城县",
                       "category": CATEGORIES[(target - 1) % 7], "risk_level": dims[1], "region": dims[0],
                       "legal_rep": "", "contact_name": "", "contact_phone": "", "latitude": None,
                       "longitude": None, "licences": []}, ensure_ascii=False)


def _targets(ld: Loader) -> None:
    dims = _target_dims()
    now = ld.ts(dt.datetime(YEAR, 1, 1, tzinfo=UTC))
    cols = ("id", "uscc", "name", "category", "tags", "region", "address", "legal_rep", "contact_name",
            "contact_phone", "licences", "status", "risk_level", "created_at", "updated_at")
    ld.load("targets", cols, ((k + 1, _uscc(k), f"第{k}运输有限公司", CATEGORIES[k % 7], "[]", dims[k + 1][0],
                               "阳城县", "", "", "", "[]", "active", dims[k + 1][1], now, now)
                              for k in range(N_TARGETS)))


def _inspections(ld: Loader, tasks, items, user_id: int) -> list[tuple]:
    """Returns (id, status, task index, first_completed, checkpoint ids, approved_at) of every inspection."""
    rnd = random.Random(2)
    cps = {it.id: [cp.id for cp in it.checkpoints] for it in items}
    by_cat = {c: list(range(k + 1, N_TARGETS + 1, 7)) for k, c in enumerate(CATEGORIES)}
    dims = _target_dims()
    cols = ("id", "task_id", "target_id", "status", "version", "mode", "due_date", "target_snapshot",
            "checklist_snapshot", "result_categories", "methods", "follow_ups", "summary", "has_conflicts",
            "reviewer_note", "started_at", "submitted_at", "completed_at", "first_completed_at", "approved_at",
            "approved_by_id", "changed_at", "created_at", "target_category", "target_region", "target_risk_level")
    facts, rows, per_task = [], [], N_INSPECTIONS // N_TASKS
    for t_no, task in enumerate(tasks):
        snapshot = json.dumps([{"item_id": i, "name": f"抽查事项{i}", "checkpoints": [{"id": c, "text": "检查要点"}
                               for c in cps[i]]} for i in task.item_ids], ensure_ascii=False)
        drawn = dt.datetime.combine(task.period_start, dt.time(1), UTC)
        for target in rnd.sample(by_cat[CATEGORIES[t_no % 7]], per_task):
            iid = len(facts) + 1
            status = STATUSES[rnd.randrange(100)]
            done = None if status in ("assigned", "in_progress") else drawn + dt.timedelta(hours=rnd.randint(24, 2000))
            approved = done + dt.timedelta(days=rnd.randint(1, 20)) if status == "approved" else None
            results = json.dumps(rnd.choices(RESULTS, RESULT_WEIGHTS)[0]) if done else "[]"
            rows.append((iid, task.id, target, status, 2 if status == "returned" else 1, "on_site", task.period_end,
                         _snapshot(target, dims[target]), snapshot, results, '["on_site"]', '["none"]', "", False, "", ld.ts(done), ld.ts(done),
                         ld.ts(done), ld.ts(done), ld.ts(approved), user_id if approved else None,
                         ld.ts(approved or done or drawn), ld.ts(drawn), CATEGORIES[(target - 1) % 7], *dims[target]))
            facts.append((iid, status, t_no, done, [c for i in task.item_ids for c in cps[i]], approved))
    ld.load("inspections", cols, rows)
    return facts


def _answers(ld: Loader, facts) -> None:
    rnd = random.Random(3)
    cols = ("id", "inspection_id", "checkpoint_id", "answer", "note", "base", "created_at", "received_at",
            "inspection_version")
    worked = [f for f in facts if f[1] != "assigned"]
    extra = N_ANSWERS - sum(len(f[4]) for f in worked)

    def rows():
        made = 0
        for iid, status, _, done, cp_ids, _ in worked:
            at = done or dt.datetime(YEAR, 6, 1, tzinfo=UTC)
            for c in cp_ids:
                answer = "noncompliant" if rnd.random() < NONCOMPLIANT_SHARE else "compliant"
                yield (str(uuid.UUID(int=rnd.getrandbits(128))), iid, c, answer, "", "[]",
                       ld.ts(at - dt.timedelta(minutes=30)), ld.ts(at), 1)
                if made < extra and rnd.random() < extra / N_ANSWERS * 1.3:
                    made += 1  # a second answer to the same checkpoint, given after the first
                    yield (str(uuid.UUID(int=rnd.getrandbits(128))), iid, c,
                           "noncompliant" if answer == "compliant" and rnd.random() < 0.1 else "compliant", "", "[]",
                           ld.ts(at - dt.timedelta(minutes=10)), ld.ts(at), 1)
    ld.load("checkpoint_answers", cols, rows())


def _findings(ld: Loader, facts) -> list[tuple]:
    rnd = random.Random(4)
    cols = ("id", "inspection_id", "checkpoint_id", "description", "legal_basis", "rectification", "rectify_by",
            "supersedes_id", "reason", "created_at", "received_at", "inspection_version")
    done = [f for f in facts if f[3] is not None]
    rows, made = [], []
    for iid, _, _, at, cp_ids, _ in rnd.sample(done, N_FINDINGS - N_FINDINGS // 20):
        fid = str(uuid.UUID(int=rnd.getrandbits(128)))
        rows.append((fid, iid, rnd.choice(cp_ids), "车辆技术档案不全", "《道路运输车辆技术管理规定》",
                     "限期补齐技术档案" if rnd.random() < 0.7 else "", at.date() + dt.timedelta(days=15), None, "",
                     ld.ts(at), ld.ts(at), 1))
        made.append((fid, iid))
    for fid, iid in made[:N_FINDINGS // 20]:  # amendments that supersede an earlier finding
        rows.append((str(uuid.UUID(int=rnd.getrandbits(128))), iid, None, "车辆技术档案不全（更正）", "", "限期补齐",
                     None, fid, "更正描述", ld.ts(dt.datetime(YEAR, 11, 1, tzinfo=UTC)),
                     ld.ts(dt.datetime(YEAR, 11, 1, tzinfo=UTC)), 1))
    ld.load("findings", cols, rows)
    return made


def _publications(ld: Loader, facts) -> None:
    from server.services.kernel.workdays import add_workdays, local_date
    rnd = random.Random(5)
    cols = ("id", "inspection_id", "target_id", "target_name", "target_uscc", "status", "revision", "content",
            "completed_on", "due_on", "published_at", "first_published_at", "decline_reason", "pending_action",
            "pending_reason", "created_at")
    rows = []
    for iid, status, _, done, _, approved in facts:
        if status != "approved":
            continue
        completed = local_date(done)
        due = add_workdays(completed, 20)
        state = rnd.choices(("published", "draft", "pending", "not_published", "withdrawn"), (88, 5, 3, 2, 2))[0]
        published = approved + dt.timedelta(days=rnd.randint(0, 30)) if state in ("published", "withdrawn") else None
        rows.append((len(rows) + 1, iid, iid, "对象", "", state, 1 if published else 0, "{}", completed, due,
                     ld.ts(published), ld.ts(published), "无法联系" if state == "not_published" else "", "", "",
                     ld.ts(approved)))
    ld.load("publications", cols, rows)


def _followup(ld: Loader, findings, user_id: int) -> None:
    rnd = random.Random(6)
    at = ld.ts(dt.datetime(YEAR, 9, 1, tzinfo=UTC))
    ld.load("violations", ("id", "inspection_id", "finding_ref", "description", "legal_basis", "status",
                           "no_referral_reason", "close_note", "created_at"),
            ((k + 1, iid, fid, "违法行为", "", "closed" if rnd.random() < 0.6 else "open", "", "", at)
             for k, (fid, iid) in enumerate(findings)))
    kinds = ("administrative", "notify", "criminal")
    ld.load("referrals", ("id", "kind", "violation_id", "inspection_id", "status", "doc_no", "party", "cause",
                          "reason", "legal_basis", "materials", "receiving_dept", "team", "report", "outcome",
                          "due_step", "created_by_id", "created_at"),
            ((k + 1, kinds[k % 3], k + 1, iid, rnd.choice(("draft", "sent", "closed")), f"YS{k:06d}", "当事人", "案由",
              "理由", "依据", "[]", "市场监管局", "[]", "", "", "", user_id, at) for k, (_, iid) in enumerate(findings[:3000])))
    severities = ("minor", "general", "serious", "severe")
    ld.load("credit_records", ("id", "target_id", "inspection_id", "kind", "severity", "description", "legal_basis",
                               "effective_from", "effective_to", "publish", "repair_reason", "created_by_id",
                               "created_at"),
            ((k + 1, iid, iid, "violation", severities[k % 4], "", "", dt.date(YEAR, 9, 1), dt.date(YEAR + 1, 9, 1),
              False, "", user_id, at) for k, (_, iid) in enumerate(findings[:4000])))
    ld.load("risk_level_changes", ("id", "target_id", "old_level", "new_level", "cause", "at"),
            ((k + 1, rnd.randrange(1, N_TARGETS), rnd.choice(RISKS), rnd.choice(RISKS), "信用记录",
              ld.ts(dt.datetime(YEAR, 1 + k % 12, 1 + k % 28, tzinfo=UTC))) for k in range(5000)))


def seed(db) -> dict:
    """Fill an empty database; returns what the benchmark needs (the user, a task id, the counts)."""
    from sqlalchemy import text
    user, tasks, items = _setup(db)
    ld = Loader(db)
    _targets(ld)
    facts = _inspections(ld, tasks, items, user.id)
    _answers(ld, facts)
    findings = _findings(ld, facts)
    _publications(ld, facts)
    _followup(ld, findings, user.id)
    from server.services.fieldwork import problem_facts
    problem_facts.recompute(db.session)  # what each inspection's submit would have stored
    from server.services.stats import rollup
    rollup.refresh(db.session)  # what the first statistics view after loading would compute
    db.session.commit()
    if ld.pg:
        for table in ("targets", "inspections", "checkpoint_answers", "findings", "publications", "violations",
                      "referrals", "credit_records", "risk_level_changes"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))") if table not in (
                                        "checkpoint_answers", "findings") else text("SELECT 1"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {"user": user, "task_id": tasks[0].id}

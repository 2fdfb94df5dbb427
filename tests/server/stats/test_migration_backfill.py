"""The statistics migration copies each existing inspection's snapshot dimensions into the new columns."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from server import create_app
from server.extensions import db

BEFORE = "bd645d6d6559"  # the head the statistics revision follows
NOW = "2024-05-01 08:00:00+00"


def _url(request, tmp_path, backend):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/backfill.db"
    return request.getfixturevalue("pg_cluster").create_database("spotcheck_backfill")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_inspections_get_their_category_town_and_risk_level(request, tmp_path, backend):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": _url(request, tmp_path, backend)})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(text(
                    "INSERT INTO targets (id, uscc, name, category, tags, region, address, legal_rep, contact_name, "
                    "contact_phone, licences, status, risk_level, created_at, updated_at) VALUES (:n, :uscc, :name, "
                    "'taxi', '[]', '润城镇', '', '', '', '', '[]', 'active', 'high', :now, :now)"),
                    {"n": n, "uscc": f"9114052200000000{n}X", "name": f"公司{n}", "now": NOW})
            conn.execute(text(
                "INSERT INTO tasks (id, code, name, task_type, status, item_ids, scope, ratios, exclusion_months, "
                "group_size, department_ids, period_start, period_end, reveal_seed_at_once, targeted_reason, "
                "targeted_source_doc, target_usccs, created_at) VALUES (1, 'T1', '任务', 'undirected', 'drawn', '[]', "
                "'{}', '{}', 12, 2, '[]', '2024-04-01', '2024-10-31', false, '', '', '[]', :now)"), {"now": NOW})
            for n, snapshot in ((1, '{"category": "taxi", "region": "润城镇", "risk_level": "high"}'), (2, "{}")):
                conn.execute(text(
                    "INSERT INTO inspections (id, task_id, target_id, status, version, mode, target_snapshot, "
                    "checklist_snapshot, result_categories, methods, follow_ups, summary, has_conflicts, reviewer_note, "
                    "changed_at, created_at) VALUES (:n, 1, :n, 'assigned', 1, 'on_site', :snapshot, '[]', '[]', '[]', "
                    "'[]', '', false, '', :now, :now)"), {"n": n, "snapshot": snapshot, "now": NOW})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, target_category, target_region, target_risk_level FROM inspections "
                                     "ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "taxi", "润城镇", "high"), (2, "", "", "")]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_inspections_get_their_problem_facts(request, tmp_path, backend):
    """The revision that stores problem facts at submit derives them for the inspections already held: the
    latest answer of each checkpoint, the findings no amendment supersedes, and negative results."""
    import datetime as dt
    import uuid

    from flask_migrate import downgrade

    from server.models.fieldwork import CheckpointAnswer, Finding
    from tests.factories import create_inspection

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": _url(request, tmp_path, backend)})
    with app.app_context():
        upgrade()
        s = db.session
        fixed, failing, found, negative, clean = (create_inspection(s) for _ in range(5))
        cp = {i.id: [c["id"] for item in i.checklist_snapshot for c in item["checkpoints"]] for i in
              (fixed, failing, found, negative, clean)}
        t0 = dt.datetime(2024, 5, 1, 8, tzinfo=dt.timezone.utc)

        def answer(insp, k, value, minutes):
            s.add(CheckpointAnswer(id=str(uuid.uuid4()), inspection_id=insp.id, checkpoint_id=cp[insp.id][k],
                                   answer=value, created_at=t0 + dt.timedelta(minutes=minutes)))
        answer(fixed, 0, "noncompliant", 1)
        answer(fixed, 0, "compliant", 2)  # answered again, later: no longer a failure
        answer(failing, 1, "compliant", 1)
        answer(failing, 1, "noncompliant", 2)
        old = str(uuid.uuid4())
        s.add(Finding(id=old, inspection_id=found.id, checkpoint_id=cp[found.id][0], description="旧"))
        s.flush()
        s.add(Finding(id=str(uuid.uuid4()), inspection_id=found.id, checkpoint_id=None, description="改", supersedes_id=old))
        negative.result_categories = ["03"]
        clean.result_categories = ["01"]
        s.commit()
        ids = {k: i.id for k, i in (("fixed", fixed), ("failing", failing), ("found", found), ("negative", negative),
                                    ("clean", clean))}
        s.remove()
        downgrade(revision="1bdac63d196e")
        upgrade()
        with db.engine.connect() as conn:
            facts = dict(conn.execute(text("SELECT id, problem_found FROM inspections")).all())
            failures = [tuple(r) for r in conn.execute(text(
                "SELECT inspection_id, checkpoint_id FROM inspection_failures ORDER BY 1, 2"))]
        db.engine.dispose()
    assert {k: bool(v) for k, v in facts.items()} == {ids["fixed"]: False, ids["failing"]: True, ids["found"]: True,
                                                      ids["negative"]: True, ids["clean"]: False}
    assert failures == [(ids["failing"], cp[ids["failing"]][1])]  # the amended finding names no checkpoint now

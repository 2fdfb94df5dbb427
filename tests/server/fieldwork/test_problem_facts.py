"""What a submit stores for 统计分析: whether the submitted version found a problem, and which checkpoints
it found wanting; a resubmission replaces them, and recompute (the migration's and bulk loads' way) agrees."""
from __future__ import annotations

from sqlalchemy import select

from server.models.fieldwork import InspectionFailure
from server.services.fieldwork import desk_checks, problem_facts
from server.services.followup import review
from tests.factories import create_inspection, create_user


def _desk(session):
    insp = create_inspection(session, mode="online")
    return insp, create_user(session, role="inspector", inspector_id=insp.members[0].inspector_id)


def _checkpoints(insp) -> list[int]:
    return [cp["id"] for item in insp.checklist_snapshot for cp in item["checkpoints"]]


def _failed(session, insp) -> list[int]:
    return sorted(session.scalars(select(InspectionFailure.checkpoint_id)
                                  .where(InspectionFailure.inspection_id == insp.id)))


def _submit(session, user, insp, results=("01",)):
    desk_checks.submit(session, user, insp.id, result_categories=list(results), methods=["online"],
                       follow_ups=["none"], summary="")


def test_submit_stores_the_failed_checkpoints_and_a_resubmission_replaces_them(session):
    insp, user = _desk(session)
    first, second = _checkpoints(insp)[:2]
    desk_checks.save_answers(session, user, insp.id, {first: ("compliant", ""), second: ("compliant", "")})
    _submit(session, user, insp)
    assert insp.problem_found is False and _failed(session, insp) == []
    review.return_for_fix(session, create_user(session, role="office"), insp.id, note="请核实经营许可")
    desk_checks.save_answers(session, user, insp.id, {first: ("noncompliant", "许可证过期")})
    desk_checks.add_finding(session, user, insp.id, description="经营许可证已过期", checkpoint_id=first)
    assert insp.problem_found is False and _failed(session, insp) == []  # edits in progress: not yet counted
    _submit(session, user, insp, results=("02",))
    assert (insp.version, insp.problem_found, _failed(session, insp)) == (2, True, [first])


def test_a_finding_or_a_negative_result_alone_is_a_problem(session):
    with_finding, user = _desk(session)
    desk_checks.save_answers(session, user, with_finding.id, {cp: ("compliant", "") for cp in _checkpoints(with_finding)})
    desk_checks.add_finding(session, user, with_finding.id, description="台账不全")  # no checkpoint named
    _submit(session, user, with_finding, results=("02",))
    assert with_finding.problem_found is True and _failed(session, with_finding) == []
    negative, user2 = _desk(session)
    desk_checks.save_answers(session, user2, negative.id, {cp: ("compliant", "") for cp in _checkpoints(negative)})
    _submit(session, user2, negative, results=("07",))  # 未按规定公示应当公示的信息: a negative result
    assert negative.problem_found is True
    clean, user3 = _desk(session)
    desk_checks.save_answers(session, user3, clean.id, {cp: ("compliant", "") for cp in _checkpoints(clean)})
    _submit(session, user3, clean)
    assert clean.problem_found is False


def test_recompute_derives_what_the_submits_stored(session):
    insp, user = _desk(session)
    cps = _checkpoints(insp)
    desk_checks.save_answers(session, user, insp.id, {cps[0]: ("noncompliant", ""), cps[1]: ("noncompliant", "")})
    desk_checks.add_finding(session, user, insp.id, description="无经营许可", checkpoint_id=cps[0])
    desk_checks.add_finding(session, user, insp.id, description="车辆档案缺失", checkpoint_id=cps[1])
    _submit(session, user, insp, results=("02",))
    stored = (insp.problem_found, _failed(session, insp))
    session.execute(InspectionFailure.__table__.delete())
    insp.problem_found = False
    session.flush()
    changed_at = insp.changed_at
    problem_facts.recompute(session)
    session.expire(insp)
    assert (insp.problem_found, _failed(session, insp)) == stored == (True, sorted(cps[:2]))
    assert insp.changed_at == changed_at  # a derived fact: nothing for the phones to pull

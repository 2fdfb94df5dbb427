import pytest

from server.errors import Conflict, PermissionDenied, ValidationError
from server.services.kernel import approvals
from tests.factories import create_department, create_user

applied = []


def _on_approved(session, actor, approval):
    applied.append(approval.payload["x"])


approvals.register("test_kind", "测试事项", _on_approved)


def test_leader_approval_runs_the_handler(session):
    office, leader = create_user(session, role="office"), create_user(session, role="leader")
    dept = create_department(session)
    a = approvals.request(session, office, kind="test_kind", obj=dept, title="调整", reason="原因", payload={"x": 7})
    approvals.decide(session, leader, a.id, approve=True)
    assert a.status == "approved" and applied[-1] == 7


def test_inspector_cannot_approve_and_nobody_approves_their_own(session):
    office, leader = create_user(session, role="office"), create_user(session, role="leader")
    inspector = create_user(session, role="inspector")
    a = approvals.request(session, leader, kind="test_kind", obj=create_department(session), title="t", reason="r",
                          payload={"x": 1})
    with pytest.raises(PermissionDenied):
        approvals.decide(session, inspector, a.id, approve=True)
    with pytest.raises(PermissionDenied, match="自己提交"):
        approvals.decide(session, leader, a.id, approve=True)
    with pytest.raises(PermissionDenied):
        approvals.decide(session, office, a.id, approve=True)


def test_refusal_needs_reason_and_no_double_decision(session):
    office, leader = create_user(session, role="office"), create_user(session, role="leader")
    a = approvals.request(session, office, kind="test_kind", obj=create_department(session), title="t", reason="r",
                          payload={"x": 1})
    with pytest.raises(ValidationError, match="理由"):
        approvals.decide(session, leader, a.id, approve=False)
    approvals.decide(session, leader, a.id, approve=False, note="依据不足")
    with pytest.raises(Conflict):
        approvals.decide(session, leader, a.id, approve=True)

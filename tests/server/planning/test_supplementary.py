"""Supplementary draws (补抽, 递补): a leader's approval, one run each, and nothing overwritten."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, ValidationError
from server.models.inspections import Inspection
from server.models.planning import Draw
from server.models.registry import Recusal
from server.services.draw import checks
from server.services.kernel import approvals
from server.services.planning import supplementary
from tests.factories import submit_inspection
from tests.server import drawkit


def _drawn(session, **kw):
    kit = drawkit.setup(session, **kw)
    main = drawkit.drawn(session, kit.office, kit.task.id, "现场监督人：张三 2024-04-01")
    session.commit()  # tests roll back refused calls; the drawn task must survive that
    first = session.scalars(select(Inspection).where(Inspection.task_id == kit.task.id).order_by(Inspection.id)).first()
    return kit, main, first


def _approve(session, kit, request):
    approvals.decide(session, kit.leader, request.approval_id, approve=True, note="同意")


def test_replace_target_needs_approval_runs_once_and_overwrites_nothing(session):
    kit, main, first = _drawn(session, targets_per_level=(0, 10, 0, 0),
                              ratios={"low": "0.5", "general": "0.3", "higher": "0.5", "high": "0.5"})
    sealed = main.record_sha256
    req = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="企业已注销")
    assert req.commitment == hashlib.sha256(bytes.fromhex(req.server_seed_hex)).hexdigest()
    session.commit()
    with pytest.raises(Conflict, match="尚未获得领导批准"):
        supplementary.run_supplementary(session, kit.office, req.id, witness_entropy="", confirmed=True)
    session.rollback()
    _approve(session, kit, req)
    d = drawkit.drawn_request(session, kit.office, req.id, "监督人王五")
    assert (d.kind, d.parent_draw_id, d.reason, d.approved_by_id) == ("replace_target", main.id, "企业已注销", kit.leader.id)
    assert first.status == "withdrawn" and len(first.active_members) == 2  # kept, visible
    (new,) = d.record["selections"]
    assert new["stratum"] == "general" and new["uscc"] not in {s["uscc"] for s in main.record["selections"]}
    assert d.record["replaces"]["uscc"] == first.target_snapshot["uscc"]
    assert d.record["parent_record_sha256"] == sealed == main.record_sha256
    assert checks.verify(d.record) == []
    replacement = session.scalars(select(Inspection).where(Inspection.draw_id == d.id)).one()
    assert replacement.target_snapshot["uscc"] == new["uscc"] and len(replacement.active_members) == 2
    session.commit()
    with pytest.raises(Conflict, match="该补充抽取已完成，抽取结果已锁定，不能重复抽取"):
        supplementary.run_supplementary(session, kit.office, req.id, witness_entropy="", confirmed=True)


def test_replace_inspector_keeps_the_recused_member_inactive_and_fills_the_group(session):
    kit, main, first = _drawn(session, targets_per_level=(0, 2, 0, 0), inspectors_per_dept=5,
                              ratios={"low": "1", "general": "1", "higher": "1", "high": "1"})
    leaving = first.active_members[0]
    session.add(Recusal(inspector_id=leaving.inspector_id, target_uscc=first.target_snapshot["uscc"], reason="近亲属"))
    req = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_inspector",
                                              reason="执法人员与企业负责人系近亲属，申请回避", member_id=leaving.id)
    _approve(session, kit, req)
    d = drawkit.drawn_request(session, kit.office, req.id)
    assert not leaving.active and leaving.replaced_by_draw_id == d.id and leaving.note.startswith("执法人员与企业")
    active = first.active_members
    assert len(active) == 2 and leaving.inspector_id not in {m.inspector_id for m in active}
    added = [m for m in active if m.added_by_draw_id == d.id]
    assert len(added) == 1 and len(first.members) == 3
    assert d.record["existing_members"][0]["inspectors"][0]["cert_no"] == active[0].inspector.cert_no
    assert checks.verify(d.record) == []


def test_a_rejected_request_cannot_be_drawn_and_targeted_targets_cannot_be_replaced(session):
    kit, main, first = _drawn(session)
    req = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="迁出")
    with pytest.raises(Conflict, match="已有尚未完成的补充抽取申请"):
        supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="迁出")
    approvals.decide(session, kit.leader, req.approval_id, approve=False, note="未核实")
    session.commit()
    with pytest.raises(Conflict, match="该补充抽取申请未获批准，不能抽取"):
        supplementary.run_supplementary(session, kit.office, req.id, witness_entropy="", confirmed=True)
    session.rollback()
    kit.task.task_type = "targeted"
    with pytest.raises(ValidationError, match="靶向检查的对象由投诉举报、转办交办等来源确定，不能补抽"):
        supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="迁出")


def test_a_submitted_inspection_cannot_be_replaced_nor_drawn_for(session):
    kit, main, first = _drawn(session)
    req = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="迁出")
    _approve(session, kit, req)
    submit_inspection(session, first)  # the group finished before the supplementary draw was run
    session.commit()
    with pytest.raises(Conflict) as err:
        supplementary.run_supplementary(session, kit.office, req.id, witness_entropy="", confirmed=True)
    assert err.value.message == supplementary.NOT_REPLACEABLE_MESSAGE == "该检查已提交、已审核或已撤回，不能再补抽或递补"
    session.rollback()
    with pytest.raises(Conflict) as err:
        supplementary.request_supplementary(session, kit.office, first.id, kind="replace_inspector", reason="病假",
                                            member_id=first.active_members[0].id)
    assert err.value.message == supplementary.NOT_REPLACEABLE_MESSAGE
    assert session.scalar(select(func.count(Draw.id))) == 1


def test_replace_inspector_with_nobody_left_changes_nothing(session):
    kit, main, first = _drawn(session, targets_per_level=(0, 1, 0, 0), inspectors_per_dept=2,
                              ratios={"low": "1", "general": "1", "higher": "1", "high": "1"})
    leaving = first.active_members[0]
    req = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_inspector", reason="病假",
                                              member_id=leaving.id)
    _approve(session, kit, req)
    session.commit()
    with pytest.raises(ValidationError, match="没有可递补的执法人员：符合条件的执法人员不足 2 人（回避后仅有 1 人可派）"):
        supplementary.seal_supplementary(session, kit.office, req.id)
    session.rollback()
    assert leaving.active and req.status == "approved"
    assert session.scalar(select(func.count(Draw.id))) == 1

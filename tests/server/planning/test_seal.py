"""封存 then 抽取: the inputs are frozen and published before the witness types, and the draw runs on them only."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.inspections import Inspection
from server.models.planning import Draw, DrawSeal
from server.models.registry import Recusal
from server.services.draw import checks, records, sealing
from server.services.planning import draws, seals
from tests.factories import create_inspector, create_target, create_user
from tests.server import drawkit

FUTURE = {"period_start": dt.date(2029, 4, 1), "period_end": dt.date(2029, 10, 31)}


def test_the_seal_is_public_at_once_and_the_witness_sees_it_before_typing(client, login, session):
    kit = drawkit.setup(session, targets_per_level=(3, 3, 3, 3), **FUTURE)
    session.add(Recusal(inspector_id=kit.inspectors[0].id, target_uscc=kit.targets[0].uscc, reason="近亲属在该企业任职"))
    sealed = draws.seal_draw(session, kit.office, kit.task.id)
    session.commit()
    block = sealed.block
    assert (block["population_size"], block["inspectors_count"], block["recusals_count"]) == (12, 4, 1)
    assert block["strata"] == {"low": 3, "general": 3, "higher": 3, "high": 3}
    assert block["seal_sha256"] == sealing.seal_digest(block)
    public = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    for value in (block["seal_sha256"], block["population_hash"], block["inspectors_hash"], block["recusals_hash"]):
        assert value in public
    assert "已封存，待抽取" in public and "近亲属" not in public and kit.targets[0].uscc not in public
    login(kit.office)
    form = client.get(f"/office/tasks/{kit.task.id}/draw").get_data(as_text=True)
    assert block["seal_sha256"] in form and f'name="seal_id" value="{sealed.id}"' in form
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "draw.seal")).one()
    assert audit.detail["seal_sha256"] == block["seal_sha256"]


def test_no_draw_without_a_seal_and_nothing_changes(session):
    kit = drawkit.setup(session)
    session.commit()
    with pytest.raises(Conflict) as err:
        draws.run_draw(session, kit.office, kit.task.id, witness_entropy="张三", confirmed=True)
    assert err.value.message == seals.NO_SEAL
    session.rollback()
    assert kit.task.status == "published" and session.scalar(select(func.count(Draw.id))) == 0


def test_the_draw_runs_on_the_sealed_inputs_not_on_the_registries_as_they_are_later(session):
    kit = drawkit.setup(session, targets_per_level=(0, 4, 0, 0), inspectors_per_dept=2,
                        ratios={"low": "1", "general": "1", "higher": "1", "high": "1"})
    sealed = draws.seal_draw(session, kit.office, kit.task.id)
    late_target = create_target(session, risk_level="general")
    late_inspector = create_inspector(session, kit.depts[0])
    session.add(Recusal(inspector_id=kit.inspectors[0].id, target_uscc=kit.targets[0].uscc, reason="后补的回避"))
    session.flush()
    made = draws.run_draw(session, kit.office, kit.task.id, witness_entropy="", confirmed=True, seal_id=sealed.id)
    record = made.record
    assert late_target.uscc not in record["population_listing"] and record["population_size"] == 4
    assert late_inspector.cert_no not in {i["cert_no"] for i in record["inspectors"]}
    assert record["recusals"] == [] and len(record["assignments"]) == 4  # the recusal came after the seal
    assert record["seal"] == sealed.block and sealed.status == "used" and sealed.draw_id == made.id
    assert record["seal"]["sealed_at"] < record["drawn_at"] and checks.verify(record) == []
    assert "population_listing" not in sealed.inputs  # it lives on in the record; the nonces stay here


def test_sealing_again_supersedes_and_a_form_showing_the_old_seal_is_refused(client, session):
    kit = drawkit.setup(session, **FUTURE)
    first = draws.seal_draw(session, kit.office, kit.task.id)
    create_target(session, risk_level="high")
    second = draws.seal_draw(session, kit.office, kit.task.id)
    session.commit()
    assert (first.status, second.status) == ("superseded", "open")
    assert second.block["population_size"] == first.block["population_size"] + 1
    with pytest.raises(Conflict) as err:
        draws.run_draw(session, kit.office, kit.task.id, witness_entropy="x", confirmed=True, seal_id=first.id)
    assert err.value.message == seals.STALE_SEAL
    session.rollback()
    assert session.scalar(select(func.count(Draw.id))) == 0
    public = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert first.block["seal_sha256"] in public and second.block["seal_sha256"] in public
    assert "已被重新封存取代（未用于抽取）" in public


def test_only_office_staff_seal_and_only_a_published_task(session):
    kit = drawkit.setup(session, publish=False)
    with pytest.raises(Conflict, match="任务尚未发布（承诺值尚未公开），不能封存或抽取"):
        draws.seal_draw(session, kit.office, kit.task.id)
    with pytest.raises(PermissionDenied):
        draws.seal_draw(session, create_user(session, role="inspector"), kit.task.id)
    kit = drawkit.setup(session)
    drawkit.drawn(session, kit.office, kit.task.id)
    with pytest.raises(Conflict, match="完成抽取，抽取结果已锁定，不能重复抽取"):
        draws.seal_draw(session, kit.office, kit.task.id)
    assert session.scalar(select(func.count(DrawSeal.id))) == 1


def test_a_scope_without_targets_is_not_sealed(session):
    kit = drawkit.setup(session, targets_per_level=(0, 0, 0, 0))
    with pytest.raises(ValidationError, match="没有可抽取的检查对象，未封存"):
        draws.seal_draw(session, kit.office, kit.task.id)
    assert session.scalar(select(func.count(DrawSeal.id))) == 0


def test_a_supplementary_draw_is_sealed_too_and_its_seal_is_checked(session):
    from server.services.kernel import approvals
    from server.services.planning import supplementary
    kit = drawkit.setup(session, targets_per_level=(0, 6, 0, 0),
                        ratios={"low": "0.5", "general": "0.5", "higher": "0.5", "high": "0.5"})
    drawkit.drawn(session, kit.office, kit.task.id)
    first = session.scalars(select(Inspection).order_by(Inspection.id)).first()
    req = supplementary.request_supplementary(session, kit.office, first.id, kind="replace_target", reason="迁出")
    approvals.decide(session, kit.leader, req.approval_id, approve=True)
    with pytest.raises(Conflict, match="请先封存"):
        supplementary.run_supplementary(session, kit.office, req.id, witness_entropy="", confirmed=True)
    sealed = supplementary.seal_supplementary(session, kit.office, req.id)
    assert sealed.request_id == req.id and sealed.block["population_size"] == 3  # the 3 general targets not drawn
    made = supplementary.run_supplementary(session, kit.office, req.id, witness_entropy="", confirmed=True,
                                           seal_id=sealed.id)
    assert made.record["seal"] == sealed.block and checks.verify(made.record) == []


def test_the_public_page_checks_a_draw_against_the_seal_it_published_before_the_draw(client, session):
    kit = drawkit.setup(session, targets_per_level=(2, 2, 2, 2), reveal_seed_at_once=True, **FUTURE)
    made = drawkit.drawn(session, kit.office, kit.task.id, "公开见证")
    session.commit()
    page = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert "抽取所用的名单与封存时公开的一致，封存早于监督人输入" in page and "已用于抽取" in page
    assert f"--seal-sha256 {made.record['seal']['seal_sha256']}" in page  # the command to check it with
    record = dict(made.record)  # the stored record rewritten behind the system's back, seal and digest included
    record["seal"] = dict(record["seal"], sealed_at="2029-03-31T23:00:00.000+00:00")
    record["seal"]["seal_sha256"] = sealing.seal_digest(record["seal"])
    record["record_sha256"] = records.seal(record)
    made.record, made.record_sha256 = record, record["record_sha256"]
    session.commit()
    page = client.get(f"/public/tasks/{kit.task.code}").get_data(as_text=True)
    assert "本页按公开记录重新计算（算法 spotcheck-draw-v2），发现不一致" in page and "封存摘要与公开的不一致" in page

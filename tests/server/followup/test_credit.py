import datetime as dt

import pytest
from sqlalchemy import select

from server.errors import PermissionDenied, ValidationError
from server.models.followup import CreditRecord, RiskLevelChange
from server.services.followup import credit, review
from server.services.kernel.workdays import today
from server.services.registry import risk
from server.vocab import RiskLevel
from tests.factories import create_rating, create_submitted_inspection, create_user

YEAR = dt.timedelta(days=365)


def _approved(session, office, **kw):
    insp = create_submitted_inspection(session, result_categories=["02"], **kw)
    review.approve(session, office, insp.id)
    return insp


def _mark(session, actor, insp, severity="severe", **kw):
    fields = dict(kind="violation", severity=severity, description="未按规定维护车辆技术档案",
                  legal_basis="《道路运输车辆技术管理规定》第三十一条", effective_from=today(),
                  effective_to=today() + YEAR, publish=True)
    fields.update(kw)
    return credit.create_record(session, actor, insp.id, **fields)


def test_records_come_only_from_approved_inspections(session):
    office = create_user(session, role="office")
    insp = create_submitted_inspection(session, result_categories=["02"])
    with pytest.raises(ValidationError, match="^只能根据已审核通过的检查结果记录信用，请先完成结果审核$"):
        _mark(session, office, insp)


def test_a_severe_record_raises_the_level_warns_and_feeds_the_draw(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    assert insp.target.risk_level == "general"
    record, warning = _mark(session, office, insp)
    assert warning == "该检查对象的风险等级已由“一般”调整为“高”，下次抽取将按新等级分层抽取"
    assert insp.target.risk_level == "high"  # the draw stratifies on Target.risk_level
    [change] = session.scalars(select(RiskLevelChange)).all()
    assert (change.old_level, change.new_level, change.cause) == ("general", "high", f"信用记录 #{record.id}")


def test_repair_lowers_the_level_again_and_keeps_the_record(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    record, _ = _mark(session, office, insp, severity="serious")
    assert insp.target.risk_level == "higher"
    with pytest.raises(ValidationError, match="^请填写信用修复的理由（例如已完成整改、已履行义务）$"):
        credit.repair(session, office, record.id, " ")
    _, warning = credit.repair(session, office, record.id, "已完成整改并通过复查")
    assert warning == "该检查对象的风险等级已由“较高”调整为“一般”，下次抽取将按新等级分层抽取"
    assert record.repaired_at is not None and record.repair_reason == "已完成整改并通过复查"
    with pytest.raises(ValidationError, match="^该信用记录已修复，不能重复修复$"):
        credit.repair(session, office, record.id, "再修一次")
    assert session.get(CreditRecord, record.id) is not None


def test_a_minor_record_changes_nothing_and_gives_no_warning(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    _, warning = _mark(session, office, insp, severity="minor")
    assert warning is None and insp.target.risk_level == "general"


def test_bad_fields_are_named(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    with pytest.raises(ValidationError, match="^信用记录填写有误：有效期止不能早于有效期起$"):
        _mark(session, office, insp, effective_to=today() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="请选择严重程度：轻微、一般、较重、严重"):
        _mark(session, office, insp, severity="huge")
    with pytest.raises(ValidationError, match="^有效期起格式有误"):
        _mark(session, office, insp, effective_from="2024/1/1")


def test_an_expired_record_stops_counting_when_levels_are_recomputed(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    _mark(session, office, insp, effective_to=today() + dt.timedelta(days=10))
    changed = credit.refresh_all(session, office, today() + dt.timedelta(days=11))
    assert [(t.id, old, new) for t, old, new in changed] == [(insp.target_id, "high", "general")]


def test_ratings_still_count_beside_records(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    create_rating(session, insp.target, source="transport", level="D", effective_from=today() - YEAR)
    _mark(session, office, insp, severity="general")
    assert insp.target.risk_level == "high"


def test_three_general_records_make_a_target_higher_risk():
    day = dt.date(2024, 6, 1)
    rec = lambda sev: CreditRecord(severity=sev, effective_from=dt.date(2024, 1, 1),  # noqa: E731
                                   effective_to=dt.date(2024, 12, 31))
    assert risk.credit_floor([rec("general"), rec("general")], day) is RiskLevel.GENERAL
    assert risk.credit_floor([rec("general")] * 3, day) is RiskLevel.HIGHER
    assert risk.credit_floor([rec("minor")] * 3, day) is None
    repaired = rec("severe")
    repaired.repaired_at = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    assert risk.credit_floor([repaired], day) is None


def test_inspector_cannot_mark_credit(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    with pytest.raises(PermissionDenied):
        _mark(session, create_user(session, role="inspector"), insp)


def test_public_list_has_only_flagged_records_in_effect(session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    shown, _ = _mark(session, office, insp, severity="minor")
    _mark(session, office, insp, severity="minor", publish=False)
    repaired, _ = _mark(session, office, insp, severity="minor")
    credit.repair(session, office, repaired.id, "已整改")
    assert [r.id for r in credit.published_records(session, [insp.target_id])[insp.target_id]] == [shown.id]


def test_refresh_risk_command_lowers_levels_of_expired_records(app, session):
    office = create_user(session, role="office")
    insp = _approved(session, office)
    record, _ = _mark(session, office, insp)
    record.effective_to = today() - dt.timedelta(days=1)  # time has passed
    session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["refresh-risk", "--dry-run"])
    assert "高 → 一般" in dry.output and "未保存" in dry.output
    assert session.get(type(insp.target), insp.target_id).risk_level == "high"
    result = runner.invoke(args=["refresh-risk"])
    assert result.exit_code == 0 and "已重算风险等级：1 个检查对象发生变化" in result.output
    session.expire_all()
    assert session.get(type(insp.target), insp.target_id).risk_level == "general"

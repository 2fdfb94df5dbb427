"""The draw (DESIGN §5): the pure algorithm against an independent re-implementation, and the service."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.errors import Conflict, ValidationError
from server.models.audit import AuditEntry
from server.models.inspections import Inspection
from server.models.planning import Draw
from server.models.registry import Recusal
from server.services.draw import checks, records, v1 as draw_v1
from server.services.planning import draws, tasks
from tests.factories import create_inspection, create_target
from tests.server import drawkit

SEED = bytes(range(32))


# --- an independent reference implementation, written from DESIGN §5 with the hmac module ------------------

def ref_seed(server_seed: bytes, witness: str) -> bytes:
    return hashlib.sha256(server_seed + unicodedata.normalize("NFC", witness).encode()).digest()


def ref_select(seed: bytes, pairs, ratios: dict) -> list[tuple[str, str, str]]:
    chosen = []
    for stratum in ("low", "general", "higher", "high"):
        members = [u for u, k in pairs if k == stratum]
        n = math.ceil(Decimal(len(members)) * Decimal(ratios.get(stratum, "0")))
        scored = sorted((hmac.new(seed, f"target|{u}".encode(), hashlib.sha256).hexdigest(), u) for u in members)
        chosen += [(u, stratum, score) for score, u in scored[:n]]
    return sorted(chosen, key=lambda s: (s[2], s[0]))


def usccs(n: int, start: int = 0) -> list[str]:
    return [f"91140522{i:09d}X" for i in range(start, start + n)]


# --- seeds, listing, ratios ----------------------------------------------------------------------------------

@given(key=st.binary(min_size=0, max_size=100), msg=st.binary(max_size=200))
def test_hmac_matches_the_standard_library(key, msg):
    assert draw_v1.HmacSha256(key).digest(msg) == hmac.new(key, msg, hashlib.sha256).digest()


def test_listing_is_sorted_tab_separated_lines_and_hash_is_its_sha256():
    listing = draw_v1.canonical_listing([("91B", "high"), ("91A", "low")])
    assert listing == "91A\tlow\n91B\thigh\n"
    assert draw_v1.population_hash(listing) == hashlib.sha256(b"91A\tlow\n91B\thigh\n").hexdigest()
    assert draw_v1.parse_listing(listing) == [("91A", "low"), ("91B", "high")]


def test_listing_refuses_a_repeated_uscc_and_names_a_bad_line():
    with pytest.raises(draw_v1.DrawInputError, match="91A 重复"):
        draw_v1.canonical_listing([("91A", "low"), ("91A", "high")])
    with pytest.raises(draw_v1.DrawInputError, match="第 2 行的风险等级“medium”无效"):
        draw_v1.parse_listing("91A\tlow\n91B\tmedium\n")
    with pytest.raises(draw_v1.DrawInputError, match="第 2 行未按统一社会信用代码升序排列"):
        draw_v1.parse_listing("91B\tlow\n91A\tlow\n")


def test_witness_entropy_is_nfc_normalized_before_hashing():
    composed, decomposed = "监督人 Zoë", "监督人 Zoe\u0308"
    assert draw_v1.draw_seed(SEED, composed) == draw_v1.draw_seed(SEED, decomposed) == ref_seed(SEED, composed)
    assert draw_v1.commitment(SEED) == hashlib.sha256(SEED).hexdigest()


def test_stratum_counts_use_exact_decimals():
    assert draw_v1.stratum_count(100, Decimal("0.07")) == 7
    assert draw_v1.counts_from_ratios({"low": 100}, {"low": "0.07"})["low"] == 7
    assert draw_v1.stratum_count(5, Decimal("0.0001")) == 1  # n_k ≥ 1 when r_k > 0 and N_k > 0
    assert draw_v1.stratum_count(5, Decimal("0")) == 0
    assert draw_v1.stratum_count(0, Decimal("0.5")) == 0
    assert draw_v1.stratum_count(7, Decimal("1")) == 7


@pytest.mark.parametrize("value, message", [
    ("1.5", "超出范围"), ("-0.01", "超出范围"), ("abc", "不是有效的数字"), ("NaN", "超出范围"),
    ("0.00001", "最多保留 4 位小数"),
])
def test_bad_ratios_are_refused(value, message):
    with pytest.raises(draw_v1.DrawInputError, match=message):
        draw_v1.parse_ratio(value)


def test_ratio_with_trailing_zeros_is_fine():
    assert draw_v1.parse_ratio("0.030000") == Decimal("0.03")


# --- target selection --------------------------------------------------------------------------------------

strata_st = st.lists(st.sampled_from(draw_v1.STRATA), min_size=0, max_size=60)
ratio_st = st.decimals(min_value=0, max_value=1, places=4)


@settings(max_examples=60, deadline=None)
@given(levels=strata_st, ratios=st.fixed_dictionaries({k: ratio_st for k in draw_v1.STRATA}),
       witness=st.text(max_size=20))
def test_selection_matches_the_reference_and_takes_n_k_per_stratum(levels, ratios, witness):
    pairs = list(zip(usccs(len(levels)), levels))
    seed = draw_v1.draw_seed(SEED, witness)
    counts = draw_v1.counts_from_ratios(draw_v1.stratum_sizes(pairs), {k: str(v) for k, v in ratios.items()})
    got = draw_v1.select_targets(seed, pairs, counts)
    assert got == ref_select(seed, pairs, {k: str(v) for k, v in ratios.items()})
    for stratum in draw_v1.STRATA:
        size = sum(1 for _, k in pairs if k == stratum)
        expected = math.ceil(Decimal(size) * ratios[stratum])
        assert sum(1 for s in got if s[1] == stratum) == expected


def test_same_inputs_give_the_same_draw_and_another_witness_another_one():
    pairs = list(zip(usccs(200), draw_v1.STRATA * 50))
    counts = {k: 5 for k in draw_v1.STRATA}
    a = draw_v1.select_targets(draw_v1.draw_seed(SEED, "甲"), pairs, counts)
    b = draw_v1.select_targets(draw_v1.draw_seed(SEED, "甲"), list(reversed(pairs)), counts)
    c = draw_v1.select_targets(draw_v1.draw_seed(SEED, "乙"), pairs, counts)
    assert a == b and len(a) == 20
    assert a != c


def test_walk_order_is_ascending_score_across_strata():
    pairs = list(zip(usccs(40), draw_v1.STRATA * 10))
    got = draw_v1.select_targets(draw_v1.draw_seed(SEED, ""), pairs, {k: 3 for k in draw_v1.STRATA})
    assert [s[2] for s in got] == sorted(s[2] for s in got)


def test_selection_is_uniform_over_many_seeded_draws():
    """Chi-square: 3,000 draws of 1 target out of 10 must hit each about 300 times."""
    population = list(zip(usccs(10), ["general"] * 10))
    hits = dict.fromkeys((u for u, _ in population), 0)
    for i in range(3000):
        seed = draw_v1.draw_seed(hashlib.sha256(f"seed-{i}".encode()).digest(), "")
        (chosen,) = draw_v1.select_targets(seed, population, {"general": 1})
        hits[chosen[0]] += 1
    expected = 3000 / 10
    chi2 = sum((h - expected) ** 2 / expected for h in hits.values())
    assert chi2 < 27.88, hits  # 9 degrees of freedom, p = 0.001


# --- the service ---------------------------------------------------------------------------------------------

def _run(session, kit, entropy="现场监督人：张三 2024-04-01"):
    return drawkit.drawn(session, kit.office, kit.task.id, entropy)


def test_draw_creates_one_inspection_per_selected_target_with_its_group(session):
    kit = drawkit.setup(session, targets_per_level=(40, 20, 10, 4))
    d = _run(session, kit)
    record = d.record
    # ceil(40×3%)=2, ceil(20×5%)=1, ceil(10×20%)=2, ceil(4×50%)=2
    assert [s["selected"] for s in record["strata"]] == [2, 1, 2, 2]
    inspections = session.scalars(select(Inspection).where(Inspection.task_id == kit.task.id)).all()
    assert len(inspections) == 7 and kit.task.status == "drawn"
    by_uscc = {i.target_snapshot["uscc"]: i for i in inspections}
    assert set(by_uscc) == {s["uscc"] for s in record["selections"]}
    one = by_uscc[record["assignments"][0]["uscc"]]
    assert len(one.active_members) == 2 and one.due_date == kit.task.period_end and one.draw_id == d.id
    assert one.checklist_snapshot[0]["checkpoints"][0]["text"] == "是否取得经营许可"
    assert {"name", "address", "legal_rep", "contact_phone", "latitude"} <= set(one.target_snapshot)
    assert checks.verify(record) == []
    assert record["record_sha256"] == d.record_sha256 == records.seal(record)
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "draw.run")) == 1


def test_a_7_percent_ratio_over_100_targets_draws_exactly_7(session):
    """100 × 0.07 in binary floating point is 7.000000000000001, which would round up to 8 targets."""
    kit = drawkit.setup(session, targets_per_level=(100, 0, 0, 0), inspectors_per_dept=2,
                        ratios={"low": "0.07", "general": "0.05", "higher": "0.2", "high": "0.5"})
    assert tasks.preview(session, kit.task)["strata"][0]["selected"] == 7
    d = _run(session, kit)
    assert [s["selected"] for s in d.record["strata"]] == [7, 0, 0, 0] and len(d.record["selections"]) == 7
    assert session.scalar(select(func.count(Inspection.id)).where(Inspection.task_id == kit.task.id)) == 7


def test_a_second_draw_is_refused_and_changes_nothing(session):
    kit = drawkit.setup(session)
    _run(session, kit)
    session.commit()
    with pytest.raises(Conflict, match="完成抽取，抽取结果已锁定，不能重复抽取"):
        _run(session, kit, entropy="另一个字符串")
    session.rollback()
    assert session.scalar(select(func.count(Draw.id))) == 1
    assert session.scalar(select(func.count(Inspection.id))) == len(
        session.scalars(select(Draw)).one().record["assignments"])


def test_draft_task_cannot_be_drawn_and_the_witness_must_confirm(session):
    kit = drawkit.setup(session, publish=False)
    with pytest.raises(Conflict, match="任务尚未发布"):
        _run(session, kit)
    session.rollback()
    kit = drawkit.setup(session)
    with pytest.raises(ValidationError, match="请勾选确认：监督人在场"):
        draws.run_draw(session, kit.office, kit.task.id, witness_entropy="x", confirmed=False)


def test_inspectors_cannot_run_a_draw(session):
    from server.errors import PermissionDenied
    from tests.factories import create_user
    kit = drawkit.setup(session)
    with pytest.raises(PermissionDenied):
        draws.run_draw(session, create_user(session, role="inspector"), kit.task.id, witness_entropy="", confirmed=True)


def test_recently_inspected_targets_are_left_out_unless_high_risk(session):
    kit = drawkit.setup(session, targets_per_level=(0, 3, 0, 2), publish=False)
    general = [t for t in kit.targets if t.risk_level == "general"]
    high = [t for t in kit.targets if t.risk_level == "high"]
    create_inspection(session, target=general[0])
    create_inspection(session, target=high[0])
    pairs, excluded = tasks.population(session, kit.task)
    assert excluded == 1
    assert {u for u, _ in pairs} == {t.uscc for t in general[1:] + high}


def test_directed_task_draws_only_from_its_filtered_population(session):
    kit = drawkit.setup(session, targets_per_level=(0, 0, 0, 0), publish=False)
    inside = [create_target(session, region="北留镇", risk_level="general") for _ in range(3)]
    create_target(session, region="凤城镇", risk_level="general")
    from server.services.planning import tasks as task_service
    task = task_service.create_task(session, kit.office, kit.plan.id, drawkit.task_data(
        [kit.item], kit.depts, task_type="directed", scope={"regions": ["北留镇"]},
        ratios={"low": "1", "general": "1", "higher": "1", "high": "1"}))
    task_service.publish_task(session, kit.office, task.id)
    d = drawkit.drawn(session, kit.office, task.id, "")
    assert {s["uscc"] for s in d.record["selections"]} == {t.uscc for t in inside}


def test_targeted_task_selects_exactly_its_named_targets_and_still_draws_inspectors(session):
    kit = drawkit.setup(session, targets_per_level=(0, 5, 0, 0), publish=False)
    chosen = kit.targets[:2]
    task = tasks.create_task(session, kit.office, kit.plan.id, drawkit.task_data(
        [kit.item], kit.depts, task_type="targeted", targeted_reason="群众投诉超限运输",
        targeted_source_doc="阳交投〔2024〕12号", target_usccs=[t.uscc.lower() for t in chosen]))
    tasks.publish_task(session, kit.office, task.id)
    d = drawkit.drawn(session, kit.office, task.id, "")
    assert d.kind == "targeted" and d.record["selection_rule"] == "all"
    assert {s["uscc"] for s in d.record["selections"]} == {t.uscc for t in chosen}
    assert len(d.record["assignments"]) == 2 and checks.verify(d.record) == []


def test_a_target_nobody_can_inspect_is_reported_and_gets_no_inspection(session):
    kit = drawkit.setup(session, targets_per_level=(0, 1, 0, 0), inspectors_per_dept=2,
                        ratios={"low": "1", "general": "1", "higher": "1", "high": "1"})
    target = kit.targets[0]
    session.add(Recusal(inspector_id=kit.inspectors[0].id, target_uscc=target.uscc, reason="近亲属"))
    session.flush()
    d = _run(session, kit)
    assert d.record["assignments"] == []
    assert d.record["unstaffed"] == [{"uscc": target.uscc, "reason": "符合条件的执法人员不足 2 人（回避后仅有 1 人可派）"}]
    assert session.scalar(select(func.count(Inspection.id))) == 0


def test_seed_is_revealed_after_the_period_or_at_once_if_the_task_says_so(session):
    kit = drawkit.setup(session)
    _run(session, kit)
    assert not tasks.seed_revealed(kit.task, kit.task.period_end)
    assert tasks.seed_revealed(kit.task, kit.task.period_end + dt.timedelta(days=1))
    kit.task.reveal_seed_at_once = True
    assert tasks.seed_revealed(kit.task, kit.task.period_start)
    record = draws.main_draw(session, kit.task).record
    hidden = records.public_view(record, revealed=False)
    assert "server_seed" not in hidden and "selections" not in hidden and "population_listing" not in hidden
    assert hidden["commitment"] == kit.task.commitment and hidden["record_sha256"] == record["record_sha256"]


def test_a_target_with_an_unknown_risk_level_stops_the_draw_and_nothing_is_kept(session):
    kit = drawkit.setup(session, targets_per_level=(0, 2, 0, 0))
    kit.targets[0].risk_level = "medium"
    session.commit()
    with pytest.raises(ValidationError, match=f"无法抽取：检查对象 {kit.targets[0].uscc} 的风险等级“medium”无效"):
        _run(session, kit)
    session.rollback()
    assert kit.task.status == "published" and session.scalar(select(func.count(Draw.id))) == 0

"""Quality flags (走过场 / 纸上填报 signals) computed on submit: for each, the smallest inspection that trips it
and one that does not; then how the reviewer sees and acknowledges them, and the 督查 board's list."""
from __future__ import annotations

import pytest

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.accounts import User
from server.models.audit import AuditEntry
from server.models.inspections import Inspection
from server.models.quality import QualityFlag
from server.models.registry import Inspector, Target
from server.services.fieldwork import quality_flags
from server.services.followup import review
from tests import factories
from tests.server.fieldwork.conftest import photo_jpeg, sha, signature_png
from tests.sync.harness import uid

DAY = "2024-05-06"
NEAR = (35.4862, 112.4153)  # the target's registered coordinates in these tests
FAR = (35.4962, 112.4153)  # about 1.1 km north of it


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00+08:00"


def visit(wang, insp: int = 1, *, start="09:00", end="09:30", photos=(("09:10", NEAR, 0),), answers=None,
          upload=True) -> dict:
    """One complete inspection by 王建国's phone, stamped with the phone's times: started at `start`, submitted
    at `end`, with `photos` as (taken at, (lat, lon) or None, clock offset ms). Returns the submit's result."""
    session = wang.session
    cps = [cp["id"] for it in session.get(Inspection, insp).checklist_snapshot for cp in it["checkpoints"]]
    answers = answers or {cp: "compliant" for cp in cps}
    sig, pic = signature_png(3), photo_jpeg(seed=insp)
    if upload:
        wang.put(sig, "signature"), wang.put(pic, "photo")

    def m(mutation, when, **args):
        entry = wang.m(mutation, inspection_id=insp, **args)
        entry["created_at"] = at(when)
        return entry

    muts = [m("inspection.start", start, started_at=at(start))]
    muts += [m("checkpoint.record", start, id=uid(), checkpoint_id=cp, answer=a, note="", base=[])
             for cp, a in answers.items()]
    for taken, where, offset in photos:
        lat, lon = where or (None, None)
        muts.append(m("photo.attach", taken, id=uid(), sha256=sha(pic), finding_id=None, checkpoint_id=None,
                      caption="现场", taken_at=at(taken), latitude=lat, longitude=lon, accuracy_m=5.0 if where else None,
                      width=800, height=600, bytes=len(pic), clock_offset_ms=offset))
    muts.append(m("party.record", end, id=uid(), name="赵志强", position="经理", phone=""))
    members = session.get(Inspection, insp).active_members
    for role, name, who in [("inspector", mm.inspector.name, mm.inspector_id) for mm in members] + [
            ("party", "赵志强", None)]:
        muts.append(m("signature.add", end, id=uid(), sha256=sha(sig), signer_role=role, signer_name=name,
                      inspector_id=who, signed_at=at(end), digest=None))
    muts.append(m("inspection.submit", end, result_categories=["01"], methods=["on_site"], follow_ups=["none"],
                  summary=""))
    return wang.push(*muts)[-1]


def kinds(session, insp: int = 1) -> list[str]:
    session.expire_all()
    return [f.kind for f in session.query(QualityFlag).filter_by(inspection_id=insp).order_by(QualityFlag.id)]


@pytest.fixture
def located(wang, session):
    """Inspection 1's target has registered coordinates."""
    wang.session = session
    target = session.get(Inspection, 1).target
    target.latitude, target.longitude = NEAR
    session.commit()
    return wang


def more_inspections(session, n: int) -> list[int]:
    """`n` further inspections of the same task for the same group (王建国 + 李明), at other targets."""
    first = session.get(Inspection, 1)
    group = [session.get(Inspector, m.inspector_id) for m in first.active_members]
    ids = []
    for k in range(n):
        target = factories.create_target(session, name=f"阳城县同日运输有限公司{k}", latitude=NEAR[0], longitude=NEAR[1])
        ids.append(factories.create_inspection(session, task=first.task, target=target, inspectors=group).id)
    session.commit()
    return ids


def test_a_careful_visit_raises_no_flag(located, session):
    assert visit(located)["status"] == "applied"
    assert session.get(Inspection, 1).status == "submitted" and kinds(session) == []


def test_a_visit_shorter_than_a_minute_per_checkpoint_is_flagged(located, session):
    visit(located, start="05:07", end="05:07", photos=(("05:07", NEAR, 0),))  # 2 checkpoints in 0 minutes
    [flag] = session.query(QualityFlag).all()
    assert flag.kind == "short_visit" and "05时07分 至 05时07分" in flag.reason and "不少于 2 分钟" in flag.reason


def test_two_minutes_for_two_checkpoints_is_enough(located, session):
    visit(located, start="09:00", end="09:02", photos=(("09:01", NEAR, 0),))
    assert kinds(session) == []


def test_a_photo_far_from_the_target_is_flagged(located, session):
    visit(located, photos=(("09:10", NEAR, 0), ("09:12", FAR, 0)))
    [flag] = session.query(QualityFlag).all()
    assert flag.kind == "photo_far" and "超过 500 米" in flag.reason and "约 1112 米" in flag.reason


def test_photos_without_gps_are_flagged_and_so_is_no_photo_at_all(located, session):
    visit(located, photos=(("09:10", None, 0),))
    assert kinds(session) == ["photo_no_gps"]
    other = more_inspections(session, 1)[0]
    visit(located, other, start="10:00", end="10:30", photos=())
    assert kinds(session, other) == ["photo_no_gps"]
    assert "没有现场照片" in session.query(QualityFlag).filter_by(inspection_id=other).one().reason


def test_a_target_without_coordinates_gets_only_the_no_gps_flag(wang, session):
    wang.session = session
    visit(wang, photos=(("09:10", FAR, 0),))  # far from nowhere: nothing to compare with
    assert kinds(session) == []


def test_a_photo_taken_outside_the_visit_is_flagged(located, session):
    visit(located, photos=(("09:10", NEAR, 0), ("08:00", NEAR, 0)))
    [flag] = session.query(QualityFlag).all()
    assert flag.kind == "photo_time" and "2024-05-06 08:00" in flag.reason


def test_a_photo_a_few_minutes_outside_is_within_the_tolerance(located, session):
    visit(located, photos=(("08:55", NEAR, 0),))
    assert kinds(session) == []


def test_a_phone_clock_far_from_the_server_is_flagged(located, session):
    visit(located, photos=(("09:10", NEAR, 20 * 60_000),))
    [flag] = session.query(QualityFlag).all()
    assert flag.kind == "clock_skew" and "约 20 分钟" in flag.reason


def test_a_few_minutes_of_clock_difference_are_not(located, session):
    visit(located, photos=(("09:10", NEAR, 5 * 60_000),))
    assert kinds(session) == []


def test_the_same_answers_at_three_targets_in_one_day_are_flagged(located, session):
    second, third = more_inspections(session, 2)
    visit(located, 1, start="08:00", end="08:30", photos=(("08:10", NEAR, 0),))
    visit(located, second, start="09:00", end="09:30", photos=(("09:10", NEAR, 0),))
    assert kinds(session, second) == []  # two alike are not yet a pattern
    visit(located, third, start="10:00", end="10:30", photos=(("10:10", NEAR, 0),))
    [flag] = session.query(QualityFlag).filter_by(inspection_id=third).all()
    assert flag.kind == "same_answers" and "3 家" in flag.reason and flag.detail["inspections"] == [1, second]


def test_different_answers_at_three_targets_are_not(located, session):
    second, third = more_inspections(session, 2)
    visit(located, 1, start="08:00", end="08:30", photos=(("08:10", NEAR, 0),))
    visit(located, second, start="09:00", end="09:30", photos=(("09:10", NEAR, 0),))
    cps = [cp["id"] for it in session.get(Inspection, third).checklist_snapshot for cp in it["checkpoints"]]
    visit(located, third, start="10:00", end="10:30", photos=(("10:10", NEAR, 0),),
          answers={cps[0]: "compliant", cps[1]: "na"})
    assert kinds(session, third) == []


def test_two_inspections_of_one_group_at_the_same_time_are_flagged(located, session):
    [second] = more_inspections(session, 1)
    visit(located, 1, start="09:00", end="09:30")
    visit(located, second, start="09:10", end="09:40", photos=(("09:20", NEAR, 0),))
    [flag] = session.query(QualityFlag).filter_by(inspection_id=second).all()
    assert flag.kind == "overlap" and "同一组人员不能同时在两处现场" in flag.reason


def test_one_after_the_other_is_not(located, session):
    [second] = more_inspections(session, 1)
    visit(located, 1, start="09:00", end="09:30")
    visit(located, second, start="09:40", end="10:10", photos=(("09:50", NEAR, 0),))
    assert kinds(session, second) == []


def test_flags_can_be_switched_off(app, located, session):
    from server.services.fieldwork import quality
    quality.configure({**app.config, "QUALITY_FLAGS_ENABLED": False})
    try:
        visit(located, start="05:07", end="05:07", photos=())
    finally:
        quality.configure(app.config)
    assert kinds(session) == []


# ---- the reviewer ---------------------------------------------------------------------------------------

def test_the_reviewer_sees_badges_and_reasons_and_acknowledges_each_flag_before_approving(located, session, login):
    visit(located, start="05:07", end="05:07", photos=(("05:07", None, 0),))
    office = factories.create_user(session, role="office")
    session.commit()
    c = login(office)
    queue = c.get("/office/review").get_data(as_text=True)
    assert "检查用时过短" in queue and "照片没有定位" in queue and "2 项质量提示待确认" in queue
    page = c.get("/office/review/1").get_data(as_text=True)
    assert "质量提示（2 项，2 项待确认）" in page and "05时07分 至 05时07分" in page and "确认此提示" in page
    record = c.get("/office/inspections/1").get_data(as_text=True)  # where the 督查 board's rows lead: read-only
    assert "质量提示（2 项，2 项待确认）" in record and "05时07分 至 05时07分" in record and "确认此提示" not in record
    with pytest.raises(Conflict, match="有 2 个质量提示尚未确认（检查用时过短、照片没有定位）") as err:
        review.approve(session, office, 1, version=1)
    assert err.value.code == "quality_flags_open"
    session.rollback()
    flags = session.query(QualityFlag).order_by(QualityFlag.id).all()
    resp = c.post(f"/office/review/1/flags/{flags[0].id}/acknowledge", data={"note": " "}, follow_redirects=True)
    assert "请填写确认意见" in resp.get_data(as_text=True)
    for f in flags:
        resp = c.post(f"/office/review/1/flags/{f.id}/acknowledge", data={"note": "已电话核实，检查组确在现场"},
                      follow_redirects=True)
        assert "已记录对该质量提示的确认意见" in resp.get_data(as_text=True)
    session.expire_all()
    assert all(f.acknowledged_by_id == office.id for f in session.query(QualityFlag))
    entries = session.query(AuditEntry).filter_by(action="inspection.flag_acknowledged").all()
    assert len(entries) == 2 and entries[0].reason == "已电话核实，检查组确在现场"
    assert "已确认" in c.get("/office/review/1").get_data(as_text=True)
    assert "质量提示（2 项，0 项待确认）" in c.get("/office/inspections/1").get_data(as_text=True)
    review.approve(session, office, 1, version=1)
    session.commit()
    assert session.get(Inspection, 1).status == "approved"


def test_an_inspector_cannot_acknowledge_and_a_resubmission_is_flagged_afresh(located, session):
    visit(located, start="05:07", end="05:07", photos=(("05:07", NEAR, 0),))
    [flag] = session.query(QualityFlag).all()
    with pytest.raises(PermissionDenied):  # the group's own inspectors do not acknowledge their flags
        review.acknowledge_flag(session, session.query(User).filter_by(username="wangjg").one(), 1, flag.id,
                                note="我自己看过了")
    office = factories.create_user(session, role="office")
    review.return_for_fix(session, office, 1, note="请核实检查时间", version=1)
    session.commit()
    with pytest.raises(Conflict):
        review.acknowledge_flag(session, office, 1, flag.id, note="已核实")
    session.rollback()
    visit(located, start="05:07", end="05:08", photos=(("05:08", NEAR, 0),))  # still too short, as version 2
    session.expire_all()
    assert [(f.kind, f.inspection_version) for f in session.query(QualityFlag).order_by(QualityFlag.id)] == [
        ("short_visit", 1), ("short_visit", 2)]
    with pytest.raises(ValidationError, match="请填写确认意见"):
        review.acknowledge_flag(session, office, 1, session.query(QualityFlag).all()[-1].id, note="")


def test_open_flags_for_the_oversight_board(located, session):
    visit(located, start="05:07", end="05:07", photos=(("05:07", NEAR, 0),))
    target = session.get(Target, session.get(Inspection, 1).target_id)
    leader = factories.create_user(session, role="leader")
    session.commit()
    [row] = quality_flags.open_flags(session, user=leader)
    assert (row["kind"], row["label"], row["inspection_id"], row["target_name"]) == (
        "short_visit", "检查用时过短", 1, target.name)
    assert row["task_code"] == "T2024001" and row["inspectors"] == ["王建国", "李明"]
    assert row["departments"] == ["执法一中队"]
    assert quality_flags.open_flags(session, user=leader, inspector_id=row["inspector_ids"][0]) == [row]
    assert quality_flags.open_flags(session, user=leader, department_id=row["department_ids"][0] + 99) == []
    assert quality_flags.open_flags(session, user=leader, kind="overlap") == []
    office = factories.create_user(session, role="office")
    review.acknowledge_flag(session, office, 1, row["flag_id"], note="已核实")
    assert quality_flags.open_flags(session, user=leader) == [] and quality_flags.open_count(session) == 0
    with pytest.raises(PermissionDenied):  # an inspector does not read the board
        quality_flags.open_flags(session, user=session.query(User).filter_by(username="wangjg").one())


def test_a_desk_check_submitted_at_once_raises_no_visit_flag(session):
    from server.services.fieldwork import desk_checks
    insp = factories.create_inspection(session, mode="document")
    user = factories.create_user(session, role="inspector", inspector_id=insp.members[0].inspector_id)
    cps = [cp["id"] for item in insp.checklist_snapshot for cp in item["checkpoints"]]
    desk_checks.save_answers(session, user, insp.id, {cp: ("compliant", "") for cp in cps})
    desk_checks.submit(session, user, insp.id, result_categories=["01"], methods=["document"], follow_ups=["none"],
                       summary="台账齐全")  # no party, no signatures, no photo, within a second: all as it should be
    session.commit()
    assert session.get(Inspection, insp.id).status == "submitted" and kinds(session, insp.id) == []

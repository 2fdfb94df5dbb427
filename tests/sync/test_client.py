"""The reference client against the real server (Flask test client): journey, faults, revoked tokens."""
from __future__ import annotations

import random

import pytest

from server.models.accounts import ApiToken
from server.models.fieldwork import CheckpointAnswer
from server.models.inspections import Inspection
from server.models.sync import MutationLog
from server.services.accounts import tokens
from server.services.fieldwork import receipts
from sync.client import AuthRequired, SyncClient
from tests import factories
from tests.sync.scenario import one_inspection
from tests.sync.transports import FaultyTransport, FlaskTransport, jpeg, png_signature


@pytest.fixture
def phone(client, session, tmp_path):
    one_inspection(session)
    made = []

    def make(username="wangjg", faults=(), name="phone"):
        transport = FaultyTransport(FlaskTransport(client), faults)
        c = SyncClient(transport, str(tmp_path / f"{name}.sqlite"), sleep=lambda s: None, rng=random.Random(7))
        c.login(username, "password123", f"{username} 的手机")
        made.append(c)
        return c
    yield make
    for c in made:
        c.store.close()


def record_everything(c: SyncClient, insp: int = 1) -> None:
    bundle = c.pull()[insp]
    c.start(insp)
    for item in bundle["checklist"]:
        for cp in item["checkpoints"]:
            c.answer(insp, cp["id"], "compliant" if cp["seq"] == 1 else "noncompliant", note="现场核查")
    fid = c.add_finding(insp, "车辆技术档案不全", checkpoint_id=2, legal_basis="《道路运输车辆技术管理规定》",
                        rectification="限期补齐", rectify_by="2024-06-30")
    for n in range(3):
        c.attach_photo(insp, jpeg(n), width=64, height=48, caption=f"照片{n}", finding_id=fid, latitude=35.5,
                       longitude=112.4, accuracy_m=6.0)
    c.record_party(insp, "赵志强", position="安全主管", phone="13903560000")
    c.sign(insp, png_signature(1), role="party", name="赵志强")
    for m in bundle["members"]:  # both inspectors sign (one phone per group)
        c.sign(insp, png_signature(2), role="inspector", name=m["name"], inspector_id=m["inspector_id"])
    c.submit(insp, result_categories=["02"], methods=["on_site"], follow_ups=["rectify"], summary="已责令改正")


def test_a_whole_inspection_syncs_and_the_receipt_proves_it(phone, session, app):
    c = phone()
    record_everything(c)
    report = c.sync()
    assert report.media_uploaded == 5 and report.rejected == [] and report.applied == c.store.get("next_id") - 1
    receipt, problems = c.receipt(1)
    assert problems == [] and receipt["complete"] and receipt["status"] == "submitted"
    assert receipts.verify(receipt, app.config["SECRET_KEY"])
    calls = c.transport.inner.calls
    assert calls.index(("POST", "/api/v1/sync/push")) > max(i for i, call in enumerate(calls) if call[0] == "PUT")


def test_a_lost_answer_after_commit_is_retried_without_duplicates(phone, session):
    c = phone()
    c.pull()
    for cp in (1, 2):
        c.answer(1, cp, "compliant")
    c.add_finding(1, "消防器材过期", checkpoint_id=1)
    # The push commits but its answer is lost, then a proxy error page, then no connection at all.
    c.transport.faults = ["drop_response", "html_502", "drop_request"]
    report = c.sync()
    assert (report.applied, report.duplicates, report.rejected) == (0, 3, [])
    assert session.query(CheckpointAnswer).count() == 2 and c.store.pending_count() == 0
    receipt, problems = c.receipt(1)
    assert problems == [] and receipt["counts"] == {"answers": 2, "findings": 1, "photos": 0, "signatures": 0,
                                                    "party": 0, "late": 0}
    assert len(c.delays) == 3 and len(set(c.delays)) == 3 and all(0 <= d <= 2 ** k for k, d in enumerate(c.delays))


def test_a_revoked_token_keeps_the_queue_until_the_next_login(phone, session):
    c = phone()
    record_everything(c)
    admin = factories.create_user(session, role="admin")
    token = session.query(ApiToken).filter_by(device_name="wangjg 的手机").one()
    tokens.revoke_token(session, admin, token.id, reason="手机遗失")
    session.commit()
    queued = c.store.pending_count()
    with pytest.raises(AuthRequired, match="重新登录"):
        c.sync()
    assert c.store.pending_count() == queued and session.query(CheckpointAnswer).count() == 0
    client_id = c.client_id
    c.login("wangjg", "password123", "wangjg 的手机")
    assert c.client_id == client_id
    c.sync()
    assert c.receipt(1)[1] == [] and session.get(Inspection, 1).status == "submitted"


def test_two_members_see_each_others_work_and_conflicts(phone, session):
    a, b = phone("wangjg", name="a"), phone("lim", name="b")
    a.pull(), b.pull()
    a.answer(1, 1, "compliant")
    b.answer(1, 1, "noncompliant", note="许可证已过期")
    a.sync(), b.sync()
    bundle = a.pull()[1]
    reg = bundle["record"]["registers"][0]
    assert bundle["has_conflicts"] and reg["conflict"] and len(reg["heads"]) == 2
    a.answer(1, 1, "noncompliant", note="复核：许可证已过期")  # a saw both heads: this resolves it
    a.sync()
    assert not b.pull()[1]["has_conflicts"]


def test_a_server_restored_from_a_backup_gets_the_journal_again(phone, session):
    from server.models.sync import MutationLog, SyncClient as ClientRow
    c = phone()
    c.pull()
    for cp in (1, 2):
        c.answer(1, cp, "compliant", note="现场核查")
    c.sync()
    # The server goes back to a backup taken before that push: the answers and the position are gone.
    session.query(CheckpointAnswer).delete()
    session.query(MutationLog).delete()
    session.query(ClientRow).update({"last_mutation_id": 0})
    session.commit()
    c.add_finding(1, "消防器材过期", checkpoint_id=1)
    report = c.sync()  # the server asks from id 1: the journal goes back out, then the new finding
    assert report.rejected == [] and report.applied == 3
    assert session.query(CheckpointAnswer).count() == 2 and c.store.pending_count() == 0
    assert c.receipt(1)[1] == []


def test_a_rejected_record_is_not_reported_missing_from_the_receipt(phone, session):
    c = phone()
    c.pull()
    c.answer(1, 99, "compliant")  # not on the checklist: rejected, kept in 需要处理
    for cp in (1, 2):
        c.answer(1, cp, "compliant")
    report = c.sync()
    assert report.rejected == [(1, "unknown_checkpoint")] and [r["code"] for r in c.store.rejected()] == [
        "unknown_checkpoint"]
    assert c.receipt(1)[1] == []  # coverage is of what the server accepted; the rejection is shown apart


def test_a_batch_the_server_finds_too_large_is_sent_in_halves(phone, app, session):
    app.config["SYNC_MAX_BATCH"] = 3
    c = phone()
    c.pull()
    for n in range(7):
        c.answer(1, 1 + n % 2, "compliant", note=f"第 {n} 次")
    report = c.sync()
    assert report.applied == 7 and session.query(CheckpointAnswer).count() == 7


def test_a_counter_that_went_back_is_moved_past_the_servers_position(phone, session):
    c = phone()
    c.pull()
    for cp in (1, 2):
        c.answer(1, cp, "compliant")
    c.sync()
    c.store.set("next_id", 1)  # the counter restored from an old copy, apart from the outbox
    c.answer(1, 1, "noncompliant", note="被占用的编号")
    report = c.sync()
    assert report.rejected == [(1, "mutation_id_reused")]  # refused, kept on the server for the reviewer
    c.answer(1, 1, "noncompliant", note="重新录入")
    assert c.sync().applied == 1 and c.store.get("next_id") == 4
    assert session.query(CheckpointAnswer).filter_by(note="重新录入").count() == 1


def test_a_client_that_skips_the_phones_checks_is_refused_by_the_server_and_its_submit_kept(phone, session):
    """The reference client has none of the PWA's pre-submit checks: what the server accepted before (no
    signatures, no party, no photos, 未发现问题 beside a 不符合 and a finding) is refused by the same rules."""
    c = phone()
    c.pull()
    c.start(1)
    c.answer(1, 1, "compliant")
    c.answer(1, 2, "noncompliant", note="缺审验记录")
    c.add_finding(1, "车辆技术档案不全", checkpoint_id=2)
    submit_id = c.submit(1, result_categories=["01"], methods=["on_site"], follow_ups=["none"], summary="未发现问题")
    report = c.sync()
    assert report.rejected == [(submit_id, "result_inconsistent")]
    assert session.get(Inspection, 1).status == "in_progress"  # not locked: the inspector can still fix it
    kept = session.query(MutationLog).filter_by(mutation_id=submit_id, name="inspection.submit").one()
    assert kept.status == "rejected" and kept.args["summary"] == "未发现问题"  # the refused data is kept
    assert [a["code"] for a in kept.errors["also"]] == ["noncompliant_photo_missing", "party_missing",
                                                         "signatures_missing"]
    assert "未发现问题" in kept.message and "请在“检查结论”中改选" in kept.message
    again = c.submit(1, result_categories=["02"], methods=["on_site"], follow_ups=["rectify"], summary="已责令改正")
    assert c.sync().rejected == [(again, "noncompliant_photo_missing")]  # one fixed, the next rule speaks

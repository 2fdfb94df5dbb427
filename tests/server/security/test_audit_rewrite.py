"""Finding 2: whoever can write the database cannot rewrite the audit log unnoticed. Before, rewriting an
entry and recomputing every later hash and the head made `spotcheck audit-verify` say the log was intact."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from server.commands.core import audit_publish_head_command, audit_verify_command
from server.models.audit import AuditEntry, AuditHead, PublishedHead
from server.services.kernel import audit, audit_heads
from tests.factories import create_user


def _entries(session, n=5):
    actor = create_user(session, role="admin")
    for i in range(n):
        audit.record(session, actor, "target.update", object_type="targets", object_id=i, detail={"名称": f"改{i}"},
                     reason="测试")
    session.commit()


def _recompute_from(session, seq: int, rehash) -> None:
    """What a database writer does: rewrite the chain from `seq` on with `rehash` and move the head."""
    prev = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1)) or audit.GENESIS
    for e in session.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)):
        e.prev_hash = prev
        e.hash = prev = rehash(e)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    session.commit()


def _plain(e):
    return audit._entry_hash(e.prev_hash, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type,
                             e.object_id, e.detail, e.reason)


def _keyed_with(key):
    return lambda e: audit.keyed_hash(key, e.prev_hash, e.seq, e.at, e.actor_id, e.actor_name, e.action,
                                      e.object_type, e.object_id, e.detail, e.reason)


def _edit(session, seq=3):
    session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(reason="篡改后的原因"))
    session.commit()


def _verify(app, session, copies=None):
    return audit_heads.verify_all(session, app.config["AUDIT_CHAIN_KEY"], app.config["AUDIT_HEAD_KEY"].public_key(),
                                  copies)


def test_a_full_recomputation_without_the_key_is_named_at_the_first_rewritten_entry(app, session):
    _entries(session)
    _edit(session)
    _recompute_from(session, 3, _plain)
    check = _verify(app, session)
    assert not check.ok and check.problems[0].seq == 3 and "内容已被改动" in check.problems[0].message


def test_a_recomputation_under_a_guessed_key_is_named_too(app, session):
    _entries(session)
    _edit(session)
    guessed = audit.ChainKey(b"x" * 32)
    session.execute(update(AuditEntry).values(key_id=guessed.key_id))  # even the key id is forged
    session.commit()
    _recompute_from(session, 1, _keyed_with(guessed))
    check = _verify(app, session)
    assert check.problems[0].seq == 1 and "与当前配置的密钥" in check.problems[0].message


def test_a_downgrade_to_the_unkeyed_chain_is_caught(app, session):
    _entries(session)
    _edit(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq >= 3).values(chain=1, key_id=""))
    _recompute_from(session, 3, _plain)
    check = _verify(app, session)
    assert [p.seq for p in check.problems][:1] == [3] and "降级" in check.problems[0].message
    # All of it rewritten as the old chain: still not intact.
    session.execute(update(AuditEntry).values(chain=1, key_id=""))
    _recompute_from(session, 1, _plain)
    assert any("尚未由密钥链接续" in p.message for p in _verify(app, session).problems)


def test_a_published_head_catches_a_rewrite_even_by_someone_holding_the_hmac_key(app, session):
    _entries(session)
    audit_heads.publish_head(session, app.config["AUDIT_HEAD_KEY"])
    session.commit()
    _edit(session, 2)
    _recompute_from(session, 2, _keyed_with(app.config["AUDIT_CHAIN_KEY"]))  # the HMAC key leaked
    check = _verify(app, session)
    [problem] = check.problems
    assert problem.head == 1 and problem.seq == 6 and "与数据库不符" in problem.message


def test_heads_are_numbered_linked_and_signed(app, session):
    _entries(session, 2)
    key = app.config["AUDIT_HEAD_KEY"]
    first = audit_heads.publish_head(session, key)
    second = audit_heads.publish_head(session, key)
    session.commit()
    assert (first.number, second.number) == (1, 2) and first.prev == audit.GENESIS
    assert second.prev == audit_heads.digest(first) and second.seq == first.seq + 1  # the publish entry
    assert _verify(app, session).ok


@pytest.mark.parametrize("tamper,message", [
    (lambda s: s.execute(update(PublishedHead).where(PublishedHead.number == 2).values(seq=2)), "签名无效"),
    (lambda s: s.execute(delete(PublishedHead).where(PublishedHead.number == 2)), "已被删除"),
])
def test_a_tampered_or_removed_head_is_named(app, session, tamper, message):
    _entries(session, 2)
    for _ in range(3):
        audit_heads.publish_head(session, app.config["AUDIT_HEAD_KEY"])
    session.commit()
    tamper(session)
    session.commit()
    check = _verify(app, session)
    assert any(message in p.message and p.head in (2, 3) for p in check.problems), check.problems


def test_a_saved_copy_of_the_heads_catches_heads_deleted_from_the_database(app, session, client, tmp_path):
    _entries(session, 2)
    audit_heads.publish_head(session, app.config["AUDIT_HEAD_KEY"])
    session.commit()
    saved = client.get("/public/audit-heads.json").get_json()
    session.execute(delete(PublishedHead))
    _edit(session, 1)
    _recompute_from(session, 1, _keyed_with(app.config["AUDIT_CHAIN_KEY"]))
    assert _verify(app, session).ok  # with the heads gone and the HMAC key leaked, the database alone looks fine
    check = _verify(app, session, saved["heads"])
    assert [p.head for p in check.problems] == [1] and "已从数据库中删除" in check.problems[0].message
    path = tmp_path / "heads.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    result = CliRunner().invoke(audit_verify_command, ["--heads", str(path)], obj=app.cli)
    assert result.exit_code == 1 and "最早不符的是第 1 号链头" in result.output


def test_the_command_names_the_first_entry_that_disagrees(app, session):
    _entries(session)
    ok = CliRunner().invoke(audit_verify_command, obj=app.cli)
    assert ok.exit_code == 0 and "操作日志完整：共 6 条" in ok.output
    _edit(session, 4)
    _recompute_from(session, 4, _plain)
    result = CliRunner().invoke(audit_verify_command, obj=app.cli)
    assert result.exit_code == 1 and "第 4 条：第 4 条日志（target.update）的内容已被改动" in result.output
    assert "最早不符的是第 4 条日志" in result.output


def test_publish_head_command_and_the_public_list(app, session, client):
    _entries(session, 2)
    result = CliRunner().invoke(audit_publish_head_command, obj=app.cli)
    assert result.exit_code == 0 and "已发布第 1 号链头：前 3 条日志" in result.output
    page = client.get("/public/audit-heads").get_data(as_text=True)
    pem = audit_heads.public_pem(app.config["AUDIT_HEAD_KEY"].public_key())
    assert "已发布的链头（共 1 个" in page and pem.splitlines()[1] in page
    body = client.get("/public/audit-heads.json").get_json()
    assert body["public_key"] == pem and body["heads"][0]["number"] == 1 and body["heads"][0]["seq"] == 3
    # anyone can check a head with the public key alone
    head = body["heads"][0]
    public = audit_heads.load_public_pem(body["public_key"])
    import base64
    public.verify(base64.b64decode(head["signature"]), audit_heads.message(
        head["number"], head["seq"], head["hash"], head["signed_at"], head["prev"]))


def test_an_admin_or_leader_publishes_on_demand(app, session, login):
    leader = create_user(session, role="leader")
    session.commit()
    c = login(leader)
    assert "已超过 24 小时没有发布链头" in c.get("/office/audit-log").get_data(as_text=True)
    resp = c.post("/office/audit-log/publish-head")
    assert resp.status_code == 302
    page = c.get("/office/audit-log").get_data(as_text=True)
    assert "已发布第 1 号链头" in page and "最近发布：第 1 号链头" in page and "已超过 24 小时" not in page
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.publish_head"))
    assert entry.actor_id == leader.id
    check = c.post("/office/audit-log/verify").get_data(as_text=True)
    assert "已发布的 1 个链头签名有效，与日志一致。" in check

from click.testing import CliRunner
from sqlalchemy import delete, update

from server.commands.core import audit_verify_command
from server.models.audit import AuditEntry
from server.services.kernel import audit
from tests.factories import create_user


def _entries(session, n=4):
    actor = create_user(session, role="admin")
    for i in range(n):
        audit.record(session, actor, "target.update", object_type="targets", object_id=i, detail={"名称": f"改{i}"},
                     reason="测试")
    session.commit()


def test_intact_chain_verifies(session):
    _entries(session)
    assert audit.verify(session) == []


def test_edited_entry_is_named(session):
    _entries(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(reason="篡改"))
    session.commit()
    problems = audit.verify(session)
    assert [p.seq for p in problems] == [3]
    assert "内容已被改动" in problems[0].message


def test_deleted_entry_is_named(session):
    _entries(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    session.commit()
    problems = audit.verify(session)
    assert problems[0].seq == 2 and "已被删除" in problems[0].message


def test_deleted_tail_is_detected(session):
    _entries(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    session.commit()
    assert any("末尾" in p.message for p in audit.verify(session))


def test_rehashed_edit_still_breaks_the_chain(session):
    """Someone who recomputes the edited entry's own hash (without the key) is caught at that entry, and
    breaks the next link."""
    _entries(session)
    e = session.query(AuditEntry).filter_by(seq=2).one()
    e.reason = "篡改"
    e.hash = audit._entry_hash(e.prev_hash, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type,
                               e.object_id, e.detail, e.reason)
    session.commit()
    assert [p.seq for p in audit.verify(session)] == [2, 3]


def test_cli_reports_which_entry(app, session):
    _entries(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(action="x"))
    session.commit()
    result = CliRunner().invoke(audit_verify_command, obj=app.cli)
    assert result.exit_code == 1
    assert "第 4 条" in result.output

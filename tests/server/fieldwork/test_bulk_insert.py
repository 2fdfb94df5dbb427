"""bulk_insert.insert_batches: a push's rows, by COPY on PostgreSQL for large batches and by executemany
otherwise, must be stored exactly alike, and a failure must surface as a database error (transient)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.models.sync import MutationLog, SyncClient
from server.services.fieldwork import bulk_insert
from tests import factories

BEIJING = dt.timezone(dt.timedelta(hours=8))


def _rows(user_id: int, first: int, n: int) -> list[dict]:
    return [{"client_id": "c-1", "mutation_id": first + k, "name": "checkpoint.record", "digest": "d" * 64,
             "status": "applied", "args": {"answer": "compliant", "note": "现场核查"}, "errors": None,
             "user_id": user_id, "created_at": dt.datetime(2024, 5, 6, 9, 0, k, tzinfo=BEIJING)}
            for k in range(n)]


@pytest.fixture
def user_id(session):
    user = factories.create_user(session, role="inspector")
    session.add(SyncClient(client_id="c-1", user_id=user.id))
    session.commit()
    return user.id


def _stored(session, mutation_id: int) -> dict:
    row = session.scalars(select(MutationLog).where(MutationLog.mutation_id == mutation_id)).one()
    return {c: getattr(row, c) for c in ("name", "status", "args", "errors", "message", "code", "device_name",
                                         "created_at", "inspection_id")} | {"received": row.received_at is not None}


def test_a_large_batch_and_a_small_one_are_stored_alike(session, user_id):
    many = _rows(user_id, 1, bulk_insert.COPY_MIN_ROWS + 2)  # COPY on PostgreSQL
    few = _rows(user_id, 100, 1)  # executemany everywhere
    bulk_insert.insert_batches(session, [(MutationLog, many)])
    bulk_insert.insert_batches(session, [(MutationLog, few)])
    session.commit()
    assert session.query(MutationLog).count() == len(many) + 1
    big, small = _stored(session, 1), _stored(session, 100)
    assert big == small
    # Column defaults were applied, the device's time kept as the same instant, JSON kept whole.
    assert big["message"] == "" and big["device_name"] == "" and big["received"]
    assert big["created_at"] == dt.datetime(2024, 5, 6, 1, 0, tzinfo=dt.timezone.utc)
    assert big["args"] == {"answer": "compliant", "note": "现场核查"}
    assert big["errors"] is None


def test_a_failed_batch_is_a_database_error_and_stores_none_of_it(session, user_id):
    bulk_insert.insert_batches(session, [(MutationLog, _rows(user_id, 1, 1))])
    session.commit()
    clash = _rows(user_id, 2, bulk_insert.COPY_MIN_ROWS + 2) + _rows(user_id, 1, 1)  # mutation 1 is stored
    with pytest.raises(IntegrityError):  # a DBAPIError: the push view answers `transient`
        bulk_insert.insert_batches(session, [(MutationLog, clash)])
    session.rollback()
    assert session.query(MutationLog).count() == 1

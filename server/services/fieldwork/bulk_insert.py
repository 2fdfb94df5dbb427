"""Bulk writes and reads for a push: plain rows inserted as the ORM would store them (by COPY on
PostgreSQL for a large batch), and one probe for which record ids already exist."""
from __future__ import annotations

import functools

from sqlalchemy import any_, bindparam, insert, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# COPY costs a second round trip (the server's go-ahead), so a few rows go faster as one executemany.
COPY_MIN_ROWS = 10


def insert_batches(session: Session, batches: list[tuple]) -> None:
    """Insert plain rows, [(model, rows), ...] in that order, storing exactly what the ORM would: a
    missing or None value takes the column's default (JSON columns keep None as JSON null), without the
    ORM's per-row bookkeeping. On PostgreSQL a large batch goes by COPY, which costs the server about
    half what one INSERT per row does."""
    dialect = session.get_bind().dialect
    for model, rows in batches:
        if not rows:
            continue
        table = model.__table__
        columns = _insert_columns(table, rows)
        full = [{c.key: _value(c, row.get(c.key)) for c in columns} for row in rows]
        if dialect.name != "postgresql" or len(full) < COPY_MIN_ROWS:
            session.execute(insert(table), full)
        else:
            _copy(session, table, columns, full)


def _copy(session: Session, table, columns: list, rows: list[dict]) -> None:
    names = ", ".join(f'"{c.name}"' for c in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    connection = session.connection()
    dialect = connection.dialect
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in _processed(dialect, columns, rows):
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as err:  # as SQLAlchemy reports a failed statement
        raise DBAPIError.instance(statement, None, err, dialect.loaded_dbapi.Error, dialect=dialect) from err


def _processed(dialect, columns, rows):
    """Rows as value lists with each column's bind processor applied (UTC conversion, JSONB wrapping),
    as SQLAlchemy would before handing them to the driver."""
    procs = [(c.key, c.type.dialect_impl(dialect).bind_processor(dialect), c.type.should_evaluate_none)
             for c in columns]
    return [[proc(row[key]) if proc and (row[key] is not None or keep_none) else row[key]
             for key, proc, keep_none in procs] for row in rows]


def _insert_columns(table, rows: list[dict]) -> list:
    """The columns a bulk insert writes: those given, and those with a Python-side default."""
    given = set().union(*rows)
    return [c for c in table.c if c.key in given or (c.default is not None and not c.default.is_sequence)]


def _value(column, value):
    if value is not None or column.type.should_evaluate_none:
        return value
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def existing_rows(session: Session, wanted: dict) -> dict:
    """{(model, id): row} of the wanted ids ({model: {id, ...}}) that exist: one probe over every kind
    (usually none do), then the whole rows of those that do, for the idempotency and reference checks."""
    if not wanted:
        return {}
    models = tuple(sorted(wanted, key=lambda m: m.__tablename__))
    params = {f"ids_{m.__tablename__}": sorted(wanted[m]) for m in models}
    found: dict = {}
    for table, rid in session.execute(_probe(session.get_bind().dialect.name == "postgresql", models), params):
        found.setdefault(table, set()).add(rid)
    rows = {}
    for model in models:
        if found.get(model.__tablename__):
            for row in session.scalars(select(model).where(model.id.in_(sorted(found[model.__tablename__])))):
                rows[(model, row.id)] = row
    return rows


@functools.cache
def _probe(pg: bool, models: tuple):
    """The probe statement for these kinds, built once: building a union costs about as much as running it.
    On PostgreSQL each id list is one array parameter (= ANY), so the statement's text and its prepared
    plan stay the same whatever the number of ids; planning a long IN list each time cost more than running it."""
    def one_of(model):
        name = f"ids_{model.__tablename__}"
        if pg:
            return model.id == any_(bindparam(name, type_=ARRAY(model.id.type)))
        return model.id.in_(bindparam(name, expanding=True))
    return union_all(*(select(literal(m.__tablename__).label("t"), m.id).where(one_of(m)) for m in models))

"""`h`: the same push-rule harness over the in-memory store and the SQL store on each test database."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text

from server import create_app
from server.extensions import db
from tests.conftest import BACKENDS
from tests.sync.harness import MemoryHarness, SqlHarness


def sql_app(request, backend: str, tmp_path):
    """A fresh app on a fresh database of `backend`, as the `app` fixture makes it."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url, tables = request.getfixturevalue("_pg_database")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                       "MEDIA_DIR": str(tmp_path / "media"), "WTF_CSRF_ENABLED": False})


@pytest.fixture(params=["memory"] + [f"sql-{b}" for b in BACKENDS])
def h(request, tmp_path):
    if request.param == "memory":
        yield MemoryHarness()
        return
    app = sql_app(request, request.param[4:], tmp_path)
    with app.app_context():
        yield SqlHarness(app, db.session)
        db.session.remove()
        db.engine.dispose()

"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL.

Every test that uses `app` (or `client`, `session`) runs twice, once per database. Set
SPOTCHECK_TEST_DBS=sqlite to run only SQLite. PostgreSQL comes from a throwaway cluster started here;
without the server binaries those runs skip with the reason, except under CI (CI=true), where they fail.
"""
from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import text

from server import create_app
from server.extensions import db
from tests import pg

BACKENDS = [b.strip() for b in os.environ.get("SPOTCHECK_TEST_DBS", "sqlite,postgresql").split(",") if b.strip()]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = pg.find_bindir()
    if bindir is None:
        msg = "未找到 PostgreSQL 服务器程序（initdb）；请运行 apt-get install -y postgresql"
        if IN_CI:
            pytest.fail(msg + "（CI 中必须运行 PostgreSQL 测试）")
        pytest.skip(msg)
    cluster = pg.Cluster(bindir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """A SQLite file with the schema, copied for each test (much faster than create_all each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "t"})
    with app.app_context():
        import server.models  # noqa: F401
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_database(pg_cluster):
    url = pg_cluster.create_database("spotcheck_test")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    with app.app_context():
        import server.models  # noqa: F401
        db.create_all()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.engine.dispose()
    return url, tables


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """The database URL for one test: a copied SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url, tables = request.getfixturevalue("_pg_database")
    from sqlalchemy import create_engine
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "MEDIA_DIR": str(tmp_path / "media"),
        "PDF_CACHE_DIR": str(tmp_path / "pdf-cache"),
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(db_url, tmp_path):
    """Like `app` but with CSRF protection on, as in production."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": db_url,
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def login(client):
    """Log a user in through the office login form: login(user, password='password123')."""
    def _login(user, password="password123", c=None):
        c = c or client
        resp = c.post("/office/login", data={"username": user.username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return c
    return _login

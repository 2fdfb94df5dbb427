"""An empty database upgrades to head, and the result matches the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from server import create_app
from server.extensions import db


def _fresh_url(request, tmp_path):
    if request.node.callspec.params["backend"] == "sqlite":
        return f"sqlite:///{tmp_path}/migrated.db"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database("spotcheck_migrations")


import pytest  # noqa: E402


def _made_on(dialect: str):
    """Leave out of the comparison the indexes the models make on another database only (info["only_on"])."""
    def include(obj, name, type_, reflected, compare_to):
        return not (type_ == "index" and obj.info.get("only_on", dialect) != dialect)
    return include


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_to_head_matches_models(request, tmp_path, backend):
    url = _fresh_url(request, tmp_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_object": _made_on(conn.dialect.name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        db.engine.dispose()
    assert diff == [], f"迁移与模型不一致，请运行 make migration：{diff}"

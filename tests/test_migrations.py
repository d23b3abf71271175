"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from wechat_app.extensions import db as _db


def test_upgrade_matches_the_models(app):
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with _db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), _db.metadata)
        assert diff == []

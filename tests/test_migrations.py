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



def test_status_columns_refuse_values_outside_their_enum(app, demo):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from wechat_app.models import Notification

    with pytest.raises(IntegrityError):
        demo.session.execute(text("UPDATE registrations SET status = 'approved-ish'"))
    demo.session.rollback()
    demo.session.add(Notification(idempotency_key="bad-status", channel="sms", data={}, status="lost"))
    with pytest.raises(IntegrityError):
        demo.session.flush()
    demo.session.rollback()

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


def test_the_ratings_move_onto_the_registration_from_its_latest_institution_approval(app, demo):
    """7d2f6a1c9b30: the ratings the exams page and the results read with the registration are the
    ones reviews.ratings read from the reviews before."""
    from flask_migrate import downgrade, stamp
    from sqlalchemy import text

    def ratings() -> dict:
        with _db.engine.connect() as connection:
            return {row[0]: (row[1], row[2]) for row in connection.execute(text(
                "SELECT id, work_rating, ethics_rating FROM registrations WHERE work_rating IS NOT NULL"))}

    demo.session.commit()
    before = ratings()
    with _db.engine.connect() as connection:
        approved = connection.execute(text(
            "SELECT count(DISTINCT registration_id) FROM reviews WHERE stage = 'institution' AND decision = 'approve'"
        )).scalar()
    assert len(before) == approved > 0
    demo.session.remove()
    stamp()  # the test database was made from the models, at head
    downgrade(revision="5201948228d5")
    upgrade()
    assert ratings() == before


def test_the_institution_moves_onto_the_registration_from_its_physician(app, demo):
    """5e8a2c7f4b19: each registration made before it gets its physician's institution."""
    from flask_migrate import downgrade, stamp
    from sqlalchemy import text

    demo.session.commit()
    demo.session.remove()
    stamp()
    downgrade(revision="3b9e7c1d2a45")
    upgrade()
    with _db.engine.connect() as connection:
        rows = connection.execute(text("SELECT r.institution_id, p.institution_id FROM registrations r "
                                       "JOIN physicians p ON p.id = r.physician_id")).all()
    assert rows and all(mine == theirs for mine, theirs in rows) and any(mine is not None for mine, _ in rows)

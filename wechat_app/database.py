"""Per-request database settings.

Safe requests (GET, HEAD) only read, so on PostgreSQL they run their statements in autocommit:
no BEGIN and ROLLBACK round trips around every page (each statement still sees committed data, as
READ COMMITTED would). Anything that writes is a POST, and its use case owns a real transaction.
"""
from __future__ import annotations

from flask import Flask, request
from sqlalchemy import event

from wechat_app.extensions import db


def engine_options(config) -> dict:
    """The configured engine options, with a connect timeout on PostgreSQL: while the database
    is down or failing over, a request gets its 503 page in seconds instead of hanging."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": 5, **options.get("connect_args", {})}
    return options


def enforce_sqlite_foreign_keys(app: Flask) -> None:
    """SQLite ignores foreign keys unless asked, per connection; PostgreSQL always checks them.
    The embedded default must refuse what production refuses."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return

        @event.listens_for(db.engine, "connect")
        def on_connect(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys=ON")


def register(app: Flask) -> None:
    enforce_sqlite_foreign_keys(app)

    @app.before_request
    def read_only_requests_autocommit():
        if request.method in ("GET", "HEAD") and request.endpoint != "static" \
                and db.engine.dialect.name == "postgresql" and db.session().get_transaction() is None:
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

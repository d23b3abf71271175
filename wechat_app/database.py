"""Per-request database settings.

Safe requests (GET, HEAD) only read, so on PostgreSQL they run their statements in autocommit:
no BEGIN and ROLLBACK round trips around every page (each statement still sees committed data, as
READ COMMITTED would). Anything that writes is a POST, and its use case owns a real transaction.
"""
from __future__ import annotations

from flask import Flask, request

from wechat_app.extensions import db


def register(app: Flask) -> None:
    @app.before_request
    def read_only_requests_autocommit():
        if request.method in ("GET", "HEAD") and request.endpoint != "static" \
                and db.engine.dialect.name == "postgresql" and db.session().get_transaction() is None:
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

"""Shared fixtures: `app` (testing config, fresh database and store), `db`, `client`, `live` (the app
served on a real loopback port, so wechatpy's HTTP calls reach the simulator's fake WeChat API),
`fake_wechat` and `push` (signed WeChat pushes).

The suite runs on SQLite and the in-process store by default; with TEST_DATABASE_URL and
TEST_REDIS_URL it runs on PostgreSQL and Redis instead.
"""
from __future__ import annotations

import logging
import os
import threading
from contextlib import suppress
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from werkzeug.serving import make_server

from config import TestingConfig
from tests.helpers import Pusher, personal_data_in
from wechat_app import clock, create_app, logconfig
from wechat_app.domain.faq import faq_index
from wechat_app.extensions import db as _db

os.environ.setdefault("APP_ENV", "testing")


class Dispatcher:
    """The live server's WSGI app: forwards to whichever test app is current."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class Recorder(logging.Handler):
    """Every log line of a test, formatted as a handler would (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(request):
    """Every test's log lines, unredacted (redaction is the second line of defence, tested on its
    own in test_logconfig.py): no ID number, mobile number or SMS code may appear in any of them."""
    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    logconfig.REDACTING["on"] = "redaction" in request.keywords
    try:
        yield
    finally:
        root.removeHandler(recorder)
        logconfig.REDACTING["on"] = True
    found = [(line[:200], hit) for line in recorder.lines for hit in personal_data_in(line)]
    assert not found, f"personal data in the log: {found[:3]}"


@pytest.fixture(scope="session")
def live_server():
    dispatcher = Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield dispatcher, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def build_config(base_url: str, tmp_path, **overrides) -> TestingConfig:
    config = TestingConfig()
    if not os.environ.get("TEST_DATABASE_URL"):
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'test.db'}"
    config.PUBLIC_BASE_URL = base_url
    config.WECHAT_API_BASE_URL = f"{base_url}/_sim/api/"
    config.WECHAT_OAUTH_BASE_URL = f"{base_url}/_sim/connect/"
    config.UPLOAD_DIR = str(tmp_path / "uploads")
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


_schema_built = False


def reset_database(app) -> None:
    """SQLite: a new file per test. PostgreSQL: the schema rebuilt once per run, then emptied."""
    global _schema_built
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            if not _schema_built:
                # Whatever an earlier run or another schema version left: start from nothing.
                _db.session.execute(text("DROP SCHEMA public CASCADE"))
                _db.session.execute(text("CREATE SCHEMA public"))
                _db.session.commit()
                _db.create_all()
                _schema_built = True
            tables = ", ".join(t.name for t in _db.metadata.sorted_tables)
            _db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            _db.session.commit()
        else:
            _db.create_all()


@pytest.fixture
def make_app(live_server, tmp_path, request):
    """Builds an app with config overrides (e.g. an AES key) and makes it the live server's app."""
    dispatcher, base_url = live_server
    built = []

    def factory(**overrides):
        app = create_app(build_config(base_url, tmp_path, **overrides))
        reset_database(app)
        if app.config.get("REDIS_URL"):
            with suppress(RedisConnectionError):  # a test of Redis being down points at nobody
                app.extensions["kv"].redis.flushdb()
        dispatcher.app = app
        built.append(app)
        return app

    yield factory
    clock.freeze(None)
    faq_index.invalidate()
    for app in built:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live(app):
    return app.config["PUBLIC_BASE_URL"]


@pytest.fixture
def fake_wechat(app):
    from wechat_app.simulator.fake_api import fake

    with app.app_context():
        return fake()


@pytest.fixture
def push(app, client):
    return Pusher(app, client)


@pytest.fixture
def login_as(client):
    """Sign `physician` in on the test client (as Flask-Login would after a real sign-in)."""
    def sign_in(physician):
        with client.session_transaction() as session:
            session["_user_id"] = physician.get_id()
            session["_fresh"] = True
            session["sv"] = physician.session_version
        # Test requests share the test's app context (a real request has its own): forget the
        # user Flask-Login cached there for the previous sign-in.
        from flask import g, has_app_context

        if has_app_context():
            g.pop("_login_user", None)
        return physician
    return sign_in


_seeded: dict[tuple, tuple[dict, dict]] = {}  # (database, day) → the demo's rows by table and its files


@pytest.fixture
def demo(db, app):
    """The demo data set (湖南, institutions, 50 physicians, the current cycle, FAQ). Seeded through
    the use cases once per database and day, then copied into each test's empty database."""
    from wechat_app.domain.demo import seed_demo

    key = (_db.engine.dialect.name, clock.today())
    if key in _seeded:
        restore(app, *_seeded[key])
    else:
        seed_demo()
        _seeded[key] = capture(app)
    return db


def capture(app) -> tuple[dict, dict]:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    rows = {table.name: [dict(row) for row in _db.session.execute(table.select()).mappings()]
            for table in _db.metadata.sorted_tables}
    files = {path.relative_to(upload_dir): path.read_bytes() for path in upload_dir.rglob("*") if path.is_file()}
    return rows, files


def restore(app, rows: dict, files: dict) -> None:
    for table in _db.metadata.sorted_tables:
        if rows[table.name]:
            _db.session.execute(table.insert(), rows[table.name])
            if _db.engine.dialect.name == "postgresql" and "id" in table.c:
                _db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                         f"(SELECT max(id) FROM {table.name}))"))
    _db.session.commit()
    upload_dir = Path(app.config["UPLOAD_DIR"])
    for relative, data in files.items():
        (upload_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (upload_dir / relative).write_bytes(data)


@pytest.fixture
def verifier_worker(app):
    """A verifier worker beside the live server (as `flask exams faces` runs beside the web workers):
    a thread with its own app context, judging face checks as they are posted."""
    from wechat_app.verifier_worker import verify_round

    stop = threading.Event()

    def loop():
        with app.app_context():
            while not stop.is_set():
                try:
                    done = verify_round(5)
                except Exception:  # noqa: BLE001 (a test database torn down under it)
                    logging.getLogger("tests").exception("verifier worker")
                    done = 0
                finally:
                    _db.session.remove()
                if not done:
                    stop.wait(0.1)

    thread = threading.Thread(target=loop, name="test-verifier", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)

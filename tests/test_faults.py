"""Faults the service must live through (issue 14's CI subset; `make chaos` runs the full scenarios):
Redis not answering, the database not answering, and pooled connections dropped by a database
restart. Each is made real: a Redis URL and a database URL on a port nobody listens on, and
`pg_terminate_backend` on every connection of the pool."""
from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import create_engine, func, select, text

from tests.conftest import build_config
from tests.helpers import Pusher, csrf_token, enrolled, fan_out, reply_of, text_message
from wechat_app import create_app
from wechat_app.models import Registration

NOBODY_REDIS = "redis://127.0.0.1:1/0"  # connection refused at once, as when Redis has stopped
NOBODY_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/none"


def signed_in_client(app, physician_or_identity):
    """A client whose session cookie says `physician` signed in (user id, session version)."""
    user_id, version = physician_or_identity if isinstance(physician_or_identity, tuple) else (
        physician_or_identity.get_id(), physician_or_identity.session_version)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"], session["sv"] = user_id, True, version
    return client


@pytest.fixture
def redis_down(make_app):
    app = make_app(REDIS_URL=NOBODY_REDIS, RATELIMIT_STORAGE_URI=NOBODY_REDIS)
    with app.app_context():
        from wechat_app.domain.demo import seed_demo
        from wechat_app.extensions import db

        seed_demo()
        yield app, db


def test_redis_down_the_callback_still_answers(redis_down):
    app, _ = redis_down
    response = Pusher(app, app.test_client())(text_message("我忘记密码了怎么办"))
    assert response.status_code == 200 and reply_of(response)["Content"].startswith("忘记密码怎么办？")


def test_redis_down_signed_in_pages_and_saves_keep_working(redis_down):
    """Sessions live in the signed cookie and limits fall back to each process's memory."""
    app, db = redis_down
    physician = enrolled(db, "open")
    client = signed_in_client(app, physician)
    assert client.get("/m/").status_code == 200
    page = client.get("/m/registration/step/1")
    assert page.status_code == 200
    saved = client.post("/m/registration/step/1", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                        "action": "save", "email": "redis-down@example.cn"})
    assert saved.status_code in (302, 303)
    db.session.expire_all()
    registration = db.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    assert registration.draft["1"]["email"] == "redis-down@example.cn"


def test_redis_down_sign_in_fails_closed_with_a_clear_message(redis_down):
    """Captcha answers, SMS codes and the lockout counters live in Redis: without them nobody can be
    let in safely, so sign-in says so (503) instead of skipping the checks or answering 500."""
    app, _ = redis_down
    response = app.test_client().get("/m/captcha.png")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    page = app.test_client().get("/m/captcha.png", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "系统繁忙，请稍后再试" in page


def test_database_down_gives_a_503_page_and_the_callback_still_answers(make_app, tmp_path):
    app = make_app()
    with app.app_context():
        from wechat_app.domain.demo import seed_demo
        from wechat_app.extensions import db

        seed_demo()
        physician = enrolled(db, "open")
        identity = (physician.get_id(), physician.session_version)
    down = create_app(build_config(app.config["PUBLIC_BASE_URL"], tmp_path, SQLALCHEMY_DATABASE_URI=NOBODY_POSTGRES))
    client = signed_in_client(down, identity)
    page = client.get("/m/")
    assert page.status_code == 503 and "系统繁忙，请稍后再试" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "5"
    push = Pusher(down, down.test_client())(text_message("你好"))
    assert push.status_code == 200  # a reply, or `success` and the answer later: never an error to WeChat


@pytest.fixture
def postgres(demo):
    if demo.engine.dialect.name != "postgresql":
        pytest.skip("a pool of server connections is PostgreSQL's")
    return demo


def drop_every_pooled_connection(db) -> int:
    """What a PostgreSQL restart does to the pool: every server connection of this database ends."""
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        ended = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    return ended


def test_a_stale_pool_after_a_database_restart_recovers(app, postgres):
    physician = enrolled(postgres, "open")
    client = signed_in_client(app, physician)
    assert client.get("/m/").status_code == 200
    postgres.session.remove()
    assert drop_every_pooled_connection(postgres) >= 1
    assert client.get("/m/").status_code == 200  # the read is run again on a fresh connection
    page = client.get("/m/registration/step/1")
    token = csrf_token(page.get_data(as_text=True))
    drop_every_pooled_connection(postgres)
    first = client.post("/m/registration/step/1", data={"csrf_token": token, "action": "save", "email": "a@example.cn"})
    g.pop("_login_user", None)  # the test's requests share its app context; a real request has its own
    again = client.post("/m/registration/step/1", data={"csrf_token": token, "action": "save", "email": "b@example.cn"})
    assert first.status_code in (302, 303, 503) and again.status_code in (302, 303)  # a write is never run twice by us
    postgres.session.remove()
    registration = postgres.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    assert registration.draft["1"]["email"] == "b@example.cn"


def test_a_killed_outbox_worker_loses_nothing(app, db, live):
    """`flask notify worker` is SIGKILLed mid-batch; once its leases run out another worker sends the
    rest. Nothing is lost; a notice sent twice carries the same client_msg_id, which WeChat (here its
    fake) accepts once."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from datetime import timedelta

    from wechat_app import clock
    from wechat_app.domain.outbox import LEASE
    from wechat_app.models import Notification
    from wechat_app.outbox_worker import run_worker
    from wechat_app.simulator.fake_api import Fault, fake

    total = 240
    fan_out(db, total, "kill", url=f"{live}/m/results")
    fake().faults.append(Fault("cgi-bin/message/template/send", count=0, latency_ms=25, rate=1.0))  # WeChat's pace, not instant
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": app.config.get("REDIS_URL") or "", "PUBLIC_BASE_URL": live, "OUTBOX_INLINE_WORKER": "0"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "notify", "worker", "--batch", "20"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sent = lambda: db.session.scalar(select(func.count(Notification.id)).where(Notification.status == "sent"))  # noqa: E731
    deadline = time.monotonic() + 60
    while sent() < 40 and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    db.session.rollback()
    assert 40 <= sent() < total, "the worker was killed mid-fan-out"

    clock.freeze(clock.now() + LEASE + timedelta(seconds=1))  # the dead worker's leases run out
    run_worker(drain=True, batch=50)
    db.session.rollback()
    assert sent() == total  # lost: none
    accepted = [m for m in fake().sent if m["kind"] == "template" and m["touser"].startswith("oKILL")]
    # Delivered once each: what the dead worker had sent but not recorded went again with the same
    # client_msg_id, and the fake (as WeChat) answered it without delivering it twice.
    assert len({m["client_msg_id"] for m in accepted}) == total == len(accepted)

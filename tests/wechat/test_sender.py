"""The outbox worker: delivery, transient retries, permanent refusals, no double claims."""
from __future__ import annotations

import requests
from sqlalchemy import select

from tests.helpers import OPENID
from wechat_app import clock
from wechat_app.domain import outbox
from wechat_app.models import Notification
from wechat_app.outbox_worker import run_worker


def queue(db, key="k1", openid=OPENID, content="您好"):
    outbox.send_custom_text(openid, content, key)
    return db.session.scalar(select(Notification).where(Notification.idempotency_key == key))


def test_same_key_is_queued_once(db):
    assert outbox.send_custom_text(OPENID, "a", "same")
    assert not outbox.send_custom_text(OPENID, "a", "same")


def test_worker_delivers_a_customer_service_text(db, fake_wechat):
    notice = queue(db)
    assert run_worker(once=True) == 1
    db.session.refresh(notice)
    assert notice.status == "sent" and notice.attempts == 1
    assert fake_wechat.sent[-1]["touser"] == OPENID and fake_wechat.sent[-1]["content"] == "您好"


def test_transient_error_is_retried_later(db, live, fake_wechat):
    notice = queue(db)
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/message/custom/send", "errcode": -1})
    run_worker(once=True)
    db.session.refresh(notice)
    assert notice.status == "pending" and notice.last_error == "errcode -1"
    clock.freeze(notice.next_attempt_at)
    run_worker(once=True)
    db.session.refresh(notice)
    assert notice.status == "sent" and notice.attempts == 2


def test_unfollowed_user_is_not_retried(db, live):
    notice = queue(db)
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/message/custom/send", "errcode": 43004})
    run_worker(once=True)
    db.session.refresh(notice)
    assert notice.status == "undeliverable" and "未关注公众号" in notice.last_error


def test_rows_are_claimed_once(db):
    for i in range(5):
        queue(db, key=f"k{i}")
    first = outbox.claim_due(3)
    second = outbox.claim_due(10)
    assert len(first) == 3 and len(second) == 2
    assert not {n.id for n in first} & {n.id for n in second}


def test_a_dead_workers_lease_runs_out_and_the_row_is_taken_again(db):
    notice = queue(db)
    assert outbox.claim_due(10)  # this worker dies without recording anything
    assert outbox.claim_due(10) == []
    clock.freeze(clock.now() + outbox.LEASE)
    again = outbox.claim_due(10)
    assert [n.id for n in again] == [notice.id] and again[0].attempts == 2


def test_exam_jobs_run_on_their_own_clock_during_a_fan_out(db, monkeypatch):
    """A fan-out keeps the worker busy for minutes: the jobs (closing overdue papers, reminders) still
    run when their minute comes, between two batches."""
    from wechat_app import outbox_worker

    runs = []
    monkeypatch.setattr(outbox_worker, "exam_jobs", lambda: runs.append(len(outbox.claim_due(0))))
    for i in range(6):
        queue(db, key=f"busy{i}")
    run_worker(once=True, batch=2)
    assert len(runs) == 1  # before the first batch, not after the last
    monkeypatch.setattr(outbox_worker, "JOBS_EVERY", 0.0)
    for i in range(6):
        queue(db, key=f"more{i}")
    runs.clear()
    run_worker(once=True, batch=2)
    assert len(runs) >= 3  # one between every two batches


def test_a_failing_job_is_logged_and_the_others_and_the_worker_go_on(db, monkeypatch, caplog):
    from wechat_app.domain import exam_admin, exams

    def submit_overdue(*_args, **_kwargs):
        raise RuntimeError("a bug in a job")

    reminded = []
    monkeypatch.setattr(exams, "submit_overdue", submit_overdue)
    monkeypatch.setattr(exam_admin, "remind", lambda: reminded.append(1) or 0)
    notice = queue(db)
    assert run_worker(once=True) == 1  # the worker delivered after the job failed
    assert reminded == [1]
    db.session.refresh(notice)
    assert notice.status == "sent"
    assert any("exam job submit_overdue failed" in r.getMessage() for r in caplog.records)

"""`flask notify worker`: drains the outbox, each row by its channel (WeChat or SMS).

Several workers on several machines share the work: rows are claimed with a lease (see
domain/outbox.py). In development, `make run` also runs one worker on a thread of the web
process (OUTBOX_INLINE_WORKER), so that SMS codes and template messages show in the simulator.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

from wechat_app import clock, inline, sms
from wechat_app.domain import exam_admin, exams, item_analysis, outbox
from wechat_app.domain.errors import DomainError
from wechat_app.domain.outbox import Claimed, Result
from wechat_app.extensions import db
from wechat_app.logconfig import safe_exc_info
from wechat_app.verifier_worker import verify_round
from wechat_app.wechat.sender import attempt as send

log = logging.getLogger("wechat_app.worker")


# Deliveries of one batch run on threads: each is mostly waiting on the WeChat API (tens of ms from
# China's data centres), so throughput is the number in flight (OUTBOX_SEND_THREADS per worker).
SEND_THREADS = 8
# How often a worker runs the exam jobs (submit papers past their deadline, queue reminders, judge
# photos, analyse the questions of closed papers): on their own clock, between two batches of a
# fan-out as well as when idle.
JOBS_EVERY = 60.0


def judge_faces() -> int:
    """Face work a person waits for, left over by the verifier workers (`flask exams faces`) should
    none run: a round a minute, by the same leases (the photos' references are the verifiers' alone)."""
    return verify_round(batch=5, ahead=False)


def exam_jobs() -> None:
    """The clock's side of exams, safe to run on every worker at once: a paper another worker is
    submitting, or a reminder it queued, is a conflict that this run can leave to it. A job that
    fails is logged and left to the next run; the other jobs and the deliveries go on."""
    for job in (exams.submit_overdue, exam_admin.remind, judge_faces, item_analysis.refresh_due):
        try:
            job()
        except DomainError as exc:
            log.info("exam job %s left to another worker: %s", job.__name__, exc.message)
        except Exception:
            db.session.rollback()
            log.error("exam job %s failed; it runs again in %.0f s", job.__name__, JOBS_EVERY, exc_info=safe_exc_info())


def attempt(app: Flask, notice: Claimed) -> Result:
    with app.app_context():
        try:
            if notice.channel == "sms":
                return sms.attempt(notice)
            return send(notice)
        except Exception:
            log.error("delivery of notification %s failed", notice.id, exc_info=safe_exc_info())
            return Result(notice.id, "retry", notice.attempts, error="internal error")


def run_worker(batch: int = 50, idle_sleep: float = 1.0, once: bool = False, drain: bool = False) -> int:
    """Deliver until stopped; with `once`, until nothing is due; with `drain`, until nothing is left
    to deliver at all (rows waiting for a retry included). Returns the rows handled."""
    app = current_app._get_current_object()
    handled, jobs_at = 0, 0.0
    threads = app.config.get("OUTBOX_SEND_THREADS", SEND_THREADS)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox-send") as pool:
        while True:
            if time.monotonic() - jobs_at >= JOBS_EVERY:
                exam_jobs()
                jobs_at = time.monotonic()
            notices = outbox.claim_due(batch)
            if notices:
                results = list(pool.map(lambda notice: attempt(app, notice), notices))
                if any(result.status == "quota" for result in results):
                    until = outbox.pause_templates(clock.now())
                    log.warning("template quota used up (45009): template messages paused until %s", until)
                outbox.record(results)
                handled += len(notices)
                continue
            if once or (drain and not outbox.undelivered()):
                return handled
            time.sleep(min(idle_sleep, 0.2) if drain else idle_sleep)


def start_inline(app: Flask) -> None:
    """Development only: one outbox worker on a thread of the web process (wechat_app/inline.py)."""
    inline.start_with_first_request(app, "outbox-inline", lambda: run_worker(idle_sleep=0.5))

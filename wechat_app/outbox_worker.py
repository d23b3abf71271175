"""`flask notify worker`: drains the outbox, each row by its channel (WeChat or SMS).

Several workers on several machines share the work: rows are claimed with a lease (see
domain/outbox.py). In development, `make run` also runs one worker on a thread of the web
process (OUTBOX_INLINE_WORKER), so that SMS codes and template messages show in the simulator.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from wechat_app.domain import outbox
from wechat_app.models import Notification

log = logging.getLogger("wechat_app.worker")


def deliver(notice: Notification) -> str:
    if notice.channel == "sms":
        from wechat_app import sms

        return sms.deliver(notice)
    from wechat_app.wechat.sender import send_one

    return send_one(notice)


def run_worker(batch: int = 50, idle_sleep: float = 1.0, once: bool = False) -> int:
    """Drain the outbox until stopped (or until nothing is due, with `once`); returns rows handled."""
    handled = 0
    while True:
        notices = outbox.claim_due(batch)
        for notice in notices:
            try:
                deliver(notice)
            except Exception:
                log.exception("delivery of notification %s failed", notice.id)
                outbox.mark_retry(notice.id, notice.attempts, "internal error")
        handled += len(notices)
        if not notices:
            if once:
                return handled
            time.sleep(idle_sleep)


def start_inline(app: Flask) -> None:
    """Development only: one worker thread inside the web process, started with the first request."""
    started = threading.Event()

    @app.before_request
    def start_once():
        if started.is_set():
            return
        started.set()

        def loop():
            while True:
                with app.app_context():
                    try:
                        run_worker(idle_sleep=0.5)
                    except Exception:
                        log.exception("inline outbox worker crashed; restarting")
                time.sleep(1)

        threading.Thread(target=loop, name="outbox-inline", daemon=True).start()

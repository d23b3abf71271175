"""Development only (`make run`, OUTBOX_INLINE_WORKER): a worker on a thread of the web process, so that
SMS codes, template messages and face checks are handled without starting the worker commands.
Started with the first request, never when a CLI command (`flask db upgrade`) builds the same app."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from wechat_app.logconfig import safe_exc_info

log = logging.getLogger("wechat_app.inline")


def start_with_first_request(app: Flask, name: str, run: Callable[[], object]) -> None:
    """Run `run` (a worker's loop) on a daemon thread in the app's context, restarted if it fails."""
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
                        run()
                    except Exception:
                        log.error("inline %s crashed; restarting", name, exc_info=safe_exc_info())
                time.sleep(1)

        threading.Thread(target=loop, name=name, daemon=True).start()

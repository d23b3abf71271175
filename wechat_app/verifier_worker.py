"""`flask exams faces`: a verifier worker. Face work is CPU (dlib: ~0.17 s a check on one core), so it
runs here, never in a web request: the page posts its frames and polls (portal/exams.py face_result).

Each round takes, in this order, what a person is waiting for, then what can wait: the pre-exam
checks (a physician is on the page), the photos taken during papers (judged within minutes), and the
registration photos of approved registrations not yet measured (so that 09:00's checks only measure
the frames). Run one per core; they share the work by leases. In development `make run` runs one on
a thread of the web process (OUTBOX_INLINE_WORKER), as it does the outbox worker.
"""
from __future__ import annotations

import time

from flask import Flask, current_app

from wechat_app import inline
from wechat_app.domain import captures, face_checks
from wechat_app.face import verifier


def verify_round(batch: int = 10, ahead: bool = True) -> int:
    """One round: the first kind of work that has any, up to `batch` items (with `ahead`, measuring
    the photos of approved registrations too). Returns how many."""
    face = verifier()
    return (face_checks.judge_due(face, current_app.config["FACE_MAX_TRIES"], batch)
            or captures.judge_due(face, batch)
            or (face_checks.measure_due(face, batch) if ahead else 0))


def run_verifier(batch: int = 10, once: bool = False, idle_sleep: float = 0.5) -> int:
    """Judge until stopped (with `once`: until nothing is left). Returns the items handled."""
    handled = 0
    while True:
        done = verify_round(batch)
        handled += done
        if not done:
            if once:
                return handled
            time.sleep(idle_sleep)


def start_inline(app: Flask) -> None:
    """Development only: one verifier on a thread of the web process (wechat_app/inline.py)."""
    inline.start_with_first_request(app, "verifier-inline", lambda: run_verifier(batch=5))

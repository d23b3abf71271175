"""Rate limits, keyed by who asks, not where from: every limit of the service is here.

A hospital's physicians reach us through one NAT address (a 3,000-bed hospital: hundreds of them
registering on the same morning, a ward watching lessons at once), so a limit per address either
throttles a hospital or lets one abuser through. Signed-in requests are counted per account
(physician or staff); before sign-in, per WeChat identity where WeChat has told us who the browser is
(the openid from OAuth, hashed: the key lives in Redis); only then per address, with ceilings a
hospital's NAT fits under. Brute force against one account is stopped by the lockout counters
(domain/lockout.py), which are per account whatever the address."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import request, session
from flask_login import current_user

from wechat_app.extensions import limiter

F = TypeVar("F", bound=Callable)


def who() -> str:
    """The key of the person asking: their account, else their WeChat identity, else the address."""
    if current_user.is_authenticated:
        return f"account:{current_user.get_id()}"
    openid = session.get("openid")
    if openid:
        return "openid:" + hashlib.sha256(openid.encode()).hexdigest()[:24]
    return where()


def where() -> str:
    return f"address:{request.remote_addr}"


def claimed() -> str:
    """Before sign-in on a sign-in form: the account the form names (ID number or staff user name,
    hashed: the key lives in Redis), so that each account's tries are counted on their own."""
    named = (request.form.get("id_number") or request.form.get("username") or "").strip().upper() \
        or (f"reset:{session['reset_physician_id']}" if session.get("reset_physician_id") else "")
    if not named:
        return who()
    return "claimed:" + hashlib.sha256(named.encode()).hexdigest()[:24]


def per_account(limit: str, methods: list[str] | None = None) -> Callable[[F], F]:
    """For signed-in endpoints: each account has `limit` on its own."""
    return limiter.limit(limit, key_func=who, methods=methods)


def per_claimed_account(limit: str, methods: list[str] | None = None) -> Callable[[F], F]:
    """For sign-in forms: each account the form names has `limit` on its own."""
    return limiter.limit(limit, key_func=claimed, methods=methods)


def per_address(limit: str, methods: list[str] | None = None) -> Callable[[F], F]:
    """For anonymous endpoints, a ceiling for the whole address: set so that a hospital's morning
    (a few hundred people signing in, binding, resetting a password) fits under it; the person's own
    limit (`per_account`, keyed by openid before sign-in) is stacked on top where there is one."""
    return limiter.limit(limit, key_func=where, methods=methods)


# --- the limits, by endpoint ------------------------------------------------------------------
# Registration: the wizard autosaves on every change (a burst while a form is typed) and saves a step
# per 下一步; a person needs tens a minute, a script thousands.
REGISTRATION_STEP = "120/minute"
REGISTRATION_SUBMIT = "10/minute"
# Lessons: the player posts its position every 10 s and on pause/leave; one lesson at a time.
LESSON_POSITION = "60/minute"
MOCK_START = "20/minute"
PRACTICE_ANSWER = "300/minute"
# The paper: an answer per tap (300 a minute is a tap every 0.2 s); the face check's frames and the
# start are tried a few times at most; captures come 2–3 per attempt; 切屏 reports per visibility change.
FACE_FRAMES = "20/minute"
EXAM_START = "10/minute"
EXAM_ANSWER = "300/minute"
EXAM_CAPTURE = "10/minute"
EXAM_AWAY = "60/minute"
SMS_SEND = "5/minute;20/hour"  # and the verification module's 60 s per phone
# Before sign-in. Per person (openid or address): a few tries; per address: a hospital's morning.
SIGN_IN_PERSON = "20/minute;100/hour"
SIGN_IN_ADDRESS = "600/minute;6000/hour"
PASSWORD_RESET_PERSON = "10/minute;50/hour"
PASSWORD_RESET_ADDRESS = "300/minute;3000/hour"
# 考核结果通知书 verification: printed notices checked by an employer, not a crawler of all tokens.
NOTICE_VERIFY = "60/minute"

"""Password checks with lockout, shared by physicians and staff.

A lockout anyone can trigger by knowing an ID number would be a denial of service, so what locks
is the pair (account, source address): five wrong passwords from one address lock that address out
of that account for 15 minutes, with the seed's visible counter ("还可尝试N次"). The account as a
whole is never locked for everyone; instead, after ten wrong passwords from anywhere within 15
minutes, attempts on it are spaced out (2, 4, 8 … up to 60 seconds apart), which stops guessing from
many addresses without keeping the physician out for long.

The counters live in the shared key-value store (Redis in production, required there). They are
keyed by a fingerprint of the current password hash, so a password change or an institution's
reset starts them afresh. Staff sign-in counts unknown user names the same way, so the answers for
"no such user" and "wrong password" cannot be told apart.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import lru_cache

from wechat_app import clock
from wechat_app.domain import audit, passwords
from wechat_app.domain.errors import DomainError
from wechat_app.domain.sessions import end_sessions
from wechat_app.extensions import db, kv

MAX_FAILURES = 5
LOCK_MINUTES = 15
THROTTLE_AFTER = 10
THROTTLE_MAX_SECONDS = 60
WINDOW_SECONDS = LOCK_MINUTES * 60


def check_password(account, password: str, kind: str, ip: str | None, wrong: str, *, name: str = "") -> None:
    """Return when `password` is right; else DomainError. `account` may be None (an unknown staff user
    name, counted under `name`). `wrong` is the message for a wrong password, with `{left}`."""
    key = account_key(account, kind, name)
    source = f"{key}:{ip or '-'}"
    now = clock.now()
    locked_until = when(kv.get(f"login:lock:{source}"))
    if locked_until and locked_until > now:
        raise DomainError(locked_message(locked_until, now), status=429)
    not_before = when(kv.get(f"login:wait:{key}"))
    if not_before and not_before > now:
        seconds = max(1, int((not_before - now).total_seconds() + 0.999))
        raise DomainError(f"该账号登录尝试过于频繁，请{seconds}秒后再试。", status=429)
    if account is not None and passwords.verify(account.password_hash, password):
        kv.delete(f"login:fail:{source}")
        return
    if account is None:
        passwords.verify(dummy_hash(), password)  # an unknown name costs the time of a real check
    spread_out(key, now)
    failures = kv.incr(f"login:fail:{source}", WINDOW_SECONDS)
    if failures < MAX_FAILURES:
        raise DomainError(wrong.format(left=MAX_FAILURES - failures))
    until = now + timedelta(minutes=LOCK_MINUTES)
    kv.set(f"login:lock:{source}", until.isoformat(), WINDOW_SECONDS)
    kv.delete(f"login:fail:{source}")
    if account is not None:
        end_sessions(account)
        audit.record(kind, account.id, "account_locked", kind, account.id, ip)
        db.session.commit()  # the lock is recorded even though the sign-in it ends is refused
    raise DomainError(locked_message(until, now), status=429)


def spread_out(key: str, now: datetime) -> None:
    """Account-wide: past THROTTLE_AFTER failures in the window, the next attempt must wait."""
    total = kv.incr(f"login:total:{key}", WINDOW_SECONDS)
    if total >= THROTTLE_AFTER:
        seconds = min(2 ** (total - THROTTLE_AFTER + 1), THROTTLE_MAX_SECONDS)
        kv.set(f"login:wait:{key}", (now + timedelta(seconds=seconds)).isoformat(), seconds + 1)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    return passwords.hash_password("no-such-account-placeholder")


def account_key(account, kind: str, name: str) -> str:
    if account is None:
        return f"{kind}:unknown:{hashlib.sha256(name.strip().lower().encode()).hexdigest()[:24]}"
    fingerprint = hashlib.sha256(account.password_hash.encode()).hexdigest()[:12]
    return f"{kind}:{account.id}:{fingerprint}"


def locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return f"密码错误次数过多，已暂停从您当前网络登录该账号，请{minutes}分钟后再试。"


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None

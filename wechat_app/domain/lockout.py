"""Password lockout shared by physicians and staff: five wrong passwords lock the account for 15
minutes; a locked account is refused before its password is even checked."""
from __future__ import annotations

from datetime import timedelta

from wechat_app import clock

MAX_FAILURES = 5
LOCK_MINUTES = 15


class Locked(ValueError):
    """The message says how long the lock lasts."""


def refuse_if_locked(account) -> None:
    now = clock.now()
    if account.locked_until and account.locked_until > now:
        minutes = max(1, int((account.locked_until - now).total_seconds() + 59) // 60)
        raise Locked(f"密码错误次数过多，账号已锁定，请{minutes}分钟后再试。")


def record_failure(account) -> int | None:
    """Count a wrong password; returns the tries left, or None when this failure locked the account.
    The caller commits."""
    account.failed_logins += 1
    left = MAX_FAILURES - account.failed_logins
    if left > 0:
        return left
    account.failed_logins = 0
    account.locked_until = clock.now() + timedelta(minutes=LOCK_MINUTES)
    return None


def record_success(account) -> None:
    account.failed_logins = 0
    account.locked_until = None

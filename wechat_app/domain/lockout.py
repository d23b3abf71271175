"""Password checks with lockout, shared by physicians and staff: five wrong passwords lock the
account for 15 minutes; a locked account is refused before its password is even checked."""
from __future__ import annotations

from datetime import timedelta

from wechat_app import clock
from wechat_app.domain import audit, passwords
from wechat_app.domain.sessions import end_sessions
from wechat_app.extensions import db

MAX_FAILURES = 5
LOCK_MINUTES = 15


class Refused(ValueError):
    """Locked, or a wrong password: the message says so (and how many tries are left)."""


def check_password(account, password: str, kind: str, ip: str | None, wrong: str) -> None:
    """Refused, or return with the failure count reset; commits either way. `wrong` is the message
    for a wrong password, with `{left}` for the tries left."""
    now = clock.now()
    if account.locked_until and account.locked_until > now:
        minutes = max(1, int((account.locked_until - now).total_seconds() + 59) // 60)
        raise Refused(f"密码错误次数过多，账号已锁定，请{minutes}分钟后再试。")
    if passwords.verify(account.password_hash, password):
        account.failed_logins, account.locked_until = 0, None
        db.session.commit()
        return
    account.failed_logins += 1
    left = MAX_FAILURES - account.failed_logins
    if left <= 0:
        account.failed_logins, account.locked_until = 0, now + timedelta(minutes=LOCK_MINUTES)
        end_sessions(account)
        audit.record(kind, account.id, "account_locked", kind, account.id, ip)
    db.session.commit()
    if left <= 0:
        raise Refused(f"密码错误次数过多，账号已锁定，请{LOCK_MINUTES}分钟后再试。")
    raise Refused(wrong.format(left=left))

"""Console sign-in: account + password (+ captcha, checked by the view), with the same lockout as
physicians."""
from __future__ import annotations

from sqlalchemy import select

from wechat_app.domain import audit, lockout, passwords
from wechat_app.extensions import db
from wechat_app.models import Staff


class StaffLoginError(ValueError):
    pass


def authenticate(username: str, password: str, ip: str | None) -> Staff:
    staff = db.session.scalar(select(Staff).where(Staff.username == (username or "").strip()))
    if staff is None or not staff.active:
        raise UnknownAccount()
    try:
        lockout.refuse_if_locked(staff)
    except lockout.Locked as exc:
        raise StaffLoginError(str(exc)) from None
    if not passwords.verify(staff.password_hash, password):
        left = lockout.record_failure(staff)
        if left is None:
            audit.record("staff", staff.id, "account_locked", "staff", staff.id, ip)
        db.session.commit()
        if left is None:
            raise StaffLoginError(f"密码错误次数过多，账号已锁定，请{lockout.LOCK_MINUTES}分钟后再试。")
        raise StaffLoginError(f"账号或密码错误，还可尝试{left}次。")
    lockout.record_success(staff)
    audit.record("staff", staff.id, "staff_login", "staff", staff.id, ip)
    db.session.commit()
    return staff


class UnknownAccount(StaffLoginError):
    def __init__(self) -> None:
        super().__init__("账号或密码错误。")

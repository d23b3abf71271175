"""Console sign-in: account + password (+ captcha, checked by the view), with the same lockout as
physicians."""
from __future__ import annotations

from sqlalchemy import select

from wechat_app.domain import audit, lockout
from wechat_app.extensions import db
from wechat_app.models import Staff


class StaffLoginError(ValueError):
    pass


def authenticate(username: str, password: str, ip: str | None) -> Staff:
    staff = db.session.scalar(select(Staff).where(Staff.username == (username or "").strip()))
    if staff is None or not staff.active:
        raise UnknownAccount()
    try:
        lockout.check_password(staff, password, "staff", ip, "账号或密码错误，还可尝试{left}次。")
    except lockout.Refused as exc:
        raise StaffLoginError(str(exc)) from None
    audit.record("staff", staff.id, "staff_login", "staff", staff.id, ip)
    db.session.commit()
    return staff


class UnknownAccount(StaffLoginError):
    def __init__(self) -> None:
        super().__init__("账号或密码错误。")

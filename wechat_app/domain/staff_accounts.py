"""Console sign-in: account + password (+ captcha, checked by the view), with the same lockout as
physicians."""
from __future__ import annotations

from sqlalchemy import select

from wechat_app.domain import audit, lockout
from wechat_app.domain.errors import DomainError
from wechat_app.domain.passwords import hash_password, policy_errors
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.extensions import db
from wechat_app.models import AssessmentBody, HealthAuthority, Institution, Staff


def authenticate(username: str, password: str, ip: str | None) -> Staff:
    """The staff member for these credentials. An unknown or inactive user name is answered exactly
    like a wrong password (same message, same counter, same time)."""
    name = (username or "").strip()[:40]
    staff = db.session.scalar(select(Staff).where(Staff.username == name))
    if staff is not None and not staff.active:
        staff = None
    lockout.check_password(staff, password, "staff", ip, "账号或密码错误，还可尝试{left}次。", name=name)
    if staff is None:  # check_password refuses an unknown name; this only tells the type checker
        raise DomainError("账号或密码错误。")
    with unit_of_work():
        audit.record("staff", staff.id, "staff_login", "staff", staff.id, ip)
    return staff


@use_case()
def create_staff(username: str, name: str, role: str, organisation: str, password: str) -> Staff:
    """A console account for the institution, assessment body or health authority named
    `organisation` (by its exact name). Used by `flask staff create`."""

    organisations: dict[str, tuple[type[Institution] | type[AssessmentBody] | type[HealthAuthority], str]] = {
        "institution": (Institution, "institution_id"), "assessor": (AssessmentBody, "assessment_body_id"),
        "authority": (HealthAuthority, "health_authority_id")}
    model, column = organisations[role]
    org_id = db.session.scalar(select(model.id).where(model.name == organisation))
    if org_id is None:
        raise DomainError(f"没有名为“{organisation}”的机构。")
    if db.session.scalar(select(Staff).where(Staff.username == username)) is not None:
        raise DomainError(f"账号“{username}”已存在。")
    problems = policy_errors(password, id_numbers=())
    if problems:
        raise DomainError("".join(problems))
    staff = Staff(username=username, name=name, role=role, password_hash=hash_password(password), **{column: org_id})
    db.session.add(staff)
    db.session.flush()
    audit.record("system", None, "staff_create", "staff", staff.id, None, role=role)
    return staff

"""Console sign-in: account + password (+ captcha, checked by the view), with the same lockout as
physicians; and the province's 机构与账号: institutions and console accounts created, accounts
deactivated and their passwords reset by the provincial authority (a one-time password, shown once)."""
from __future__ import annotations

import re
import secrets
import string

from sqlalchemy import or_, select

from wechat_app.domain import audit, lockout
from wechat_app.domain.errors import DomainError
from wechat_app.domain.passwords import hash_password, policy_errors
from wechat_app.domain.scopes import authority_ids, institution_ids, own_authority
from wechat_app.domain.sessions import end_sessions
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.extensions import db
from wechat_app.models import AssessmentBody, HealthAuthority, Institution, Staff
from wechat_app.models.enums import Role


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
    model = ORGANISATIONS[Role(role)][0]
    org_id = db.session.scalar(select(model.id).where(model.name == organisation))
    if org_id is None:
        raise DomainError(f"没有名为“{organisation}”的机构。")
    if db.session.scalar(select(Staff).where(Staff.username == username)) is not None:
        raise DomainError(f"账号“{username}”已存在。")
    problems = policy_errors(password, id_numbers=())
    if problems:
        raise DomainError("".join(problems))
    return added_account(username, name, Role(role), org_id, password, None, None)


# Where each kind of account belongs: the organisation's model and the Staff column naming it.
ORGANISATIONS: dict[Role, tuple[type[Institution] | type[AssessmentBody] | type[HealthAuthority], str]] = {
    Role.INSTITUTION: (Institution, "institution_id"), Role.ASSESSOR: (AssessmentBody, "assessment_body_id"),
    Role.AUTHORITY: (HealthAuthority, "health_authority_id")}


def added_account(username: str, name: str, role: Role, organisation_id: int, password: str, creator: Staff | None,
                  ip: str | None) -> Staff:
    """The one place a console account is made (`flask staff create`, the province, an approval), logged
    as made by `creator` (None: the system)."""
    account = Staff(username=username, name=name, role=role.value, password_hash=hash_password(password),
                    **{ORGANISATIONS[role][1]: organisation_id})
    db.session.add(account)
    db.session.flush()
    audit.record("staff" if creator else "system", creator.id if creator else None, "staff_create", "staff", account.id,
                 ip, role=role.value)
    return account


# --- 账号与机构 (the province's console: issue 23) -------------------------------------------------

USERNAME = re.compile(r"[a-z][a-z0-9_]{2,39}")
ROLES = {Role.INSTITUTION: "医疗卫生机构", Role.ASSESSOR: "考核机构", Role.AUTHORITY: "卫生行政部门"}


def managing(staff: Staff) -> HealthAuthority:
    """The provincial authority creates institutions and console accounts; a city or district reads."""
    authority = own_authority(staff) if staff.role == Role.AUTHORITY else None
    if authority is None or authority.parent_id is not None:
        raise DomainError("机构与账号由省级卫生健康行政部门管理，您只能查看。", status=403)
    return authority


def accounts_in(staff: Staff):
    """The console accounts of the staff member's region: its institutions', its authorities' and (for
    the province) its assessment bodies', newest first."""
    authority = own_authority(staff)
    query = select(Staff).where(or_(Staff.institution_id.in_(institution_ids(staff)),
                                    Staff.health_authority_id.in_(authority_ids(authority.id))))
    if authority.parent_id is None:
        query = select(Staff).where(or_(Staff.institution_id.in_(institution_ids(staff)),
                                        Staff.health_authority_id.in_(authority_ids(authority.id)),
                                        Staff.assessment_body_id.in_(select(AssessmentBody.id).where(
                                            AssessmentBody.province_id == authority.province_id))))
    return query.order_by(Staff.id.desc())


def one_time_password() -> str:
    """An initial password that passes the policy (letters of both cases and digits, 12 characters), shown
    once to whoever created or reset the account, who hands it over."""
    alphabet = string.ascii_letters + string.digits
    while True:
        word = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.islower() for c in word) and any(c.isupper() for c in word) and any(c.isdigit() for c in word):
            return word


def organisation_in_scope(staff: Staff, role: str, organisation_id: int | None) -> int:
    authority = managing(staff)
    found = None
    if role == Role.INSTITUTION and organisation_id in institution_ids(staff):
        found = organisation_id
    elif role == Role.ASSESSOR:
        found = db.session.scalar(select(AssessmentBody.id).where(AssessmentBody.id == organisation_id,
                                                                  AssessmentBody.province_id == authority.province_id))
    elif role == Role.AUTHORITY and organisation_id in authority_ids(authority.id):
        found = organisation_id
    if found is None:
        raise DomainError("请选择本省的机构。")
    return found


@use_case("该账号名刚被占用，请换一个。")
def create_account(staff: Staff, role: str, organisation_id: int | None, username: str, name: str,
                   ip: str | None) -> tuple[Staff, str]:
    """A console account for an organisation of the province; returns it and its one-time password."""
    if role not in ROLES:
        raise DomainError("请选择账号类型。")
    org_id = organisation_in_scope(staff, role, organisation_id)
    username, name = (username or "").strip().lower(), (name or "").strip()
    if not USERNAME.fullmatch(username):
        raise DomainError("账号须为3至40位小写字母、数字或下划线，以字母开头。")
    if not name or len(name) > 40:
        raise DomainError("请填写使用人姓名（40字以内）。")
    if db.session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise DomainError(f"账号“{username}”已存在，请换一个。")
    password = one_time_password()
    return added_account(username, name, Role(role), org_id, password, staff, ip), password


def managed_account(staff: Staff, account_id: int) -> Staff:
    managing(staff)
    account = db.session.scalar(accounts_in(staff).where(Staff.id == account_id))
    if account is None:
        raise DomainError("账号不存在。", status=404)
    return account


@use_case()
def set_active(staff: Staff, account_id: int, active: bool, ip: str | None) -> Staff:
    account = managed_account(staff, account_id)
    if account.id == staff.id and not active:
        raise DomainError("不能停用自己的账号。")
    account.active = active
    if not active:
        end_sessions(account)  # signed out everywhere at once
    audit.record("staff", staff.id, "staff_activate" if active else "staff_deactivate", "staff", account.id, ip)
    return account


@use_case()
def reset_password(staff: Staff, account_id: int, ip: str | None) -> tuple[Staff, str]:
    account = managed_account(staff, account_id)
    password = one_time_password()
    account.password_hash = hash_password(password)
    end_sessions(account)
    audit.record("staff", staff.id, "staff_reset_password", "staff", account.id, ip)
    return account, password


@use_case("该机构名称刚被占用，请换一个。")
def create_institution(staff: Staff, name: str, kind: str, beds: int | None, authority_id: int | None,
                       body_id: int | None, ip: str | None) -> Institution:
    """医疗卫生机构 of the province, under one of its authorities, with an assessment body or none yet."""
    authority = managing(staff)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError("请填写机构名称（80字以内）。")
    if kind not in INSTITUTION_KINDS:
        raise DomainError(f"机构类别应为{'、'.join(INSTITUTION_KINDS)}之一。")
    if authority_id not in authority_ids(authority.id):
        raise DomainError("请选择本省的卫生健康行政部门。")
    if body_id is not None and db.session.scalar(select(AssessmentBody.id).where(
            AssessmentBody.id == body_id, AssessmentBody.province_id == authority.province_id)) is None:
        raise DomainError("请选择本省的考核机构。")
    if db.session.scalar(select(Institution.id).where(Institution.name == name)) is not None:
        raise DomainError(f"已有名为“{name}”的机构。")
    institution = Institution(province_id=authority.province_id, health_authority_id=authority_id,
                              assessment_body_id=body_id, name=name, kind=kind, beds=beds)
    db.session.add(institution)
    db.session.flush()
    audit.record("staff", staff.id, "institution_create", "institution", institution.id, ip)
    return institution


def first_login(body: AssessmentBody, approver: Staff, ip: str | None) -> tuple[Staff, str] | None:
    """The login an approved 考核机构 starts with (kh + its number), unless it has one: part of the
    approval, whoever in the region approved it. Returns it and its one-time password."""
    db.session.flush()  # a body made in this approval has its id now
    if db.session.scalar(select(Staff.id).where(Staff.assessment_body_id == body.id).limit(1)) is not None:
        return None
    username = f"kh{body.id:04d}"
    while db.session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        username += "x"
    password = one_time_password()
    return added_account(username, f"{body.name[:30]}管理员", Role.ASSESSOR, body.id, password, approver, ip), password


INSTITUTION_KINDS = ("医院", "社区卫生服务中心", "乡镇卫生院", "诊所", "预防保健机构", "其他")

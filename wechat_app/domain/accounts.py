"""Physician accounts: sign-in with lockout, WeChat binding, passwords and phone.

One openid ↔ one physician (unique `wechat_users.physician_id`). Binding needs the account's
password; binding an account that another openid holds moves the binding, and the old openid is
told by a template message. Every binding change and password change is audited.
"""
from __future__ import annotations

from sqlalchemy import select

from wechat_app import clock
from wechat_app.domain import audit, lockout, notifications, passwords, verification
from wechat_app.domain.errors import DomainError
from wechat_app.domain.followers import follower
from wechat_app.domain.idnumbers import mask_phone, to_15
from wechat_app.domain.registration import Actor
from wechat_app.domain.sessions import end_sessions
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import Physician, WeChatUser
from wechat_app.models.physician import id_number_indexes

SHARED_INITIAL_WITHOUT_PHONE = (
    "您的账号尚未登记手机号，不能使用初始密码666666首次登录。请联系主要执业机构的定考负责人在【医师管理】中"
    "【重置密码】，领取一次性初始密码后登录。"
)
NOT_FOUND = (
    "系统中没有找到该证件号码的医师账号。请确认输入的是执业注册时使用的证件号码；"
    "如仍无法登录，说明您的信息尚未进入定考系统，请联系您主要执业机构的定考负责人，"
    "在【医师管理】中为您【新增医师】，或从原单位【调入医师】。"
)


def with_id_number(raw_id: str):
    """Physicians whose ID number is `raw_id` in any form it was typed or stored: 15 or 18 digits,
    x or X, full-width (through the blind index). Raises DomainError for a wrong check character."""
    return select(Physician).where(Physician.id_number_index.in_(id_number_indexes(raw_id)))


def find_physician(raw_id: str) -> Physician | None:
    return db.session.scalar(with_id_number(raw_id))


def authenticate(raw_id: str, password: str, ip: str | None) -> Physician:
    """The physician for these credentials, or DomainError (see domain/lockout.py)."""
    physician = find_physician(raw_id)
    if physician is None:
        raise DomainError(NOT_FOUND)
    lockout.check_password(physician, password, "physician", ip,
                           "证件号码或密码错误，还可尝试{left}次。初始密码为666666，修改过请输入新密码。")
    if physician.must_change_password and not physician.phone and password == passwords.INITIAL_PASSWORD:
        # Anyone who knows an ID number knows this password: with no phone on record to send the
        # first sign-in's code to, it opens nothing (issue 20); the institution hands out a one-time one.
        raise DomainError(SHARED_INITIAL_WITHOUT_PHONE, status=403)
    return physician


@use_case()
def bind(physician: Physician, openid: str, actor: Actor) -> str | None:
    """Bind `openid` to `physician`; returns the openid it replaced, if any (told by a notice)."""
    user = follower(openid)
    if user.physician_id == physician.id:
        return None
    previous = db.session.scalar(select(WeChatUser).where(WeChatUser.physician_id == physician.id))
    replaced = None
    if previous is not None:
        replaced = previous.openid
        previous.physician_id = None
        previous.bound_at = None
        db.session.flush()  # free the unique physician_id before taking it
        notifications.queue_template(
            physician, "account_notice",
            {"thing1": "微信绑定已变更", "time2": f"{clock.now():%Y-%m-%d %H:%M}",
             "thing3": "账号已在另一微信绑定，如非本人操作请联系机构"},
            "/m/account", f"binding-replaced:{physician.id}:{previous.openid}:{clock.now():%Y%m%d%H%M%S}",
            openid=previous.openid)
    if user.physician_id is not None:
        audit.record(actor.role, actor.id, "wechat_unbind", "physician", user.physician_id, actor.ip,
                     reason="openid bound to another account")
    user.physician_id = physician.id
    user.bound_at = clock.now()
    audit.record(actor.role, actor.id, "wechat_bind", "physician", physician.id, actor.ip, replaced=bool(replaced))
    return replaced


@use_case()
def unbind(physician: Physician, actor: Actor) -> bool:
    user = db.session.scalar(select(WeChatUser).where(WeChatUser.physician_id == physician.id))
    if user is None:
        return False
    user.physician_id = None
    user.bound_at = None
    end_sessions(physician)
    audit.record(actor.role, actor.id, "wechat_unbind", "physician", physician.id, actor.ip)
    return True


def bound_openid(physician: Physician) -> str | None:
    return db.session.scalar(select(WeChatUser.openid).where(WeChatUser.physician_id == physician.id))


def password_errors(physician: Physician, new: str, confirm: str, old: str | None) -> list[str]:
    errors = []
    if old is not None and not passwords.verify(physician.password_hash, old):
        errors.append("原密码不正确。")
    if new != confirm:
        errors.append("两次输入的新密码不一致。")
    ids = (physician.id_number, physician.id_number_18 or "", to_15(physician.id_number_18) if physician.id_number_18 else "")
    return errors + passwords.policy_errors(new, id_numbers=ids, old=old)


def refuse_password(errors: list[str]) -> None:
    """Every problem with a new password at once, under the new password's field."""
    if errors:
        raise DomainError("".join(errors), fields={"new_password": "".join(errors)})


FIRST_SIGNIN = "first_login"  # the SMS purpose of the first sign-in's code, sent to the phone on record


def phone_problem(phone: str, code: str) -> str | None:
    if not verification.is_mobile(phone):
        return "请输入正确的11位手机号码。"
    return verification.check_sms_code(phone, "bind_phone", code)


@use_case()
def change_password(physician: Physician, old: str, new: str, confirm: str, actor: Actor) -> None:
    refuse_password(password_errors(physician, new, confirm, old))
    physician.password_hash = passwords.hash_password(new)
    physician.must_change_password = False
    end_sessions(physician)
    audit.record(actor.role, actor.id, "password_change", "physician", physician.id, actor.ip)


@use_case()
def first_login_setup(physician: Physician, old: str, new: str, confirm: str, phone: str | None,
                      code: str | None, actor: Actor) -> None:
    """The seed's 修改密码，绑定手机 page: new password, and the phone when none is on record. With a
    phone on record the code sent to it is required (`phone` None): whoever knows the ID number and
    666666 but not that phone gets nothing. Every problem by field at once; nothing is saved unless
    everything is right."""
    fields: dict[str, str | None] = {"new_password": "".join(password_errors(physician, new, confirm, old))}
    if phone is not None:  # a wrong number under 手机号, a wrong code under 验证码
        fields["phone" if not verification.is_mobile(phone) else "code"] = phone_problem(phone, code or "")
    elif physician.phone:
        fields["code"] = verification.check_sms_code(physician.phone, FIRST_SIGNIN, code or "")
    else:
        fields["phone"] = "请绑定本人手机号。"
    problems = {name: message for name, message in fields.items() if message}
    if problems:
        raise DomainError("".join(problems.values()), fields=problems)
    physician.password_hash = passwords.hash_password(new)
    physician.must_change_password = False
    end_sessions(physician)
    audit.record(actor.role, actor.id, "password_change", "physician", physician.id, actor.ip, first_login=True)
    if phone is not None:
        physician.phone = phone
        audit.record(actor.role, actor.id, "phone_bind", "physician", physician.id, actor.ip)


@use_case()
def change_phone(physician: Physician, phone: str, code: str, actor: Actor) -> None:
    problem = phone_problem(phone, code)
    if problem:
        raise DomainError(problem, fields={"code": problem})
    physician.phone = phone
    audit.record(actor.role, actor.id, "phone_bind", "physician", physician.id, actor.ip)


def send_reset_code(raw_id: str) -> tuple[Physician, str]:
    """Forgot password, step 1: the code goes to the bound phone; returns (physician, masked phone)."""
    physician = find_physician(raw_id)
    if physician is None:
        raise DomainError(NOT_FOUND)
    if not physician.phone:
        institution = physician.institution.name if physician.institution else "主要执业机构"
        raise DomainError(f"您的账号未绑定手机，无法通过短信找回密码。请联系{institution}的定考负责人为您重置密码"
                           f"（重置后为初始密码666666）。")
    verification.send_sms_code(physician.phone, "reset_password", f"physician:{physician.id}")
    return physician, mask_phone(physician.phone)


@use_case()
def reset_password(physician: Physician, code: str, new: str, confirm: str, actor: Actor) -> None:
    """Forgot password, step 2. A refused password leaves the code valid: fix it and submit again."""
    refuse_password(password_errors(physician, new, confirm, None))
    problem = verification.check_sms_code(physician.phone or "", "reset_password", code)
    if problem:
        raise DomainError(problem, fields={"new_password": problem})
    physician.password_hash = passwords.hash_password(new)
    physician.must_change_password = False
    end_sessions(physician)
    audit.record(actor.role, actor.id, "password_reset_sms", "physician", physician.id, actor.ip)


"""Passwords: hashing and the policy the seed states (FAQ 10): at least 8 characters with at least
three of upper-case letters, lower-case letters, digits and symbols."""
from __future__ import annotations

import secrets

from werkzeug.security import check_password_hash, generate_password_hash

INITIAL_PASSWORD = "666666"
MIN_LENGTH = 8
# A one-time initial password an institution hands to a physician with no phone on record: no
# look-alike characters (0/O, 1/l/I), 8 of 31 — about 40 bits, and good for one first sign-in only.
ONE_TIME_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def one_time_password() -> str:
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(8))


def initial_password_for(has_phone: bool) -> tuple[str, str | None]:
    """(hash, password to hand out) for a new or reset account. The seed's 666666 only where a phone
    is on record — the first sign-in then needs a code sent to that phone, so knowing an ID number is
    not enough to take the account; elsewhere a one-time password the institution hands out."""
    if has_phone:
        return hash_password(INITIAL_PASSWORD), None
    password = one_time_password()
    return hash_password(password), password


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def policy_errors(new: str, *, id_numbers: tuple[str, ...], old: str | None = None) -> list[str]:
    """Reasons `new` is not acceptable (empty when it is), each a sentence for the physician."""
    errors = []
    classes = sum((
        any(c.isupper() and c.isascii() for c in new),
        any(c.islower() and c.isascii() for c in new),
        any(c.isdigit() for c in new),
        any(not c.isalnum() for c in new),
    ))
    if len(new) < MIN_LENGTH or classes < 3:
        errors.append("密码长度不少于8位，且至少包含大写字母、小写字母、数字和特殊符号中的三种。")
    if old is not None and new == old:
        errors.append("新密码不能与原密码相同。")
    if any(number and number.upper() in new.upper() for number in id_numbers):
        errors.append("密码不能包含证件号码。")
    if new == INITIAL_PASSWORD:
        errors.append("不能使用初始密码。")
    return errors

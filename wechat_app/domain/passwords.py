"""Passwords: hashing and the policy the seed states (FAQ 10): at least 8 characters with at least
three of upper-case letters, lower-case letters, digits and symbols."""
from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

INITIAL_PASSWORD = "666666"
MIN_LENGTH = 8


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

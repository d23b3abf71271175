"""Column types of our own: `Encrypted` stores a string sealed with the PII keys (wechat_app/pii.py)
and gives it back in clear to Python. Equality in SQL cannot work on it (every seal is different):
look values up through a blind-index column instead."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from wechat_app import pii


class Encrypted(TypeDecorator):
    impl = String
    cache_ok = True

    def __init__(self, purpose: str, length: int = 255) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        return None if value is None else pii.seal(value, self.purpose)

    def process_result_value(self, value, dialect):
        return None if value is None else pii.unseal(value, self.purpose)

"""The one way a use case says no: `DomainError`, with a message for people, optional messages per
form field, and the HTTP status a view should answer with (400 by default; 403 for "not yours",
409 for a lost race, 429 for "too often")."""
from __future__ import annotations


class DomainError(ValueError):
    def __init__(self, message: str, *, status: int = 400, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fields = fields or {}

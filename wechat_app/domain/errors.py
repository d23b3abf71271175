"""The one way a use case says no: `DomainError`, with a message for people, optional messages per
form field, the HTTP status a view should answer with (400 by default; 403 for "not yours", 409 for
a lost race, 429 for "too often"), and any context a view needs to send the person where they can
fix it (e.g. `step=3` of the registration wizard). Views catch it; an uncaught one becomes an error
page with its message and status (wechat_app/errors.py)."""
from __future__ import annotations


class DomainError(ValueError):
    def __init__(self, message: str, *, status: int = 400, fields: dict[str, str] | None = None,
                 **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fields = fields or {}
        self.context = context

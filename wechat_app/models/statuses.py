"""The values a status column may hold, one enum per concept. The database refuses anything else
(a CHECK constraint made from the enum, see `check_in`); which value follows which is the domain's
business (the registration's transition table is in domain/registration.py)."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class Status(StrEnum):
    """A registration's state (DESIGN.md §4); labels for people are in domain/registration.py."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    DRAFT = "draft"
    PENDING_INSTITUTION = "pending_institution"
    PENDING_ASSESSOR = "pending_assessor"
    REJECTED = "rejected"
    AWAITING_TEST = "awaiting_test"
    EXEMPT = "exempt"
    PASSED = "passed"
    FAILED = "failed"
    MAKEUP = "makeup"


class ApplicationStatus(StrEnum):
    """免考申请 and 考核机构申请: decided once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeliveryStatus(StrEnum):
    """An outbox row on its way out."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"


def check_in(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_allowed")

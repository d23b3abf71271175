"""Session generations: every physician and staff account carries a counter, and a browser session
is good only while it holds the account's current value.

Sign-out, a password change or reset (by SMS or by the institution), unbinding WeChat, a lockout,
and a change of a staff member's role or activity all end every session of the account, on every
worker and node: the counter lives in the database row the user loader reads on each request
anyway, so the check costs nothing extra. (A bank's rule: a copied cookie must not outlive the
event that should have ended it.)
"""
from __future__ import annotations

from sqlalchemy import event

from wechat_app.domain.transaction import unit_of_work
from wechat_app.models import Physician, Staff


def end_sessions(account: Physician | Staff) -> None:
    """Invalidate every session of `account`; the caller's use case commits."""
    account.session_version = (account.session_version or 0) + 1


def sign_out(account: Physician | Staff) -> None:
    """The sign-out use case: this session and every copy of it end."""
    with unit_of_work():
        end_sessions(account)


@event.listens_for(Staff.role, "set", active_history=True)
@event.listens_for(Staff.active, "set", active_history=True)
def _staff_rights_changed(staff: Staff, value, old, _initiator) -> None:
    # A staff member's rights come from role and activity, whoever changes them through the ORM
    # (console, CLI, a shell): sessions opened under the old rights end.
    if staff.id is not None and old != value:
        end_sessions(staff)

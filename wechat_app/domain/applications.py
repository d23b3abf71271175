"""免考申请 and 考核机构申请 are decided once: pending → approved or rejected. This table is the only
place their status changes (the registration's own, larger table is in domain/registration.py)."""
from __future__ import annotations

from wechat_app.domain.errors import DomainError
from wechat_app.models.enums import ApplicationStatus

TRANSITIONS: dict[tuple[ApplicationStatus, bool], ApplicationStatus] = {
    (ApplicationStatus.PENDING, True): ApplicationStatus.APPROVED,
    (ApplicationStatus.PENDING, False): ApplicationStatus.REJECTED,
}


def decide(application, approve: bool, reason: str, already: str) -> ApplicationStatus:
    """Approve or reject `application` (a reason is required to reject); `already` is the message
    when it was decided before."""
    to = TRANSITIONS.get((ApplicationStatus(application.status), approve))
    if to is None:
        raise DomainError(already, status=409)
    if not approve and not (reason or "").strip():
        raise DomainError("不通过时必须填写原因。", fields={"reason": "不通过时必须填写原因。"})
    application.status = to
    return to

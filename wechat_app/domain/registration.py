"""Registration states and the labels the physician sees (DESIGN.md §4, verbatim from the seed).

The transition table and its guards arrive with the registration issue; this module is already
the only place that names a status, so that nothing else can invent one.
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
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


LABELS: dict[Status, str] = {
    Status.NOT_OPEN: "未开通报名，请联系医疗卫生机构",
    Status.OPEN: "已开通报名",
    Status.DRAFT: "填报中",
    Status.PENDING_INSTITUTION: "已报名-待医疗卫生机构审核",
    Status.PENDING_ASSESSOR: "已报名-待考核机构复核",
    Status.REJECTED: "已驳回",
    Status.AWAITING_TEST: "报名完成-等待测评",
    Status.EXEMPT: "免考",
    Status.PASSED: "考核合格",
    Status.FAILED: "考核不合格",
    Status.MAKEUP: "待补考",
}


def label(status: str | None) -> str:
    """The 当前任务 label; no registration row means the institution has not opened it yet."""
    return LABELS[Status(status) if status else Status.NOT_OPEN]


def demo_registration(physician_id: int, cycle_id: int, status: Status, procedure: str | None):
    """A registration already in `status`, for demo data only: real ones move through the table."""
    from wechat_app.models import Registration

    return Registration(physician_id=physician_id, cycle_id=cycle_id, status=status.value, procedure=procedure)

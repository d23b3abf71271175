"""免考申请 and 考核机构申请: decided once, through their own table."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from wechat_app.domain.applications import TRANSITIONS, decide
from wechat_app.domain.errors import DomainError
from wechat_app.models.enums import ApplicationStatus as A


def test_the_table_is_exactly_pending_to_approved_or_rejected():
    assert TRANSITIONS == {(A.PENDING, True): A.APPROVED, (A.PENDING, False): A.REJECTED}


@pytest.mark.parametrize("approve, expected", [(True, A.APPROVED), (False, A.REJECTED)])
def test_a_pending_application_is_decided(approve, expected):
    row = SimpleNamespace(status="pending")
    assert decide(row, approve, "材料不全", "已审核") == expected and row.status == expected


@pytest.mark.parametrize("status", [A.APPROVED, A.REJECTED])
@pytest.mark.parametrize("approve", [True, False])
def test_a_decided_application_is_not_decided_again(status, approve):
    row = SimpleNamespace(status=status.value)
    with pytest.raises(DomainError) as refused:
        decide(row, approve, "x", "该申请已审核。")
    assert refused.value.status == 409 and row.status == status.value


def test_a_rejection_needs_a_reason():
    row = SimpleNamespace(status="pending")
    with pytest.raises(DomainError, match="必须填写原因"):
        decide(row, False, "  ", "已审核")
    assert row.status == "pending"

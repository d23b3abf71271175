"""The state machine over every (state, action) pair, its guards, and its event trail."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from wechat_app.domain.errors import DomainError
from wechat_app.domain.registration import TRANSITIONS, Action, Actor, Role, Rule, Status, apply, check, label

TODAY = date(2026, 4, 20)
CYCLE = SimpleNamespace(registration_start=date(2026, 4, 13), registration_end=date(2026, 5, 6),
                        review_start=date(2026, 4, 13), review_end=date(2026, 5, 9),
                        exemption_review_start=date(2026, 4, 13), exemption_review_end=date(2026, 5, 9))


def registration(status: Status, deadline: date | None = None):
    return SimpleNamespace(status=status.value, cycle=CYCLE, resubmit_deadline=deadline, id=None)


S, A, R = Status, Action, Role
# Every allowed (state, action) → (next state, who may act, which window guards it), written out
# here from DESIGN.md §4 and the seed, not read back from the table: a wrong row must fail.
EXPECTED = {
    (S.NOT_OPEN, A.ENROLL): (S.OPEN, R.INSTITUTION, None),
    (S.OPEN, A.SAVE): (S.DRAFT, R.PHYSICIAN, "registration"),
    (S.DRAFT, A.SAVE): (S.DRAFT, R.PHYSICIAN, "registration"),
    (S.REJECTED, A.SAVE): (S.REJECTED, R.PHYSICIAN, "resubmission"),
    (S.OPEN, A.SUBMIT): (S.PENDING_INSTITUTION, R.PHYSICIAN, "registration"),
    (S.DRAFT, A.SUBMIT): (S.PENDING_INSTITUTION, R.PHYSICIAN, "registration"),
    (S.REJECTED, A.RESUBMIT): (S.PENDING_INSTITUTION, R.PHYSICIAN, "resubmission"),
    (S.PENDING_INSTITUTION, A.INSTITUTION_APPROVE): (S.PENDING_ASSESSOR, R.INSTITUTION, "review"),
    (S.PENDING_INSTITUTION, A.INSTITUTION_REJECT): (S.REJECTED, R.INSTITUTION, "review"),
    (S.PENDING_ASSESSOR, A.ASSESSOR_APPROVE): (S.AWAITING_TEST, R.ASSESSOR, "review"),
    (S.PENDING_ASSESSOR, A.ASSESSOR_REJECT): (S.REJECTED, R.ASSESSOR, "review"),
    (S.AWAITING_TEST, A.EXEMPT): (S.EXEMPT, R.ASSESSOR, "exemption_review"),
    (S.AWAITING_TEST, A.PASS): (S.PASSED, R.ASSESSOR, None),
    (S.AWAITING_TEST, A.FAIL): (S.FAILED, R.ASSESSOR, None),
    (S.EXEMPT, A.PASS): (S.PASSED, R.ASSESSOR, None),
    (S.EXEMPT, A.FAIL): (S.FAILED, R.ASSESSOR, None),
    (S.FAILED, A.MAKEUP): (S.MAKEUP, R.AUTHORITY, None),
    (S.MAKEUP, A.PASS): (S.PASSED, R.ASSESSOR, None),
    (S.MAKEUP, A.FAIL): (S.FAILED, R.ASSESSOR, None),
}


def test_the_table_is_exactly_the_expected_rows():
    assert {pair: (rule.to, rule.role, rule.window) for pair, rule in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_pair_is_allowed_exactly_as_expected(status, action):
    expected = EXPECTED.get((status, action))
    for role in Role:
        if expected is not None and role == expected[1]:
            assert check(registration(status, date(2026, 5, 1)), action, Actor(role), TODAY).to == expected[0]
        else:
            with pytest.raises(DomainError):
                check(registration(status, date(2026, 5, 1)), action, Actor(role), TODAY)


def test_the_table_is_the_documented_flow():
    assert TRANSITIONS[(Status.DRAFT, Action.SUBMIT)] == Rule(Status.PENDING_INSTITUTION, Role.PHYSICIAN, "registration")
    assert (Status.PENDING_INSTITUTION, Action.SUBMIT) not in TRANSITIONS  # no double submission


@pytest.mark.parametrize("day,allowed", [
    (date(2026, 4, 12), False), (date(2026, 4, 13), True), (date(2026, 5, 6), True), (date(2026, 5, 7), False),
])
def test_submission_only_inside_the_registration_window(day, allowed):
    doing = lambda: check(registration(Status.DRAFT), Action.SUBMIT, Actor(Role.PHYSICIAN), day)  # noqa: E731
    if allowed:
        doing()
    else:
        with pytest.raises(DomainError, match="不在医师报名时间内"):
            doing()


@pytest.mark.parametrize("day,allowed", [(date(2026, 5, 9), True), (date(2026, 5, 10), False)])
def test_review_only_inside_the_review_window(day, allowed):
    doing = lambda: check(registration(Status.PENDING_INSTITUTION), Action.INSTITUTION_APPROVE,  # noqa: E731
                          Actor(Role.INSTITUTION), day)
    if allowed:
        doing()
    else:
        with pytest.raises(DomainError, match="报名审核"):
            doing()


@pytest.mark.parametrize("day,allowed", [(date(2026, 5, 20), True), (date(2026, 5, 21), False)])
def test_resubmission_until_the_rejection_deadline_even_after_the_window(day, allowed):
    doing = lambda: check(registration(Status.REJECTED, date(2026, 5, 20)), Action.RESUBMIT,  # noqa: E731
                          Actor(Role.PHYSICIAN), day)
    if allowed:
        doing()
    else:
        with pytest.raises(DomainError, match="重新提交已于2026年05月20日截止"):
            doing()


def test_only_the_physician_submits_and_only_the_institution_reviews_first():
    with pytest.raises(DomainError, match="权限"):
        check(registration(Status.DRAFT), Action.SUBMIT, Actor(Role.INSTITUTION), TODAY)
    with pytest.raises(DomainError, match="权限"):
        check(registration(Status.PENDING_INSTITUTION), Action.INSTITUTION_APPROVE, Actor(Role.ASSESSOR), TODAY)
    with pytest.raises(DomainError, match="权限"):
        check(registration(Status.PENDING_ASSESSOR), Action.ASSESSOR_APPROVE, Actor(Role.INSTITUTION), TODAY)


def test_not_enrolled_cannot_submit():
    with pytest.raises(DomainError, match="未开通报名"):
        check(None, Action.SUBMIT, Actor(Role.PHYSICIAN), TODAY)


def test_apply_writes_an_event(db, monkeypatch):
    from wechat_app import clock
    from wechat_app.domain.demo import seed_demo
    from wechat_app.models import Registration, RegistrationEvent

    seed_demo()
    reg = db.session.query(Registration).filter_by(status="pending_institution").first()
    clock.freeze(clock.datetime.combine(reg.cycle.review_start, clock.datetime.min.time()))
    apply(reg, Action.INSTITUTION_REJECT, Actor(Role.INSTITUTION, 7), reason="照片不清晰")
    db.session.commit()
    event = db.session.query(RegistrationEvent).filter_by(registration_id=reg.id).order_by(RegistrationEvent.id.desc()).first()
    assert (event.from_status, event.to_status, event.action, event.actor_type, event.actor_id, event.reason) == (
        "pending_institution", "rejected", "institution_reject", "institution", "7", "照片不清晰")


def test_labels_are_the_seeds():
    assert label(None) == "未开通报名，请联系医疗卫生机构"
    assert label("pending_assessor") == "已报名-待考核机构复核"
    assert label("awaiting_test") == "报名完成-等待测评"

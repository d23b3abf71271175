"""The registration state machine: the states of DESIGN.md §4, a transition table with its guards,
and the only code that assigns `Registration.status`.

Every transition is checked against the table (state, action) → state, then against its guards:
who may do it (role), when (the cycle's windows; a rejected registration until its deadline), and
enrollment (no row until the 主要执业机构 has included the physician). Every transition writes a
RegistrationEvent. Use cases in `domain/submission.py` and the console's reviews call `apply`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import cast

from sqlalchemy import CursorResult, insert, update

from wechat_app import clock
from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.models import Registration, RegistrationEvent
from wechat_app.models.enums import Role, Status
from wechat_app.models.registration import CHANGED_IN_BULK


class Action(StrEnum):
    ENROLL = "enroll"                      # the institution includes the physician (开通报名)
    SAVE = "save"                          # the physician saves a draft
    SUBMIT = "submit"                      # the physician submits (提交信息)
    RESUBMIT = "resubmit"                  # ... again after a rejection
    INSTITUTION_APPROVE = "institution_approve"
    INSTITUTION_REJECT = "institution_reject"
    ASSESSOR_APPROVE = "assessor_approve"
    ASSESSOR_REJECT = "assessor_reject"
    EXEMPT = "exempt"                      # 免考 granted
    PASS = "pass"
    FAIL = "fail"
    MAKEUP = "makeup"                      # put on the 补考 list


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


@dataclass(frozen=True)
class Rule:
    to: Status
    role: Role
    window: str | None  # the cycle window that must be open ("registration", "review"), or None


S, A, R = Status, Action, Role
TRANSITIONS: dict[tuple[Status, Action], Rule] = {
    (S.NOT_OPEN, A.ENROLL): Rule(S.OPEN, R.INSTITUTION, None),
    (S.OPEN, A.SAVE): Rule(S.DRAFT, R.PHYSICIAN, "registration"),
    (S.DRAFT, A.SAVE): Rule(S.DRAFT, R.PHYSICIAN, "registration"),
    (S.REJECTED, A.SAVE): Rule(S.REJECTED, R.PHYSICIAN, "resubmission"),
    (S.OPEN, A.SUBMIT): Rule(S.PENDING_INSTITUTION, R.PHYSICIAN, "registration"),
    (S.DRAFT, A.SUBMIT): Rule(S.PENDING_INSTITUTION, R.PHYSICIAN, "registration"),
    (S.REJECTED, A.RESUBMIT): Rule(S.PENDING_INSTITUTION, R.PHYSICIAN, "resubmission"),
    (S.PENDING_INSTITUTION, A.INSTITUTION_APPROVE): Rule(S.PENDING_ASSESSOR, R.INSTITUTION, "review"),
    (S.PENDING_INSTITUTION, A.INSTITUTION_REJECT): Rule(S.REJECTED, R.INSTITUTION, "review"),
    (S.PENDING_ASSESSOR, A.ASSESSOR_APPROVE): Rule(S.AWAITING_TEST, R.ASSESSOR, "review"),
    (S.PENDING_ASSESSOR, A.ASSESSOR_REJECT): Rule(S.REJECTED, R.ASSESSOR, "review"),
    (S.AWAITING_TEST, A.EXEMPT): Rule(S.EXEMPT, R.ASSESSOR, "exemption_review"),
    # Results (domain/results.py): published by the 考核机构 when the test windows are over; 缺考 is a FAIL.
    (S.AWAITING_TEST, A.PASS): Rule(S.PASSED, R.ASSESSOR, None),
    (S.AWAITING_TEST, A.FAIL): Rule(S.FAILED, R.ASSESSOR, None),
    (S.EXEMPT, A.PASS): Rule(S.PASSED, R.ASSESSOR, None),  # 免考 spares the test, not 工作成绩 / 职业道德
    (S.EXEMPT, A.FAIL): Rule(S.FAILED, R.ASSESSOR, None),
    (S.FAILED, A.MAKEUP): Rule(S.MAKEUP, R.AUTHORITY, None),  # the 定考办 confirms the 待补考名单
    (S.MAKEUP, A.PASS): Rule(S.PASSED, R.ASSESSOR, None),
    (S.MAKEUP, A.FAIL): Rule(S.FAILED, R.ASSESSOR, None),
}

WINDOW_NAMES = {"registration": "医师报名", "review": "报名审核", "exemption_review": "免考审核"}


@dataclass(frozen=True)
class Actor:
    """Who acts, for the state machine's guards and the audit log: a role, the account id, and the
    address the request came from."""

    role: Role
    id: object = None
    ip: str | None = None


def check(registration, action: Action, actor: Actor, today: date | None = None) -> Rule:
    """The rule that lets `actor` do `action` now, or DomainError with the reason."""
    status = Status(registration.status) if registration is not None else Status.NOT_OPEN
    rule = TRANSITIONS.get((status, action))
    if rule is None:
        raise DomainError(f"当前状态为“{label(status)}”，不能执行此操作。")
    if actor.role != rule.role:
        raise DomainError("您没有权限执行此操作。")
    today = today or clock.today()
    if rule.window == "resubmission":
        deadline = registration.resubmit_deadline
        if deadline is not None and today > deadline:
            raise DomainError(f"重新提交已于{deadline:%Y年%m月%d日}截止，请联系主要执业机构。")
    elif rule.window is not None:
        start, end = getattr(registration.cycle, f"{rule.window}_start"), getattr(registration.cycle, f"{rule.window}_end")
        name = WINDOW_NAMES[rule.window]
        if start is None or end is None or not start <= today <= end:
            span = f"{start:%Y-%m-%d} ~ {end:%Y-%m-%d}" if start and end else "尚未公布"
            raise DomainError(f"不在{name}时间内（{span}）。")
    return rule


def apply(registration, action: Action, actor: Actor, reason: str | None = None):
    """Move `registration` by `action` (after `check`) and record the event. The caller commits."""
    rule = check(registration, action, actor)
    previous = registration.status
    registration.status = rule.to.value
    if action == Action.SAVE and previous == rule.to.value:
        return registration  # saving a draft again changes no state: no event per keystroke-save
    db.session.add(RegistrationEvent(registration_id=registration.id, from_status=previous, to_status=rule.to.value,
                                     action=action.value, actor_type=actor.role.value,
                                     actor_id=None if actor.id is None else str(actor.id), reason=reason))
    return registration


def apply_all(moves: list[tuple[Registration, Action, str | None]], actor: Actor) -> None:
    """`apply` for many registrations at once (a fan-out such as 发布考核结果): each move checked
    against the table, then one UPDATE per (from, to) pair and the events in one insert. A row that
    changed status meanwhile makes the counts differ: DomainError, and the caller's transaction rolls back."""
    groups: dict[tuple[str, str], list[int]] = {}
    events = []
    for registration, action, reason in moves:
        rule = check(registration, action, actor)
        groups.setdefault((registration.status, rule.to.value), []).append(registration.id)
        events.append({"registration_id": registration.id, "from_status": registration.status,
                       "to_status": rule.to.value, "action": action.value, "actor_type": actor.role.value,
                       "actor_id": None if actor.id is None else str(actor.id), "reason": reason,
                       "created_at": clock.now()})
    for (previous, to), ids in groups.items():
        changed = cast(CursorResult, db.session.execute(
            update(Registration).where(Registration.id.in_(ids), Registration.status == previous)
            .values(status=to, version=Registration.version + 1, updated_at=clock.now())
            .execution_options(synchronize_session=False)))
        if changed.rowcount != len(ids):
            raise DomainError("部分报名状态已被他人更新，请刷新后重试。", status=409)
    if events:
        db.session.execute(insert(RegistrationEvent).execution_options(render_nulls=True), events)
    db.session.info.setdefault(CHANGED_IN_BULK, set()).update(registration.physician_id for registration, _, _ in moves)
    for registration, _, _ in moves:
        db.session.expire(registration, ["status", "version", "updated_at"])


def follow_physician(physician) -> None:
    """调入/调离 move the physician's registrations with them: the console's scopes read the registration's
    copy of the institution (models/registration.py), which must never differ from the physician's."""
    db.session.execute(update(Registration).where(Registration.physician_id == physician.id)
                       .values(institution_id=physician.institution_id))


def enroll(physician_id: int, cycle, actor: Actor):
    """开通报名: the institution includes the physician in the cycle (creates the row). Caller commits."""
    if actor.role != Role.INSTITUTION:
        raise DomainError("您没有权限执行此操作。")
    registration = Registration(physician_id=physician_id, cycle_id=cycle.id, status=Status.OPEN.value, draft={})
    db.session.add(registration)
    db.session.flush()
    db.session.add(RegistrationEvent(registration_id=registration.id, from_status=Status.NOT_OPEN.value,
                                     to_status=Status.OPEN.value, action=Action.ENROLL.value,
                                     actor_type=actor.role.value, actor_id=None if actor.id is None else str(actor.id)))
    return registration

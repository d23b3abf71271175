"""Reviews: the institution's first review (with 工作成绩 and 职业道德 评定), the assessment body's
复核, batch approval, and 免考审核. One transaction each; notices go to the outbox with it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wechat_app import clock
from wechat_app.domain import applications, audit, notifications, physicians, record
from wechat_app.domain.errors import DomainError
from wechat_app.domain.registration import Action, Actor, Role, Status, apply
from wechat_app.domain.submission import latest_snapshot
from wechat_app.domain.transaction import unit_of_work
from wechat_app.extensions import db
from wechat_app.models import Exemption, Institution, Physician, Registration, Review, Staff

RATINGS = ("合格", "不合格")
STAGE = {"institution": ("医疗卫生机构", Action.INSTITUTION_APPROVE, Action.INSTITUTION_REJECT, Role.INSTITUTION),
         "assessor": ("考核机构", Action.ASSESSOR_APPROVE, Action.ASSESSOR_REJECT, Role.ASSESSOR)}


@dataclass(frozen=True)
class Decision:
    approve: bool
    work_rating: str | None = None
    ethics_rating: str | None = None
    reason: str | None = None
    deadline: date | None = None


def no_assessment_body_message(registration: Registration) -> str | None:
    """The seed's message when the institution has no 考核机构 yet (FAQ 11)."""
    institution = registration.physician.institution
    if institution is not None and institution.assessment_body_id is None:
        return f"当前机构暂未指定考核机构，无法进行此操作，请联系{institution.health_authority.name}"
    return None


def check_decision(stage: str, registration: Registration, decision: Decision) -> None:
    blocked = no_assessment_body_message(registration)
    if blocked:
        raise DomainError(blocked)
    if decision.approve and stage == "institution" and (
            decision.work_rating not in RATINGS or decision.ethics_rating not in RATINGS):
        raise DomainError("请评定工作成绩和职业道德（合格/不合格）。")
    if not decision.approve:
        if not (decision.reason or "").strip():
            raise DomainError("驳回时必须填写驳回原因。")
        if decision.deadline is not None and decision.deadline < clock.today():
            raise DomainError("重新提交截止日期不能早于今天。")


TAKEN = "该报名已被他人处理，请刷新后查看。"
# The status a registration waits in for each reviewing role.
AWAITING = {Role.INSTITUTION: Status.PENDING_INSTITUTION, Role.ASSESSOR: Status.PENDING_ASSESSOR}


def review(staff: Staff, registration: Registration, stage: str, decision: Decision, ip: str | None) -> Review:
    """审核 / 复核 one registration: one transaction; two reviewers at once, one wins."""
    with unit_of_work(TAKEN):
        return decide(staff, registration, stage, decision, ip)


def decide(staff: Staff, registration: Registration, stage: str, decision: Decision, ip: str | None) -> Review:
    name, approve_action, reject_action, role = STAGE[stage]
    check_decision(stage, registration, decision)
    snapshot = latest_snapshot(registration)
    if snapshot is None:
        raise DomainError("该医师尚未提交报名信息。")
    action = approve_action if decision.approve else reject_action
    apply(registration, action, Actor(role, staff.id), reason=decision.reason)
    row = Review(registration_id=registration.id, snapshot_id=snapshot.id, stage=stage,
                 decision="approve" if decision.approve else "reject", work_rating=decision.work_rating,
                 ethics_rating=decision.ethics_rating, reason=(decision.reason or "").strip() or None,
                 reviewer_id=staff.id)
    db.session.add(row)
    physician = registration.physician
    if decision.approve:
        registration.rejected_by = registration.reject_reason = registration.resubmit_deadline = None
        if stage == "institution":
            registration.work_rating, registration.ethics_rating = decision.work_rating, decision.ethics_rating
        if stage == "assessor":  # the registration is final: the record follows what it declares
            record.apply_snapshot(registration, snapshot, staff.id)
            notifications.queue_template(
                physician, "registration_approved",
                {"thing1": "医师定期考核报名审核通过", "phrase2": "待测评", "thing3": registration.cycle.name},
                "/m/", f"registration-approved:{registration.id}:{snapshot.number}")
    else:
        deadline = decision.deadline or registration.cycle.registration_end
        reason = (decision.reason or "").strip()  # check_decision refused a 驳回 without one
        registration.rejected_by, registration.reject_reason = name, reason
        registration.resubmit_deadline = max(deadline, clock.today())
        notifications.queue_template(
            physician, "registration_rejected",
            {"thing1": f"{name}驳回", "thing2": reason, "time3": f"{registration.resubmit_deadline:%Y年%m月%d日}"},
            "/m/registration", f"registration-rejected:{registration.id}:{snapshot.number}:{stage}")
    audit.record("staff", staff.id, f"review_{stage}_{row.decision}", "registration", registration.id, ip,
                 reason=row.reason, work=decision.work_rating, ethics=decision.ethics_rating)
    return row


def batch_approve(staff: Staff, registrations: list[Registration], stage: str, ip: str | None) -> tuple[int, list[str]]:
    """批量通过 (both ratings 合格 at the institution stage); returns (approved, reasons for the rest)."""
    done, problems = 0, []
    for registration in registrations:
        decision = Decision(True, "合格", "合格") if stage == "institution" else Decision(True)
        try:
            with unit_of_work(TAKEN):  # each row its own transaction: one refusal spoils no other
                decide(staff, registration, stage, decision, ip)
            done += 1
        except DomainError as exc:
            problems.append(f"{registration.physician.name}：{exc}")
    return done, problems


def queue(stage: str, institution_ids: set[int], words: str = ""):
    """The registrations waiting for this stage in these institutions, oldest submission first;
    `words`: a name, an ID number or a part of the institution's name."""
    status = AWAITING[Role(stage)]
    # The scope on the registration's own copy of the institution: without a search the page and its
    # count are read from one index (status, submission, institution), the physicians fetched for the
    # page's 50 rows only — joined, page 300 of 30,000 walked every physician before it (123 ms)
    query = (select(Registration)
             .where(Registration.status == status.value, Registration.institution_id.in_(institution_ids))
             .options(selectinload(Registration.physician).joinedload(Physician.institution))
             .order_by(Registration.submitted_at, Registration.id))
    words = words.strip()
    if not words:
        return query
    query = query.join(Physician, Registration.physician_id == Physician.id)
    if physicians.ID_NUMBER_LIKE.fullmatch(words):
        return query.where(physicians.matching(words))  # the blind index alone: an index lookup
    # the institutions named first, as ids: an OR with their subquery hid the name's (trigram) index from the
    # planner, which then walked all 30,000 待复核 in order for one name (100 ms a page at 100,000 physicians)
    named = set(db.session.scalars(select(Institution.id).where(
        Institution.id.in_(institution_ids), Institution.name.contains(words[:40], autoescape=True))))
    return query.where(physicians.matching(words) | Registration.institution_id.in_(named) if named
                       else physicians.matching(words))


def review_exemption(staff: Staff, exemption: Exemption, approve: bool, reason: str, ip: str | None) -> None:
    """免考审核 (the assessment body): approval makes the registration 免考."""
    with unit_of_work(TAKEN):
        applications.decide(exemption, approve, reason, "该免考申请已审核。")
        if approve:
            apply(exemption.registration, Action.EXEMPT, Actor(Role.ASSESSOR, staff.id), reason=reason or None)
        exemption.review_reason = reason.strip() or None
        exemption.reviewed_by, exemption.reviewed_at = staff.name, clock.now()
        registration = exemption.registration
        notifications.queue_template(
            registration.physician, "exemption_result",
            {"thing1": "免考申请审核结果", "phrase2": "审核通过" if approve else "未通过",
             "thing3": (reason or "").strip() or ("本周期免于业务水平测评" if approve else "请按时参加考试")},
            "/m/exemption", f"exemption-result:{exemption.id}")
        audit.record("staff", staff.id, f"exemption_{exemption.status}", "registration", exemption.registration_id,
                     ip)


def ratings(registration: Registration) -> tuple[str | None, str | None]:
    """工作成绩 and 职业道德 as the institution rated them at its (latest) approval."""
    return registration.work_rating, registration.ethics_rating


def reviews_of(registration: Registration) -> list[Review]:
    return list(db.session.scalars(select(Review).where(Review.registration_id == registration.id).order_by(Review.id)))

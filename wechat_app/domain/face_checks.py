"""人脸验证 before a real attempt (seed 第十二步): a few camera frames, taken while the physician does
what the server asked (wechat_app/face.py: liveness, replay, the registration photo's person); a
refusal says how to do better ("调整好光线，不要出现高曝光，保证人脸清晰"), and after FACE_MAX_TRIES
refusals the check goes to the 考核机构's staff instead of locking the physician out. Their decision
is told to the physician either way; a rejection gives fresh tries. A clearance is good for one
attempt, started soon after. The frame kept of each check is there for the staff to look at.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from wechat_app import clock, pii
from wechat_app.domain import audit, notifications
from wechat_app.domain.errors import DomainError
from wechat_app.domain.scopes import institution_ids
from wechat_app.domain.submission import latest_snapshot
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.domain.uploads import content_of, forget_frames, keep_frames
from wechat_app.extensions import db
from wechat_app.face import CHALLENGES, MAX_FRAMES, Reference, Verification
from wechat_app.models import Arrangement, FaceCheck, Physician, Registration, Staff, Upload
from wechat_app.models.enums import FaceVerdict, Role, Status

ADVICE = "调整好光线，不要出现高曝光，保证人脸清晰。"
NO_FACE = "未检测到人脸，请正对摄像头。" + ADVICE
NOT_SAME = "人脸与报名照片不一致，请本人参加考试。" + ADVICE
NOT_LIVE = "未检测到按提示完成的动作，请正对摄像头，按提示缓慢完成动作。"
REPLAY = "检测到翻拍或上传的照片，请本人面对摄像头完成验证。"
TO_STAFF = "人脸验证未通过次数较多，已提交考核机构人工审核，审核通过后即可进入考试。"
APPROVED = "考核机构人工审核通过，请尽快进入考试。"
REJECTED = "考核机构人工审核未通过（非本人），请本人重新进行人脸验证。"
STALE = "验证已过期，请刷新页面后重新验证。"
CLEARED = (FaceVerdict.MATCHED, FaceVerdict.APPROVED)
# A clearance is for the next attempt only, and only soon after it was given: a face verified in
# the morning does not let someone else sit the afternoon's attempt (issue 20). A staff approval
# waits longer: the physician learns of it from the notice.
CLEARANCE = timedelta(minutes=30)
STAFF_CLEARANCE = timedelta(hours=24)


def challenge_for(allowed: tuple[str, ...] | list[str] = tuple(CHALLENGES)) -> str:
    """The movement one check asks for, chosen by the server (the page cannot pick an easy one) among
    the configured ones (face.init_app refuses any other)."""
    return random.SystemRandom().choice(sorted(allowed))


def clearance(physician_id: int, arrangement_id: int, now: datetime) -> FaceCheck | None:
    """The check a new attempt may start on: matched within CLEARANCE (or approved by staff within
    STAFF_CLEARANCE), and not yet used by an attempt."""
    return db.session.scalar(select(FaceCheck).where(
        FaceCheck.physician_id == physician_id, FaceCheck.arrangement_id == arrangement_id,
        FaceCheck.attempt_id.is_(None),
        ((FaceCheck.verdict == FaceVerdict.MATCHED) & (FaceCheck.created_at >= now - CLEARANCE))
        | ((FaceCheck.verdict == FaceVerdict.APPROVED) & (FaceCheck.reviewed_at >= now - STAFF_CLEARANCE)))
        .order_by(FaceCheck.id.desc()).limit(1))


def cleared(physician_id: int, arrangement_id: int, now: datetime | None = None) -> bool:
    return clearance(physician_id, arrangement_id, now or clock.now()) is not None


def latest(physician_id: int, arrangement_id: int) -> FaceCheck | None:
    return db.session.scalar(select(FaceCheck).where(
        FaceCheck.physician_id == physician_id, FaceCheck.arrangement_id == arrangement_id)
        .order_by(FaceCheck.id.desc()).limit(1))


def refusals(physician_id: int, arrangement_id: int) -> int:
    """Refusals since the last check that ended otherwise (a match, a staff decision): a rejection by
    staff, or an attempt sat, gives a fresh set of automatic tries."""
    mine = (FaceCheck.physician_id == physician_id, FaceCheck.arrangement_id == arrangement_id)
    since = select(func.coalesce(func.max(FaceCheck.id), 0)).where(
        *mine, FaceCheck.verdict.not_in((FaceVerdict.REFUSED, FaceVerdict.PENDING))).scalar_subquery()
    return db.session.scalar(select(func.count(FaceCheck.id)).where(
        *mine, FaceCheck.verdict == FaceVerdict.REFUSED, FaceCheck.id > since)) or 0


def registration_photo(registration: Registration) -> Upload | None:
    """The photo the physician registered with (第一步 基本信息), as submitted."""
    snapshot = latest_snapshot(registration)
    basic = (snapshot.data["steps"] if snapshot else registration.draft or {}).get("1", {})
    photo_ids = basic.get("photo") or []
    return db.session.get(Upload, photo_ids[-1]) if photo_ids else None


def photo_for(row: FaceCheck) -> Upload | None:
    """The registration photo a staff member compares a check's frame with."""
    registration = db.session.scalar(select(Registration).where(
        Registration.physician_id == row.physician_id, Registration.cycle_id == row.arrangement.cycle_id))
    return registration_photo(registration) if registration else None


def verdict_for(seen: Verification, automatic: bool, tries_left: int) -> tuple[FaceVerdict, str | None]:
    """`tries_left`: refusals still allowed before a failing check goes to staff (FACE_MAX_TRIES
    refusals are told as such; the check after them goes to review)."""
    if not automatic:
        return FaceVerdict.REVIEW, "由考核机构人工审核。"
    if not seen.reference_face:
        return FaceVerdict.REVIEW, "报名照片中未能识别人脸，已提交考核机构人工审核，审核通过后即可进入考试。"
    if seen.frame_face and seen.live and not seen.replay and seen.same_person:
        return FaceVerdict.MATCHED, None
    if tries_left <= 0:
        return FaceVerdict.REVIEW, TO_STAFF
    if not seen.frame_face:
        return FaceVerdict.REFUSED, NO_FACE
    if seen.replay:
        return FaceVerdict.REFUSED, REPLAY
    if not seen.live:
        return FaceVerdict.REFUSED, NOT_LIVE
    return FaceVerdict.REFUSED, NOT_SAME


PENDING = "人脸验证中，请稍候。"
LEASE = timedelta(minutes=2)  # a verifier worker killed mid-check leaves it to another after this


@use_case()
def submit(registration: Registration, arrangement: Arrangement, frames: list[bytes], challenge: str | None) -> FaceCheck:
    """One check, posted: the frames the camera took while the physician did what `challenge` asked,
    kept (sealed) for a verifier worker; the page polls the row until it is judged (`judge`). The web
    request does no face work: 2,000 physicians opening a paper at 09:00 wait for the verifiers, not
    for the web workers, which stay free for answers."""
    physician_id = registration.physician_id
    if cleared(physician_id, arrangement.id):
        raise DomainError("人脸验证已通过，请直接进入考试。", status=409)
    previous = latest(physician_id, arrangement.id)
    if previous is not None and previous.verdict == FaceVerdict.PENDING:
        raise DomainError(PENDING, status=409)
    if previous is not None and previous.verdict == FaceVerdict.REVIEW:
        raise DomainError("人脸验证已提交考核机构审核，请等待审核结果。", status=409)
    if challenge not in CHALLENGES:
        raise DomainError(STALE, status=409)
    if not frames or len(frames) > MAX_FRAMES:
        raise DomainError("请按提示完成动作后再提交。")
    kept = keep_frames(physician_id, frames)
    row = FaceCheck(arrangement_id=arrangement.id, physician_id=physician_id, verdict=FaceVerdict.PENDING.value,
                    challenge=challenge, frame_ids=[upload.id for upload in kept])
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(frozen=True)
class Waiting:
    """Where a posted check is: how many are ahead of it, and when its page should ask again."""

    ahead: int
    wait_seconds: int

    @property
    def message(self) -> str:
        if self.ahead < 20:
            return PENDING
        return f"验证人数较多，前面还有{self.ahead}人，预计{self.wait_seconds}秒内完成，请勿离开本页面。"


POLL_MIN, POLL_MAX = 1, 15  # seconds between a waiting page's questions


def waiting_for(row: FaceCheck, checks_per_second: float) -> Waiting:
    """The queue ahead of a pending check (oldest first, as the verifiers take them)."""
    ahead = db.session.scalar(select(func.count(FaceCheck.id)).where(
        FaceCheck.verdict == FaceVerdict.PENDING, FaceCheck.id < row.id)) or 0
    expected = math.ceil((ahead + 1) / max(checks_per_second, 0.1))
    return Waiting(ahead, min(max(expected, POLL_MIN), POLL_MAX))


def claim(limit: int, now: datetime | None = None) -> list[int]:
    """Pending checks for this verifier worker, oldest first, leased so no other worker judges them."""
    return lease_pending(FaceCheck, FaceVerdict.PENDING, limit, LEASE, now)


def lease_pending(model, pending: str, limit: int, lease: timedelta, now: datetime | None = None) -> list[int]:
    """The verifier workers' claim, for face checks and exam photos alike: the oldest `limit` rows whose
    verdict is `pending` and whose lease (`claimed_until`) is free or ran out, leased until now + `lease`;
    rows another worker is claiming at this moment are skipped (SKIP LOCKED on PostgreSQL)."""
    now = now or clock.now()
    with unit_of_work():
        due = select(model.id).where(
            model.verdict == pending, (model.claimed_until.is_(None)) | (model.claimed_until < now),
        ).order_by(model.id).limit(limit).with_for_update(skip_locked=True)
        ids = list(db.session.scalars(due))
        if ids:
            db.session.execute(update(model).where(model.id.in_(ids)).values(claimed_until=now + lease)
                               .execution_options(synchronize_session=False))
    return ids


def reference_for(registration: Registration, verifier) -> tuple[Upload | None, Reference | None]:
    """The registration photo and its face as measured once and kept (sealed) with the registration;
    measured now if the photo is new (first check, or a resubmission with another photo)."""
    photo = registration_photo(registration)
    if photo is None or photo.purged_at is not None or not verifier.automatic:
        return photo, None
    if registration.face_reference:
        kept = json.loads(pii.unseal(registration.face_reference, FACE_REFERENCE))
        if kept.get("photo") == photo.id:
            return photo, Reference.from_json(kept["face"]) if kept.get("face") else None
    measured = verifier.reference(content_of(photo))
    keep_reference(registration, {"photo": photo.id, "face": measured.to_json() if measured else None})
    return photo, measured


def keep_reference(registration: Registration, kept: dict) -> None:
    """Written beside the ORM's unit of work: a measurement is not a change of the registration, so it
    neither takes its version (a review or a save in flight would then fail as stale) nor needs it."""
    sealed = pii.seal(json.dumps(kept), FACE_REFERENCE)
    db.session.execute(update(Registration).where(Registration.id == registration.id)
                       .values(face_reference=sealed).execution_options(synchronize_session=False))
    set_committed_value(registration, "face_reference", sealed)


FACE_REFERENCE = "registrations.face_reference"  # the sealed value's purpose: it opens nowhere else


def judge(check_id: int, verifier, max_tries: int) -> FaceCheck | None:
    """A verifier worker's work on one claimed check: liveness, replay and identity against the
    kept reference; the verdict recorded, the most frontal frame kept for staff and the others deleted.
    A refusal is recorded, not raised: it counts towards the tries."""
    with unit_of_work():
        row = db.session.get(FaceCheck, check_id)
        if row is None or row.verdict != FaceVerdict.PENDING:
            return row
        registration = db.session.scalar(select(Registration).where(
            Registration.physician_id == row.physician_id, Registration.cycle_id == row.arrangement.cycle_id))
        uploads = [db.session.get(Upload, upload_id) for upload_id in row.frame_ids or []]
        frames = [content_of(upload) for upload in uploads if upload is not None and upload.purged_at is None]
        photo, reference = reference_for(registration, verifier) if registration else (None, None)
        reason: str | None
        if photo is None or not frames:
            seen = Verification(False, True, False, False, None)
            verdict, reason = FaceVerdict.REVIEW, "报名照片缺失，已提交考核机构人工审核。"
        else:
            seen = verifier.verify(reference, frames, row.challenge)
            verdict, reason = verdict_for(seen, verifier.automatic,
                                          max_tries - refusals(row.physician_id, row.arrangement_id))
        best = uploads[min(seen.best, len(uploads) - 1)] if uploads else None
        row.verdict, row.reason, row.distance = verdict.value, reason, seen.distance
        row.frame_upload_id, row.claimed_until = best.id if best else None, None
        forget_frames([upload for upload in uploads if upload is not None and upload is not best])
        return row


def measure_due(verifier, batch: int = 10) -> int:
    """Registration photos measured ahead of the checks: the approved registrations (waiting for the
    test, or for the 补考) whose photo has no reference yet, `batch` at a time, rows locked so that
    two workers measure each once. Returns how many."""
    if not verifier.automatic:
        return 0
    with unit_of_work():
        due = list(db.session.scalars(select(Registration).where(
            Registration.status.in_((Status.AWAITING_TEST, Status.MAKEUP)), Registration.face_reference.is_(None))
            .order_by(Registration.id).limit(batch).with_for_update(skip_locked=True)))
        for registration in due:
            photo, _ = reference_for(registration, verifier)
            if photo is None:  # nothing to measure: marked, so it is not selected again
                keep_reference(registration, {"photo": None, "face": None})
    return len(due)


def judge_due(verifier, max_tries: int, batch: int = 10) -> int:
    """One round of a verifier worker on the pre-exam checks: claim, judge, return how many."""
    ids = claim(batch)
    for check_id in ids:
        judge(check_id, verifier, max_tries)
    return len(ids)


def message(row: FaceCheck) -> str:
    return row.reason or "人脸验证通过。"


def waiting(staff: Staff) -> list[FaceCheck]:
    """Checks waiting for this staff member's review: physicians of the institutions in scope."""
    return list(db.session.scalars(select(FaceCheck).join(Physician, FaceCheck.physician_id == Physician.id).where(
        FaceCheck.verdict == FaceVerdict.REVIEW, Physician.institution_id.in_(institution_ids(staff)))
        .order_by(FaceCheck.id)))


@use_case("该人脸验证已被他人审核。")
def review(staff: Staff, row: FaceCheck, approve: bool, ip: str | None) -> None:
    """本人，通过 / 非本人，驳回: either way the physician is told (page and notice); a rejection gives
    a fresh set of automatic tries, an approval lets the next attempt start for STAFF_CLEARANCE."""
    if staff.role != Role.ASSESSOR:
        raise DomainError("人脸审核由考核机构进行。", status=403)
    if row.physician.institution_id not in institution_ids(staff):
        raise DomainError("该记录不在您的管辖范围内。", status=404)
    if row.verdict != FaceVerdict.REVIEW:
        raise DomainError("该人脸验证已审核。", status=409)
    row.verdict = (FaceVerdict.APPROVED if approve else FaceVerdict.REJECTED).value
    row.reason = APPROVED if approve else REJECTED
    row.reviewed_by, row.reviewed_at = staff.id, clock.now()
    arrangement = row.arrangement
    notifications.queue_template(row.physician, "exam_reminder", {
        "thing1": arrangement.name, "time2": f"{arrangement.starts_at:%Y-%m-%d %H:%M}",
        "thing3": "人脸审核通过，请进入考试" if approve else "人脸审核未通过，请本人重新验证"},
        f"/m/exams/{arrangement.id}/check", f"face-review:{row.id}")
    audit.record("staff", staff.id, "face_check_" + row.verdict, "physician", row.physician_id, ip)


"""人脸验证 before a real attempt (seed 第十二步): the camera's frame is compared with the photo of the
registration; a refusal says how to do better ("调整好光线，不要出现高曝光，保证人脸清晰"), and after
FACE_MAX_TRIES refusals the next frame goes to the 考核机构's staff instead of locking the physician
out. The frames are kept with the checks for the staff to look at.
"""
from __future__ import annotations

from sqlalchemy import func, select

from wechat_app import clock
from wechat_app.domain import audit
from wechat_app.domain.errors import DomainError
from wechat_app.domain.scopes import institution_ids
from wechat_app.domain.submission import latest_snapshot
from wechat_app.domain.transaction import use_case
from wechat_app.domain.uploads import store_image
from wechat_app.extensions import db
from wechat_app.models import Arrangement, FaceCheck, Physician, Registration, Staff, Upload
from wechat_app.models.enums import FaceVerdict, Role
from wechat_app.storage import storage

ADVICE = "调整好光线，不要出现高曝光，保证人脸清晰。"
NO_FACE = "未检测到人脸，请正对摄像头。" + ADVICE
NOT_SAME = "人脸与报名照片不一致，请本人参加考试。" + ADVICE
TO_STAFF = "人脸验证未通过次数较多，已提交考核机构人工审核，审核通过后即可进入考试。"
CLEARED = (FaceVerdict.MATCHED, FaceVerdict.APPROVED)


def cleared(physician_id: int, arrangement_id: int) -> bool:
    return db.session.scalar(select(FaceCheck.id).where(
        FaceCheck.physician_id == physician_id, FaceCheck.arrangement_id == arrangement_id,
        FaceCheck.verdict.in_([v.value for v in CLEARED])).limit(1)) is not None


def latest(physician_id: int, arrangement_id: int) -> FaceCheck | None:
    return db.session.scalar(select(FaceCheck).where(
        FaceCheck.physician_id == physician_id, FaceCheck.arrangement_id == arrangement_id)
        .order_by(FaceCheck.id.desc()).limit(1))


def refusals(physician_id: int, arrangement_id: int) -> int:
    return db.session.scalar(select(func.count(FaceCheck.id)).where(
        FaceCheck.physician_id == physician_id, FaceCheck.arrangement_id == arrangement_id,
        FaceCheck.verdict == FaceVerdict.REFUSED)) or 0


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


def verdict_for(comparison, automatic: bool, tries_left: int) -> tuple[FaceVerdict, str | None]:
    if not automatic:
        return FaceVerdict.REVIEW, "由考核机构人工审核。"
    if comparison.same_person:
        return FaceVerdict.MATCHED, None
    if not comparison.reference_face:
        return FaceVerdict.REVIEW, "报名照片中未能识别人脸，已提交考核机构人工审核，审核通过后即可进入考试。"
    if tries_left <= 1:
        return FaceVerdict.REVIEW, TO_STAFF
    return FaceVerdict.REFUSED, NO_FACE if not comparison.frame_face else NOT_SAME


@use_case()
def check(registration: Registration, arrangement: Arrangement, frame: bytes, verifier, max_tries: int) -> FaceCheck:
    """One frame from the camera. Returns the check with its verdict (a refusal is recorded, not
    raised: it counts towards the tries)."""
    physician_id = registration.physician_id
    if cleared(physician_id, arrangement.id):
        raise DomainError("人脸验证已通过，请直接进入考试。", status=409)
    previous = latest(physician_id, arrangement.id)
    if previous is not None and previous.verdict == FaceVerdict.REVIEW:
        raise DomainError("人脸验证已提交考核机构审核，请等待审核结果。", status=409)
    frame_upload = store_image(physician_id, "face", "frame.jpg", frame)
    photo = registration_photo(registration)
    reason: str | None
    if photo is None:
        verdict, reason, distance = FaceVerdict.REVIEW, "报名照片缺失，已提交考核机构人工审核。", None
    else:
        comparison = verifier.compare(storage().read(photo.stored_name), storage().read(frame_upload.stored_name))
        verdict, reason = verdict_for(comparison, verifier.automatic, max_tries - refusals(physician_id, arrangement.id))
        distance = comparison.distance
    row = FaceCheck(arrangement_id=arrangement.id, physician_id=physician_id, frame_upload_id=frame_upload.id,
                    distance=distance, verdict=verdict.value, reason=reason)
    db.session.add(row)
    db.session.flush()
    return row


def message(row: FaceCheck) -> str:
    return row.reason or "人脸验证通过。"


def waiting(staff: Staff) -> list[FaceCheck]:
    """Checks waiting for this staff member's review: physicians of the institutions in scope."""
    return list(db.session.scalars(select(FaceCheck).join(Physician, FaceCheck.physician_id == Physician.id).where(
        FaceCheck.verdict == FaceVerdict.REVIEW, Physician.institution_id.in_(institution_ids(staff)))
        .order_by(FaceCheck.id)))


@use_case("该人脸验证已被他人审核。")
def review(staff: Staff, row: FaceCheck, approve: bool, ip: str | None) -> None:
    if staff.role != Role.ASSESSOR:
        raise DomainError("人脸审核由考核机构进行。", status=403)
    if row.physician.institution_id not in institution_ids(staff):
        raise DomainError("该记录不在您的管辖范围内。", status=404)
    if row.verdict != FaceVerdict.REVIEW:
        raise DomainError("该人脸验证已审核。", status=409)
    row.verdict = (FaceVerdict.APPROVED if approve else FaceVerdict.REJECTED).value
    row.reviewed_by, row.reviewed_at = staff.id, clock.now()
    audit.record("staff", staff.id, "face_check_" + row.verdict, "physician", row.physician_id, ip)


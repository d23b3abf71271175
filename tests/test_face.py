"""Face verification with real faces (public-domain portraits: NASA's astronaut Eileen Collins from
scikit-image, Grace Hopper from matplotlib): the same face after resize and re-encode matches, a
different face does not, a frame without a face says so; and the check's tries end in staff review."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from tests.helpers import ready_for_exam
from wechat_app.domain import exams, face_checks
from wechat_app.domain.errors import DomainError
from wechat_app.face import DlibVerifier, StaffVerifier
from wechat_app.models import FaceCheck, Staff
from wechat_app.models.enums import FaceVerdict

FIXTURES = Path(__file__).parent / "fixtures"


def jpeg(name: str, scale: float = 1.0, quality: int = 80) -> bytes:
    image = Image.open(FIXTURES / name).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def blank() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (480, 360), (180, 190, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def dlib_verifier():
    return DlibVerifier()


def test_the_same_face_resized_and_reencoded_matches(dlib_verifier):
    comparison = dlib_verifier.compare(jpeg("astronaut.png"), jpeg("astronaut.png", scale=0.6, quality=60))
    assert comparison.same_person and comparison.distance < 0.4


def test_a_different_face_does_not(dlib_verifier):
    comparison = dlib_verifier.compare(jpeg("astronaut.png"), jpeg("grace_hopper.jpg"))
    assert comparison.frame_face and not comparison.same_person and comparison.distance > 0.6


def test_no_face_is_told_apart(dlib_verifier):
    comparison = dlib_verifier.compare(jpeg("astronaut.png"), blank())
    assert comparison.reference_face and not comparison.frame_face and comparison.distance is None


def test_tries_then_staff_review(demo, dlib_verifier):
    registration = ready_for_exam(demo, photo=jpeg("astronaut.png"))
    (arrangement,) = exams.arrangements_for(registration)
    first = face_checks.check(registration, arrangement, jpeg("grace_hopper.jpg"), dlib_verifier, 3)
    assert first.verdict == FaceVerdict.REFUSED and "调整好光线，不要出现高曝光，保证人脸清晰" in first.reason
    assert face_checks.check(registration, arrangement, blank(), dlib_verifier, 3).reason.startswith("未检测到人脸")
    third = face_checks.check(registration, arrangement, jpeg("grace_hopper.jpg"), dlib_verifier, 3)
    assert third.verdict == FaceVerdict.REVIEW and third.frame_upload_id is not None
    with pytest.raises(DomainError, match="等待审核结果"):
        face_checks.check(registration, arrangement, jpeg("astronaut.png"), dlib_verifier, 3)
    assert not face_checks.cleared(registration.physician_id, arrangement.id)
    assert [c.id for c in face_checks.waiting(_staff(demo, "kaohe"))] == [third.id]
    assert face_checks.waiting(_staff(demo, "rhzs")) == []  # another institution's staff see nothing
    face_checks.review(_staff(demo, "kaohe"), third, True, None)
    assert face_checks.cleared(registration.physician_id, arrangement.id)


def test_the_right_face_clears_at_once(demo, dlib_verifier):
    registration = ready_for_exam(demo, photo=jpeg("astronaut.png"))
    (arrangement,) = exams.arrangements_for(registration)
    row = face_checks.check(registration, arrangement, jpeg("astronaut.png", scale=0.5), dlib_verifier, 3)
    assert row.verdict == FaceVerdict.MATCHED and row.distance < 0.6
    assert demo.session.scalar(select(FaceCheck.id).where(FaceCheck.physician_id == registration.physician_id))


def test_the_staff_verifier_sends_every_frame_to_review(demo):
    registration = ready_for_exam(demo, photo=jpeg("astronaut.png"))
    (arrangement,) = exams.arrangements_for(registration)
    assert face_checks.check(registration, arrangement, jpeg("astronaut.png"), StaffVerifier(), 3).verdict == "review"


def _staff(demo, username):
    return demo.session.scalar(select(Staff).where(Staff.username == username))

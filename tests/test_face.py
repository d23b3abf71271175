"""Face verification with real faces (public-domain portraits: NASA's astronaut Eileen Collins from
scikit-image, Grace Hopper from matplotlib): a live turn of the registered person passes; a still
picture, the registration photo posted back (or re-encoded, rescaled, greyed, tilted as a print), a
different person and a frame without a face do not; 张嘴 and 眨眼 are judged from landmarks; the tries
end in staff review, whose decision is told and gives fresh tries; a clearance covers one attempt,
started soon after."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image, ImageOps
from sqlalchemy import select

from tests.helpers import checked, live_frames, portrait, ready_for_exam, turned_face
from wechat_app import clock
from wechat_app.domain import exams, face_checks
from wechat_app.domain.errors import DomainError
from wechat_app.face import DlibVerifier, Pose, StaffVerifier, pose_of, shows
from wechat_app.models import FaceCheck, Notification, Staff
from wechat_app.models.enums import FaceVerdict

ASTRONAUT, HOPPER = "astronaut.png", "grace_hopper.jpg"


def blank() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (480, 360), (180, 190, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def verifier():
    return DlibVerifier()


@pytest.fixture(scope="module")
def live():
    return live_frames(ASTRONAUT)


def test_the_registered_person_turning_their_head_passes(verifier, live):
    seen = verifier.verify(verifier.reference(portrait(ASTRONAUT)), live, "turn")
    assert seen.live and not seen.replay and seen.same_person and 0.06 < seen.distance < 0.4


def test_a_still_picture_of_the_person_is_not_live(verifier):
    still = portrait(ASTRONAUT, image=turned_face(ASTRONAUT, 0.12))
    assert not verifier.verify(verifier.reference(portrait(ASTRONAUT)), [still] * 5, "turn").live


@pytest.mark.parametrize("copy", ["posted back", "rescaled", "grey", "print tilted"])
def test_the_registration_photo_itself_is_a_replay(verifier, copy):
    source = Image.open(io.BytesIO(portrait(ASTRONAUT))).convert("RGB")
    frames = {
        "posted back": [portrait(ASTRONAUT)] * 4,
        "rescaled": [portrait(ASTRONAUT, 0.6, 60)] * 4,
        "grey": [portrait(ASTRONAUT, image=ImageOps.grayscale(source))] * 4,
        # a print held up and tilted: perspective changes, the face does not turn
        "print tilted": [portrait(ASTRONAUT, image=source.transform(
            source.size, Image.Transform.PERSPECTIVE, (1 + k, 0, 0, k, 1, 0, k / 400, 0), Image.Resampling.BICUBIC))
            for k in (-0.1, -0.05, 0.05, 0.1)],
    }[copy]
    seen = verifier.verify(verifier.reference(portrait(ASTRONAUT)), frames, "turn")
    assert seen.replay and not seen.live


def test_a_different_person_turning_is_not_the_registered_one(verifier, live):
    seen = verifier.verify(verifier.reference(portrait(HOPPER)), live, "turn")
    assert seen.live and not seen.same_person and seen.distance > 0.6


def test_no_face_is_told_apart(verifier, live):
    seen = verifier.verify(verifier.reference(portrait(ASTRONAUT)), live[:2] + [blank()], "turn")
    assert seen.reference_face and not seen.frame_face
    assert not verifier.verify(verifier.reference(portrait(ASTRONAUT)), [b"not a picture"], "turn").frame_face


def test_the_turn_is_measured_on_the_landmarks(verifier):
    yaws = [pose_of([(p.x, p.y) for p in verifier.find(portrait(ASTRONAUT, image=turned_face(ASTRONAUT, shift)))
                     .shape.parts()]).yaw for shift in (-0.25, 0.0, 0.25)]
    assert yaws[0] < yaws[1] < yaws[2] and yaws[2] - yaws[0] > 0.15


def pose_sequence(**changes) -> list[Pose]:
    rest = Pose(0.0, 0.05, 0.3)
    return [rest, Pose(changes.get("yaw", 0.0), changes.get("mouth", 0.05), changes.get("eyes", 0.3)), rest]


@pytest.mark.parametrize(("challenge", "moved", "still"), [
    ("turn", pose_sequence(yaw=0.2), pose_sequence(yaw=0.03)),
    ("mouth", pose_sequence(mouth=0.45), pose_sequence(mouth=0.15)),
    ("blink", pose_sequence(eyes=0.12), pose_sequence(eyes=0.26)),
])
def test_each_challenge_needs_its_own_movement(challenge, moved, still):
    assert shows(challenge, moved) and not shows(challenge, still)
    assert not shows(challenge, moved[:1])  # one frame shows no movement
    others = [name for name in ("turn", "mouth", "blink") if name != challenge]
    assert not any(shows(other, moved) for other in others)  # a turn is no blink


# --- the check as a use case ---------------------------------------------------------------------

def _staff(demo, username):
    return demo.session.scalar(select(Staff).where(Staff.username == username))


def test_tries_then_staff_review_then_a_told_rejection_and_fresh_tries(demo, verifier, live):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    check = lambda frames: checked(registration, arrangement, frames, "turn", verifier)  # noqa: E731
    first = check(live_frames(HOPPER))
    assert first.verdict == FaceVerdict.REFUSED and "人脸与报名照片不一致" in first.reason
    assert check([portrait(ASTRONAUT)] * 4).reason == face_checks.REPLAY
    assert check(live_frames(HOPPER)).verdict == FaceVerdict.REFUSED  # FACE_MAX_TRIES (3) refusals, as told
    third = check(live_frames(HOPPER))  # the check after them goes to staff
    assert third.verdict == FaceVerdict.REVIEW and third.frame_upload_id is not None
    with pytest.raises(DomainError, match="等待审核结果"):
        check(live)
    assert not face_checks.cleared(registration.physician_id, arrangement.id)
    assert [c.id for c in face_checks.waiting(_staff(demo, "kaohe"))] == [third.id]
    assert face_checks.waiting(_staff(demo, "rhzs")) == []  # another institution's staff see nothing

    face_checks.review(_staff(demo, "kaohe"), third, False, None)  # 非本人，驳回
    assert face_checks.latest(registration.physician_id, arrangement.id).reason == face_checks.REJECTED
    told = demo.session.scalars(select(Notification).where(Notification.idempotency_key == f"face-review:{third.id}"))
    assert [n.data["thing3"] for n in told] == ["人脸审核未通过，请本人重新验证"]
    assert face_checks.refusals(registration.physician_id, arrangement.id) == 0  # fresh tries
    assert check(live_frames(HOPPER)).verdict == FaceVerdict.REFUSED  # not straight back to staff
    assert check(live).verdict == FaceVerdict.MATCHED


def test_an_approval_is_told_and_clears(demo, verifier):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    row = checked(registration, arrangement, [portrait(ASTRONAUT)], "turn", StaffVerifier())
    assert row.verdict == "review"
    face_checks.review(_staff(demo, "kaohe"), row, True, None)
    assert face_checks.cleared(registration.physician_id, arrangement.id)
    told = demo.session.scalar(select(Notification).where(Notification.idempotency_key == f"face-review:{row.id}"))
    assert told.data["thing3"] == "人脸审核通过，请进入考试"


def test_a_clearance_covers_one_attempt_started_soon_after(demo, verifier, live):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    row = checked(registration, arrangement, live, "turn", verifier)
    assert row.verdict == FaceVerdict.MATCHED
    clock.freeze(row.created_at + face_checks.CLEARANCE + timedelta(seconds=1))
    assert not face_checks.cleared(registration.physician_id, arrangement.id)
    with pytest.raises(DomainError, match="请先完成人脸验证"):
        exams.start(registration, arrangement)
    clock.freeze(row.created_at + timedelta(minutes=5))
    first = exams.start(registration, arrangement)
    assert demo.session.get(FaceCheck, row.id).attempt_id == first.id
    exams.submit(first)
    with pytest.raises(DomainError, match="请先完成人脸验证"):  # the second attempt needs its own check
        exams.start(registration, arrangement)
    again = checked(registration, arrangement, live, "turn", verifier)
    assert again.verdict == FaceVerdict.MATCHED and exams.start(registration, arrangement).number == 2


def test_a_check_without_a_challenge_from_the_server_is_refused(demo, verifier, live):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    with pytest.raises(DomainError, match="验证已过期"):
        checked(registration, arrangement, live, None, verifier)


def test_the_staff_verifier_sends_every_check_to_review(demo):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    assert checked(registration, arrangement, [portrait(ASTRONAUT)], "blink", StaffVerifier()).verdict == "review"


# --- off the request path: verifier workers, the reference measured once ----------------------------

class Counting(DlibVerifier):
    """The real verifier, counting its work."""

    def __init__(self):
        super().__init__()
        self.references = self.verifications = 0

    def reference(self, photo):
        self.references += 1
        return super().reference(photo)

    def verify(self, reference, frames, challenge):
        self.verifications += 1
        return super().verify(reference, frames, challenge)


def test_the_registration_photo_is_measured_once_and_kept_sealed(demo, live):
    counting = Counting()
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    assert face_checks.measure_due(counting, batch=1000) >= 1  # ahead of 09:00: every approved photo
    assert counting.references >= 1
    measured = counting.references
    demo.session.refresh(registration)
    kept = registration.face_reference
    assert kept and "encoding" not in kept and "chip_hash" not in kept  # biometric data: sealed
    first = checked(registration, arrangement, live_frames(HOPPER), "turn", counting)
    assert first.verdict == FaceVerdict.REFUSED
    assert checked(registration, arrangement, live, "turn", counting).verdict == FaceVerdict.MATCHED
    assert counting.references == measured and counting.verifications == 2  # the frames only, twice
    assert face_checks.measure_due(counting) == 0  # nothing left to measure


def test_only_the_frame_shown_to_staff_is_kept_after_judging(demo, verifier, live):
    from wechat_app.models import Upload

    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    row = face_checks.submit(registration, arrangement, live, "turn")
    posted = list(row.frame_ids)
    assert len(posted) == len(live)
    face_checks.claim(10)
    judged = face_checks.judge(row.id, verifier, 3)
    uploads = demo.session.scalars(select(Upload).where(Upload.id.in_(posted))).all()
    assert [u.id for u in uploads if u.purged_at is None] == [judged.frame_upload_id]


def test_a_claimed_check_is_not_claimed_again_until_its_lease_runs_out(demo, live):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    row = face_checks.submit(registration, arrangement, live, "turn")
    assert face_checks.claim(10) == [row.id] and face_checks.claim(10) == []
    assert face_checks.claim(10, now=clock.now() + face_checks.LEASE + timedelta(seconds=1)) == [row.id]
    with pytest.raises(DomainError, match="人脸验证中"):  # one check at a time
        face_checks.submit(registration, arrangement, live, "turn")


def test_flask_exams_faces_judges_the_checks_then_measures_the_photos_ahead(app, demo, live):
    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    (arrangement,) = exams.arrangements_for(registration)
    row = face_checks.submit(registration, arrangement, live, "turn")
    result = app.test_cli_runner().invoke(args=["exams", "faces", "--once"])
    assert result.exit_code == 0 and "faces judged:" in result.output
    demo.session.expire_all()
    assert demo.session.get(FaceCheck, row.id).verdict == FaceVerdict.MATCHED
    assert face_checks.measure_due(DlibVerifier()) == 0  # every approved registration measured


def test_a_waiting_page_is_told_its_place_and_when_to_ask_again(demo, live):
    from wechat_app.models import Registration

    rows = []
    for _ in range(3):
        registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
        (arrangement,) = exams.arrangements_for(registration)
        rows.append(face_checks.submit(demo.session.get(Registration, registration.id), arrangement, live, "turn"))
    first, _, last = (face_checks.waiting_for(row, checks_per_second=1.0) for row in rows)
    assert (first.ahead, first.wait_seconds) == (0, 1) and (last.ahead, last.wait_seconds) == (2, 3)
    crowded = face_checks.Waiting(ahead=500, wait_seconds=face_checks.POLL_MAX)
    assert "前面还有500人" in crowded.message and face_checks.waiting_for(rows[2], 0.01).wait_seconds == face_checks.POLL_MAX


def test_measuring_a_photo_does_not_take_the_registrations_version(demo):
    """A verifier measuring the photo while a review or a save is in flight must not make that one stale."""
    from wechat_app.models import Registration

    registration = ready_for_exam(demo, photo=portrait(ASTRONAUT))
    version = registration.version
    face_checks.reference_for(registration, DlibVerifier())
    demo.session.commit()
    demo.session.expire_all()
    again = demo.session.get(Registration, registration.id)
    assert again.version == version and again.face_reference

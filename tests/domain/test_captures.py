"""Invigilation of a formal paper (issue 20): photos at the attempt's random moments, kept at once
and judged later by a verifier worker against the registration photo; 切屏 counted with a budget
after which the paper is handed in; the 考核机构's view of each sitting, doubtful ones first."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import clear_face, live_frames, portrait, ready_for_exam
from wechat_app import clock
from wechat_app.domain import captures, exams, training
from wechat_app.domain.errors import DomainError
from wechat_app.face import DlibVerifier, StaffVerifier
from wechat_app.models import ExamCapture, MockPaper, Staff


@pytest.fixture
def sitting(demo):
    registration = ready_for_exam(demo, "简易程序", photo=portrait("astronaut.png"))
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    return registration, arrangement, exams.start(registration, arrangement)


def at_moment(attempt, slot: int) -> None:
    clock.freeze(attempt.started_at + timedelta(seconds=exams.capture_moments(attempt)[slot]))


def test_two_or_three_moments_of_its_own_per_formal_attempt(demo, sitting):
    *_, attempt = sitting
    moments = exams.capture_moments(attempt)
    length = (attempt.deadline - attempt.started_at).total_seconds()
    assert 2 <= len(moments) <= 3 and moments == sorted(moments) == exams.capture_moments(attempt)
    assert all(length / 10 <= m <= length * 9 / 10 for m in moments)
    physician = ready_for_exam(demo).physician
    mock = demo.session.scalar(select(MockPaper).order_by(MockPaper.id))
    training.enrol(physician, mock.course)
    assert exams.capture_moments(training.start_mock(physician, mock)) == []


def test_a_photo_is_kept_only_at_its_moment_once_while_the_paper_is_open(demo, sitting):
    *_, attempt = sitting
    frame = live_frames("astronaut.png")[1]
    with pytest.raises(DomainError) as early:
        exams.keep_capture(attempt, 0, frame)
    assert early.value.status == 409
    with pytest.raises(DomainError) as unknown:
        exams.keep_capture(attempt, 7, frame)
    assert unknown.value.status == 404
    at_moment(attempt, 0)
    kept = exams.keep_capture(attempt, 0, frame)
    assert kept.verdict == "pending" and kept.distance is None  # judged later, not in the request
    with pytest.raises(DomainError):
        exams.keep_capture(attempt, 0, frame)
    exams.submit(attempt)
    at_moment(attempt, 1)
    with pytest.raises(DomainError, match="试卷已提交"):
        exams.keep_capture(attempt, 1, frame)


def test_the_verifier_worker_judges_each_photo_once_under_a_lease(demo, sitting):
    *_, attempt = sitting
    at_moment(attempt, 1)
    exams.keep_capture(attempt, 0, live_frames("astronaut.png")[2])
    exams.keep_capture(attempt, 1, portrait("grace_hopper.jpg"))
    leased = captures.claim(10)
    assert len(leased) == 2 and captures.claim(10) == []  # another worker meanwhile: nothing
    clock.freeze(clock.now() + captures.LEASE + timedelta(seconds=1))
    assert captures.judge_due(DlibVerifier()) == 2  # the lease ran out: taken over
    found = {c.slot: c for c in demo.session.scalars(select(ExamCapture).where(ExamCapture.attempt_id == attempt.id))}
    assert found[0].verdict == "matched" and found[0].distance < 0.6
    assert found[1].verdict == "mismatch" and found[1].distance > 0.6
    assert captures.judge_due(DlibVerifier()) == 0


def test_the_staff_verifier_leaves_photos_for_people(demo, sitting):
    *_, attempt = sitting
    at_moment(attempt, 0)
    exams.keep_capture(attempt, 0, portrait("astronaut.png"))
    captures.judge_due(StaffVerifier())
    assert demo.session.scalar(select(ExamCapture.verdict)) == "unchecked"


def test_leaving_the_page_is_counted_and_past_the_budget_hands_the_paper_in(demo, sitting):
    _, arrangement, attempt = sitting
    arrangement.away_budget = 2
    demo.session.commit()
    assert [exams.left_page(attempt).count for _ in range(2)] == [1, 2]
    assert attempt.submitted_at is None
    over = exams.left_page(attempt)
    assert over.submitted and attempt.submitted_by == "away" and attempt.score is not None
    assert exams.left_page(attempt).submitted  # counted no further


def test_without_a_budget_leaving_is_only_counted(demo, sitting):
    *_, attempt = sitting
    for _ in range(5):
        exams.left_page(attempt)
    assert attempt.away_count == 5 and attempt.submitted_at is None


def test_the_sittings_put_the_doubtful_first_and_keep_to_the_scope(demo, sitting):
    registration, arrangement, attempt = sitting
    other = ready_for_exam(demo, "简易程序", photo=portrait("astronaut.png"))
    clear_face(demo, other, arrangement)
    honest = exams.start(other, arrangement)
    at_moment(attempt, 0)
    exams.keep_capture(attempt, 0, portrait("grace_hopper.jpg"))
    captures.judge_due(DlibVerifier())
    kaohe = demo.session.scalar(select(Staff).where(Staff.username == "kaohe"))
    rows = captures.sittings(kaohe, arrangement)
    assert [s.attempt.id for s in rows][:1] == [attempt.id] and rows[0].flagged
    assert rows[0].checks and rows[0].checks[0].verdict == "matched"  # the check that cleared it
    assert [s.attempt.id for s in captures.sittings(kaohe, arrangement, flagged_only=True)] == [attempt.id]
    assert honest.id in [s.attempt.id for s in rows]
    clinic = demo.session.scalar(select(Staff).where(Staff.username == "rhzs"))
    assert attempt.id not in [s.attempt.id for s in captures.sittings(clinic, arrangement)]

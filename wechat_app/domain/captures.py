"""The photos taken during formal papers, judged off the request path: a verifier worker
(`flask exams faces`, several per node if need be) claims pending photos with a lease, compares
each with the registration photo, and records the verdict; the 考核机构 sees the mismatches per
arrangement (console: 监考记录). A worker killed mid-photo leaves a lease another one takes over.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from wechat_app import clock
from wechat_app.domain import face_checks
from wechat_app.domain.scopes import institution_ids
from wechat_app.domain.transaction import unit_of_work
from wechat_app.domain.uploads import content_of
from wechat_app.extensions import db
from wechat_app.face import THRESHOLD, Reference
from wechat_app.models import Arrangement, Attempt, ExamCapture, FaceCheck, Physician, Registration, Staff, Upload
from wechat_app.models.enums import CaptureVerdict

LEASE = timedelta(minutes=5)


def claim(limit: int, now: datetime | None = None) -> list[int]:
    """Pending photos for this worker, leased so that no other worker judges them meanwhile."""
    return face_checks.lease_pending(ExamCapture, CaptureVerdict.PENDING, limit, LEASE, now)


def reference_of(capture: ExamCapture, verifier) -> Reference | None:
    """The registration photo's face, as measured once and kept (face_checks.reference_for)."""
    attempt = capture.attempt
    registration = db.session.get(Registration, attempt.registration_id) if attempt.registration_id else None
    return face_checks.reference_for(registration, verifier)[1] if registration is not None else None


def judge(capture_id: int, verifier) -> ExamCapture | None:
    """Compare one claimed photo with the registration photo and keep the verdict."""
    with unit_of_work():
        capture = db.session.get(ExamCapture, capture_id)
        if capture is None or capture.verdict != CaptureVerdict.PENDING:
            return capture
        reference, upload = reference_of(capture, verifier), db.session.get(Upload, capture.frame_upload_id)
        if not verifier.automatic or reference is None or upload is None or upload.purged_at is not None:
            capture.verdict = CaptureVerdict.UNCHECKED.value
        else:
            frame = content_of(upload)
            distance = verifier.compare(reference, frame)
            capture.distance = distance
            capture.verdict = (CaptureVerdict.NO_FACE if distance is None else
                               CaptureVerdict.MATCHED if distance < THRESHOLD else CaptureVerdict.MISMATCH).value
        capture.checked_at, capture.claimed_until = clock.now(), None
        return capture


def judge_due(verifier, batch: int = 20) -> int:
    """One round of a verifier worker: claim, judge, return how many were judged."""
    ids = claim(batch)
    for capture_id in ids:
        judge(capture_id, verifier)
    return len(ids)


@dataclass(frozen=True)
class Sitting:
    """One attempt as the 考核机构 reviews it: the face checks before it, its photos, its 切屏."""

    attempt: Attempt
    physician: Physician
    checks: list[FaceCheck]
    captures: list[ExamCapture]

    @property
    def flagged(self) -> bool:
        return any(c.verdict in (CaptureVerdict.MISMATCH, CaptureVerdict.NO_FACE, CaptureVerdict.UNCHECKED)
                   for c in self.captures) or (self.attempt.arrangement is not None
                                               and self.attempt.arrangement.away_budget is not None
                                               and self.attempt.away_count > self.attempt.arrangement.away_budget)


def sittings(staff: Staff, arrangement: Arrangement, flagged_only: bool = False) -> list[Sitting]:
    """The attempts of an arrangement by physicians in the staff member's scope, each with the face
    checks made before it (since the physician's previous attempt) and its photos — three queries
    however many — the doubtful ones first."""
    rows = db.session.execute(select(Attempt, Physician).join(Physician, Attempt.physician_id == Physician.id).where(
        Attempt.arrangement_id == arrangement.id, Physician.institution_id.in_(institution_ids(staff)))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc()).limit(500)).all()
    ids = [attempt.id for attempt, _ in rows]
    checks: dict[int, list[FaceCheck]] = {}
    captures: dict[int, list[ExamCapture]] = {}
    if ids:
        by_physician: dict[int, list[FaceCheck]] = {}
        for check in db.session.scalars(select(FaceCheck).where(
                FaceCheck.arrangement_id == arrangement.id,
                FaceCheck.physician_id.in_({physician.id for _, physician in rows})).order_by(FaceCheck.id)):
            by_physician.setdefault(check.physician_id, []).append(check)
        for attempt, _ in sorted(rows, key=lambda row: row[0].number):  # each takes the checks before it
            mine = by_physician.get(attempt.physician_id, [])
            checks[attempt.id] = [c for c in mine if c.created_at <= attempt.started_at]
            by_physician[attempt.physician_id] = [c for c in mine if c.created_at > attempt.started_at]
        for capture in db.session.scalars(select(ExamCapture).where(ExamCapture.attempt_id.in_(ids))
                                          .order_by(ExamCapture.slot)):
            captures.setdefault(capture.attempt_id, []).append(capture)
    found = [Sitting(attempt, physician, checks.get(attempt.id, []), captures.get(attempt.id, []))
             for attempt, physician in rows]
    found.sort(key=lambda sitting: not sitting.flagged)
    return [s for s in found if s.flagged] if flagged_only else found

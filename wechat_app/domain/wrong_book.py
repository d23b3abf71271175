"""错题本: a question goes in when it is answered wrong in a course (practice or a mock paper) and
leaves after it is answered right N times in a row (WRONG_BOOK_STREAK, 2 by default); a wrong answer
puts a question that is in the book back to a streak of 0."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from wechat_app import clock
from wechat_app.extensions import db
from wechat_app.models import PracticeAnswer, WrongAnswer


def streak_needed() -> int:
    return int(current_app.config.get("WRONG_BOOK_STREAK", 2))


def record(physician_id: int, course_id: int, question_id: int, right: bool) -> WrongAnswer | None:
    """One answer, in the caller's transaction; returns the book's entry (None when not, or no longer, in it)."""
    db.session.add(PracticeAnswer(physician_id=physician_id, course_id=course_id, question_id=question_id, right=right))
    entry = db.session.scalar(select(WrongAnswer).where(
        WrongAnswer.physician_id == physician_id, WrongAnswer.course_id == course_id,
        WrongAnswer.question_id == question_id))
    if right:
        if entry is None:
            return None
        entry.streak += 1
        if entry.streak >= streak_needed():
            db.session.delete(entry)
            return None
    elif entry is None:
        entry = WrongAnswer(physician_id=physician_id, course_id=course_id, question_id=question_id, wrong_count=1,
                            streak=0)
        db.session.add(entry)
    else:
        entry.wrong_count += 1
        entry.streak = 0
    entry.updated_at = clock.now()
    return entry


def record_attempt(attempt, course_id: int, right: dict[int, bool]) -> None:
    """A submitted mock paper: every question of it answered, right or wrong (unanswered is wrong)."""
    for question_id in attempt.question_ids:
        record(attempt.physician_id, course_id, question_id, right.get(question_id, False))

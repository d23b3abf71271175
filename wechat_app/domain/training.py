"""定考培训 / 我要学习: which courses a physician sees (by procedure × 执业类别 × 级别, seed: 简易程序 learn
医学人文, 一般程序 医学人文 and 专业知识), enrolment (我的订单, free), lesson progress (position kept,
done past 90 %), mock papers on the exam engine, 背题模式 / 做题模式 over the course's part of the bank,
and the 错题本 (domain/wrong_book.py). Every list is a fixed number of queries however much it holds.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select

from wechat_app import clock
from wechat_app.domain import exams, wrong_book
from wechat_app.domain.errors import DomainError
from wechat_app.domain.home import current_cycle_and_registration
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.extensions import db
from wechat_app.models import (
    Attempt,
    Course,
    CourseMedia,
    Enrolment,
    LessonProgress,
    MockPaper,
    Physician,
    PracticeAnswer,
    Question,
    WrongAnswer,
)
from wechat_app.models.enums import MediaKind, QuestionPool

DONE_SHARE = 0.9  # a lesson watched this far counts as done


@dataclass(frozen=True)
class Learner:
    """What chooses a physician's courses."""

    province_id: int | None
    procedure: str | None
    category: str | None
    level: str | None


def learner(physician: Physician) -> Learner:
    province_id = physician.institution.province_id if physician.institution else None
    _, registration = current_cycle_and_registration(physician)
    if registration is None:
        return Learner(province_id, None, physician.category, physician.level)
    target = exams.target_of(registration)
    return Learner(province_id, target.procedure, target.category, target.level)


def visible_courses(who: Learner):
    """Published courses of the physician's province for them; before a procedure is chosen, both
    procedures' courses (a physician may study before registering)."""
    return courses_for(who.province_id, who.procedure, who.category, who.level)


def courses_for(province_id: Any, procedure: Any, category: Any, level: Any):
    """`visible_courses` for values or bind parameters (a statement built once, `cards_statement`)."""
    query = select(Course).where(Course.province_id == province_id, Course.published.is_(True))
    if procedure is not None:
        query = query.where((Course.procedure.is_(None)) | (Course.procedure == procedure))
    query = query.where((Course.category.is_(None)) | (Course.category == category),
                        (Course.level.is_(None)) | (Course.level == level))
    return query.order_by(Course.required.desc(), Course.id)


@dataclass
class Progress:
    lessons: int = 0
    lessons_done: int = 0
    mock_papers: int = 0
    papers_taken: int = 0
    best_score: int | None = None
    textbooks: int = 0
    wrong: int = 0
    seen: int = 0  # different questions answered in the course
    right: int = 0  # of which answered right at least once
    studied_seconds: int = 0  # 学时: the time of lessons watched, as the server credited it


@dataclass
class Card:
    course: Course
    progress: Progress = field(default_factory=Progress)
    enrolled: bool = False


def cards(physician: Physician, who: Learner | None = None) -> list[Card]:
    """The course cards with their counts and this physician's progress and enrolment: one query."""
    who = who or learner(physician)
    rows = db.session.execute(cards_statement(bool(who.procedure)), {
        "me": physician.id, "province_id": who.province_id, "procedure": who.procedure, "category": who.category,
        "level": who.level})
    return [Card(course, Progress(**dict(zip(CARD_FIGURES, values, strict=True))), bool(is_enrolled))
            for course, *values, is_enrolled in rows]


CARD_FIGURES = ("lessons", "textbooks", "mock_papers", "lessons_done", "papers_taken", "best_score", "wrong", "seen",
                "right", "studied_seconds")


@lru_cache(maxsize=2)
def cards_statement(with_procedure: bool):
    """The cards' query, built once per process (building it costs more than running it): each figure
    a correlated subquery over the few visible courses, the physician and the learner as parameters."""
    me: Any = bindparam("me")

    def count(*what, of=None):
        return select(func.count(of) if of is not None else func.count()).where(*what).correlate(Course).scalar_subquery()

    lesson = CourseMedia.kind == MediaKind.LESSON
    # The mock paper joined in the figure's own FROM: a nested IN (SELECT … WHERE course_id = courses.id)
    # is not correlated two levels up and counted every course's mocks on every card.
    finished = (Attempt.physician_id == me, Attempt.submitted_at.is_not(None),
                Attempt.mock_paper_id == MockPaper.id, MockPaper.course_id == Course.id)
    practised = (PracticeAnswer.course_id == Course.id, PracticeAnswer.physician_id == me)
    figures = {
        "lessons": count(CourseMedia.course_id == Course.id, lesson),
        "textbooks": count(CourseMedia.course_id == Course.id, ~lesson),
        "mock_papers": count(MockPaper.course_id == Course.id),
        "lessons_done": count(CourseMedia.course_id == Course.id, LessonProgress.media_id == CourseMedia.id,
                              LessonProgress.physician_id == me, LessonProgress.done.is_(True)),
        "papers_taken": count(*finished),
        "best_score": select(func.max(Attempt.score)).where(*finished).correlate(Course).scalar_subquery(),
        "wrong": count(WrongAnswer.course_id == Course.id, WrongAnswer.physician_id == me),
        "seen": count(*practised, of=func.distinct(PracticeAnswer.question_id)),
        "right": count(*practised, PracticeAnswer.right.is_(True), of=func.distinct(PracticeAnswer.question_id)),
        "studied_seconds": select(func.coalesce(func.sum(LessonProgress.credited_seconds), 0)).where(
            LessonProgress.media_id == CourseMedia.id, CourseMedia.course_id == Course.id,
            LessonProgress.physician_id == me).correlate(Course).scalar_subquery(),
    }
    assert tuple(figures) == CARD_FIGURES
    enrolled = select(Enrolment.id).where(Enrolment.course_id == Course.id, Enrolment.physician_id == me).exists()
    return courses_for(bindparam("province_id"), bindparam("procedure") if with_procedure else None,
                       bindparam("category"), bindparam("level")).add_columns(*figures.values(), enrolled)


def course_for(physician: Physician, course_id: int) -> Course:
    """A course this physician may open; anything else (another province, unpublished) is a 404."""
    course = db.session.scalar(visible_courses(learner(physician)).where(Course.id == course_id))
    if course is None:
        raise DomainError("课程不存在。", status=404)
    return course


def media_for(physician: Physician, media_id: int) -> CourseMedia:
    media = db.session.get(CourseMedia, media_id)
    if media is None:
        raise DomainError("内容不存在。", status=404)
    course_for(physician, media.course_id)
    return media


@use_case("已报名该课程。")
def enrol(physician: Physician, course: Course) -> Enrolment:
    """免费学习: the enrolment row (我的订单), made once when the course is first opened."""
    found = db.session.scalar(select(Enrolment).where(Enrolment.physician_id == physician.id,
                                                      Enrolment.course_id == course.id))
    if found is None:
        found = Enrolment(physician_id=physician.id, course_id=course.id, price_cents=course.price_cents)
        db.session.add(found)
        db.session.flush()
    return found


def enrolments(physician: Physician) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.physician_id == physician.id)
                                   .order_by(Enrolment.id.desc())))


def contents(course: Course) -> tuple[list[CourseMedia], list[CourseMedia], list[MockPaper]]:
    media = list(db.session.scalars(select(CourseMedia).where(CourseMedia.course_id == course.id)
                                    .order_by(CourseMedia.position, CourseMedia.id)))
    mocks = list(db.session.scalars(select(MockPaper).where(MockPaper.course_id == course.id)
                                    .order_by(MockPaper.position, MockPaper.id)))
    return ([m for m in media if m.kind == MediaKind.LESSON], [m for m in media if m.kind == MediaKind.TEXTBOOK],
            mocks)


def progress_of(physician: Physician, media: list[CourseMedia]) -> dict[int, LessonProgress]:
    if not media:
        return {}
    return {p.media_id: p for p in db.session.scalars(select(LessonProgress).where(
        LessonProgress.physician_id == physician.id, LessonProgress.media_id.in_([m.id for m in media])))}


# Learning time is what the server saw pass (issue 20): a lesson posted as "at the end" right after
# opening, or dragged there, is not watched. The page beats every BEAT seconds while playing.
MAX_RATE = 1.5  # playback faster than this is not credited beyond it (the page caps the player too)
BEAT_GAP = 30  # seconds: a longer silence (a sleeping phone, a closed page) credits nothing
ELSEWHERE = "您正在学习另一节课程，同一时间只计一节课程的学时。"


@dataclass(frozen=True)
class Beat:
    progress: LessonProgress
    credited: int  # seconds credited by this beat
    elsewhere: bool  # another lesson is being played at the same time: nothing credited


def save_position(physician: Physician, media: CourseMedia, position: int, playing: bool = True) -> Beat:
    """A heartbeat of the lesson's page: where the video is now (seconds). The furthest point moves
    on only by watching — at most MAX_RATE × the time since the last beat, and never while another
    lesson of the physician beats at the same time; 学时 is the time so credited; past 90 % of the
    lesson reached that way it is done. Seeking back and resuming are free. A beat that is not
    `playing` (a pause, the end, leaving) credits up to it and stops the clock."""
    if media.kind != MediaKind.LESSON:
        raise DomainError("该内容不是视频课程。", status=404)
    length = media.duration_seconds or 0
    position = max(0, min(position, length or position))
    now = clock.now()
    with unit_of_work("进度正在保存，请稍后重试。"):
        row = db.session.scalar(select(LessonProgress).where(LessonProgress.physician_id == physician.id,
                                                             LessonProgress.media_id == media.id)
                                .with_for_update())
        if row is None:
            row = LessonProgress(physician_id=physician.id, media_id=media.id, position_seconds=0, furthest_seconds=0,
                                 credited_seconds=0, done=False)
            db.session.add(row)
        elsewhere = db.session.scalar(select(LessonProgress.id).where(
            LessonProgress.physician_id == physician.id, LessonProgress.media_id != media.id,
            LessonProgress.last_beat_at > now - timedelta(seconds=BEAT_GAP)).limit(1)) is not None
        elapsed = (now - row.last_beat_at).total_seconds() if row.last_beat_at is not None else 0.0
        last, credited = row.position_seconds, 0
        if not elsewhere and 0 < elapsed <= BEAT_GAP and position > last:
            watched = min(position - last, int(elapsed * MAX_RATE))
            credited = min(watched, int(elapsed) + 1)
            if last <= row.furthest_seconds + 1:  # watching on from within what was watched
                row.furthest_seconds = max(row.furthest_seconds, last + watched)
        row.credited_seconds += credited
        row.position_seconds = position
        row.last_beat_at = now if playing and not elsewhere else None
        row.done = bool(row.done) or (length > 0 and row.furthest_seconds >= DONE_SHARE * length)
        row.updated_at = now
        return Beat(row, credited, elsewhere)


def start_mock(physician: Physician, mock: MockPaper) -> Attempt:
    """模拟自测: the unfinished attempt of this mock paper, or a new one, timed on the server like
    the real exam (no window, no face check, as many attempts as wanted)."""
    course_for(physician, mock.course_id)
    now = clock.now()
    with unit_of_work("练习已在其他页面开始，请刷新后继续。"):
        ongoing = db.session.scalar(select(Attempt).where(
            Attempt.physician_id == physician.id, Attempt.mock_paper_id == mock.id, Attempt.submitted_at.is_(None),
            Attempt.deadline > now))
        if ongoing is not None:
            return ongoing
        number = (db.session.scalar(select(func.max(Attempt.number)).where(
            Attempt.physician_id == physician.id, Attempt.mock_paper_id == mock.id)) or 0) + 1
        seed = secrets.randbelow(2**31)
        drawn = exams.assemble(mock.paper, mock.course.province_id, mock.course.category, seed, QuestionPool.PRACTICE)
        attempt = Attempt(mock_paper_id=mock.id, paper_id=mock.paper_id, physician_id=physician.id, number=number,
                          seed=seed, question_ids=drawn.question_ids, option_orders=drawn.option_orders,
                          points=drawn.points, started_at=now,
                          deadline=now + timedelta(minutes=mock.paper.duration_minutes))
        db.session.add(attempt)
        db.session.flush()
        return attempt


def practice_pool(course: Course):
    """The course's part of the bank: its 知识点 and 执业类别, active 练习 questions, in a stable order.
    A 考试 question is never shown here, with its answer or without (issue 20)."""
    query = select(Question.id).where(Question.province_id == course.province_id, Question.retired.is_(False),
                                      Question.pool == QuestionPool.PRACTICE.value)
    if course.topic:
        query = query.where(Question.topic == course.topic)
    if course.category:
        query = query.where((Question.category.is_(None)) | (Question.category == course.category))
    return query.order_by(Question.id)


def practice_question(course: Course, number: int, wrong_only_of: Physician | None = None) -> tuple[Question, int]:
    """The `number`-th question (1-based) of the course's pool, or of a physician's 错题本 for it."""
    query = practice_pool(course)
    if wrong_only_of is not None:
        query = query.where(Question.id.in_(select(WrongAnswer.question_id).where(
            WrongAnswer.physician_id == wrong_only_of.id, WrongAnswer.course_id == course.id)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if total == 0:
        raise DomainError("错题本是空的，继续保持！" if wrong_only_of is not None else "该课程暂无练习题。", status=404)
    question_id = db.session.scalar(query.offset(min(max(number, 1), total) - 1).limit(1))
    question = db.session.get(Question, question_id) if question_id is not None else None
    if question is None:  # the pool changed between the count and the pick
        raise DomainError("题目已更新，请刷新后重试。", status=409)
    return question, total


@dataclass(frozen=True)
class Checked:
    right: bool
    answer: str
    explanation: str | None
    in_book: bool
    streak: int
    given: str = ""  # the option keys the physician chose, shown against the answer


@use_case("答案正在保存，请稍后重试。")
def answer_practice(physician: Physician, course: Course, question: Question, given: str) -> Checked:
    """做题模式: check one answer at once and keep the 错题本."""
    if db.session.scalar(practice_pool(course).where(Question.id == question.id)) is None:
        raise DomainError("该题不在本课程的题库中。", status=404)
    normalized = exams.normalized(question, given)
    if not normalized:
        raise DomainError("请选择答案。")
    right = normalized == "".join(sorted(question.answer))
    entry = wrong_book.record(physician.id, course.id, question.id, right)
    return Checked(right, question.answer, question.explanation, entry is not None, entry.streak if entry else 0,
                   normalized)


def wrong_entries(physician: Physician, course: Course) -> list[tuple[WrongAnswer, Question]]:
    """The 错题本 of one course, with its questions (one query)."""
    return [(entry, question) for entry, question in db.session.execute(
        select(WrongAnswer, Question).join(Question, WrongAnswer.question_id == Question.id).where(
            WrongAnswer.physician_id == physician.id, WrongAnswer.course_id == course.id,
            Question.pool == QuestionPool.PRACTICE.value)
        .order_by(WrongAnswer.updated_at.desc(), WrongAnswer.id))]

"""定考培训 (DESIGN.md §4.1): courses chosen by procedure × 执业类别 × 级别, their media (video lessons
and the e-textbook, stored outside static/), mock papers built from the exam bank's papers, and a
physician's enrolment (我的订单), lesson progress and 错题本."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.enums import MediaKind, check_in
from wechat_app.models.exam import Paper


class Course(Model):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    title: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(20))  # 人文医学 / 业务水平: what the seed's card shows in 【】
    topic: Mapped[str | None] = mapped_column(String(40))  # the bank's 知识点 its practice draws from
    procedure: Mapped[str | None] = mapped_column(String(10))  # None: both procedures
    category: Mapped[str | None] = mapped_column(String(10))  # None: every 执业类别
    level: Mapped[str | None] = mapped_column(String(20))  # None: 执业医师 and 执业助理医师
    required: Mapped[bool] = mapped_column(Boolean, default=False)  # 参加本周期的医师都必学
    description: Mapped[str | None] = mapped_column(Text)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)  # 0: 免费学习 (paid courses are not built)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def full_title(self) -> str:
        """As the seed's card names a course, everywhere it is named: 标题【科目】[执业类别]."""
        return f"{self.title}【{self.subject}】" + (f"[{self.category}]" if self.category else "")


class CourseMedia(Model):
    """A video lesson or the e-textbook (a PDF), stored under a random name outside static/."""

    __tablename__ = "course_media"
    __table_args__ = (check_in("kind", MediaKind),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    duration_seconds: Mapped[int | None]  # lessons: read from the file (ffprobe)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    course: Mapped[Course] = relationship()


class MockPaper(Model):
    """模拟试卷: a paper of the bank offered in a course, taken like the real exam without a window."""

    __tablename__ = "mock_papers"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    title: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    paper: Mapped[Paper] = relationship()
    course: Mapped[Course] = relationship()


class Enrolment(Model):
    """我的订单: a physician's enrolment in a course (all free today; a real row so that paid courses could be)."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("physician_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    course: Mapped[Course] = relationship()


class LessonProgress(Model):
    """Where a physician stopped in a lesson, how far they got by watching, the time credited, and
    whether it counts as done (90 % reached by watching: domain/training.save_position)."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("physician_id", "media_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("course_media.id"))
    position_seconds: Mapped[int] = mapped_column(Integer, default=0)
    furthest_seconds: Mapped[int] = mapped_column(Integer, default=0)  # the furthest point reached by watching
    credited_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 学时: time watched
    last_beat_at: Mapped[datetime | None]  # the page's last heartbeat: credit is measured from it
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class WrongAnswer(Model):
    """错题本: a question answered wrong in a course's practice or mock paper; it leaves after it is
    answered right `WRONG_BOOK_STREAK` times in a row."""

    __tablename__ = "wrong_answers"
    __table_args__ = (UniqueConstraint("physician_id", "course_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    wrong_count: Mapped[int] = mapped_column(Integer, default=1)
    streak: Mapped[int] = mapped_column(Integer, default=0)  # right answers in a row since the last wrong one
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class PracticeAnswer(Model):
    """Every answer given in a course (做题模式, 错题本 practice, a mock paper): what 'questions seen /
    answered right' on the course card counts."""

    __tablename__ = "practice_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    right: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(default=clock.now)

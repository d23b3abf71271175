"""Course management in the console (the province's authority or its assessment body): a course
for (province, cycle, procedure, 执业类别, 级别), its video lessons (length read from the file), its
e-textbook (a PDF), mock papers from the bank's papers, publishing, and a progress table."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from wechat_app import media
from wechat_app.domain import audit, exams, spreadsheets
from wechat_app.domain.cycles import current_cycle
from wechat_app.domain.errors import DomainError
from wechat_app.domain.scopes import check_edits_material, own_province_id
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.domain.uploads import WRITTEN
from wechat_app.extensions import db
from wechat_app.models import Attempt, Course, CourseMedia, Enrolment, LessonProgress, MockPaper, Paper, Staff
from wechat_app.models.enums import MediaKind, QuestionPool
from wechat_app.storage import storage

VIDEO_SUFFIXES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm"}
MAX_VIDEO_BYTES = 500 * 1024 * 1024
MAX_PDF_BYTES = 50 * 1024 * 1024
PROCEDURES = ("简易程序", "一般程序")


@dataclass(frozen=True)
class CourseInput:
    title: str
    subject: str
    topic: str | None
    procedure: str | None
    category: str | None
    level: str | None
    required: bool
    description: str


def managed(staff: Staff, course: Course) -> Course:
    """A course this staff member may change: of their province, and material they keep."""
    if course.province_id != own_province_id(staff):
        raise DomainError("课程不存在。", status=404)
    check_edits_material(staff)
    return course


@use_case()
def create_course(staff: Staff, data: CourseInput, ip: str | None) -> Course:
    province_id = own_province_id(staff)
    check_edits_material(staff)
    if not data.title or data.subject not in ("人文医学", "业务水平"):
        raise DomainError("请填写课程名称并选择课程类别（人文医学/业务水平）。")
    if data.procedure and data.procedure not in PROCEDURES:
        raise DomainError("请选择考核程序。")
    cycle = current_cycle(province_id)
    course = Course(province_id=province_id, cycle_id=cycle.id if cycle else None, title=data.title,
                    subject=data.subject, topic=data.topic or None, procedure=data.procedure or None,
                    category=data.category or None, level=data.level or None, required=data.required,
                    description=data.description or None, created_by=staff.id)
    db.session.add(course)
    db.session.flush()
    audit.record("staff", staff.id, "course_create", "staff", staff.id, ip, course=course.id)
    return course


def store(course: Course, kind: MediaKind, title: str, data: bytes, suffix: str, content_type: str,
          duration: int | None) -> CourseMedia:
    name = storage().save(data, suffix)
    db.session.info.setdefault(WRITTEN, []).append(name)  # removed again if the transaction fails
    position = (db.session.scalar(select(func.max(CourseMedia.position)).where(CourseMedia.course_id == course.id)) or 0) + 1
    row = CourseMedia(course_id=course.id, kind=kind.value, title=title, position=position, stored_name=name,
                      content_type=content_type, size=len(data), duration_seconds=duration)
    db.session.add(row)
    db.session.flush()
    return row


def file_suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""


def add_lesson(staff: Staff, course: Course, title: str, filename: str, data: bytes, ip: str | None) -> CourseMedia:
    """A video lesson: mp4 (H.264, what phones in WeChat play) or webm, its length read by ffprobe."""
    managed(staff, course)
    suffix = file_suffix(filename)
    if suffix not in VIDEO_SUFFIXES:
        raise DomainError("请上传mp4格式的视频文件。")
    if not data or len(data) > MAX_VIDEO_BYTES:
        raise DomainError("视频文件为空或超过500MB。")
    try:
        seconds = media.video_seconds(data, suffix)
    except media.ProbeError as exc:
        raise DomainError(str(exc)) from None
    with unit_of_work():
        row = store(course, MediaKind.LESSON, title or filename, data, suffix, VIDEO_SUFFIXES[suffix], seconds)
        audit.record("staff", staff.id, "course_lesson_add", "staff", staff.id, ip, course=course.id)
        return row


def add_textbook(staff: Staff, course: Course, title: str, data: bytes, ip: str | None) -> CourseMedia:
    managed(staff, course)
    if not data.startswith(b"%PDF-") or len(data) > MAX_PDF_BYTES:
        raise DomainError("请上传PDF格式的电子教材（不超过50MB）。")
    with unit_of_work():
        row = store(course, MediaKind.TEXTBOOK, title or "电子教材", data, ".pdf", "application/pdf", None)
        audit.record("staff", staff.id, "course_textbook_add", "staff", staff.id, ip, course=course.id)
        return row


@use_case()
def attach_mock(staff: Staff, course: Course, paper_id: int | None, title: str, ip: str | None) -> MockPaper:
    managed(staff, course)
    paper = db.session.get(Paper, paper_id or 0)
    if paper is None or paper.province_id != course.province_id:
        raise DomainError("请选择试卷。")
    # A mock paper draws from the 练习 pool only: refuse one that pool cannot fill now, not at 模拟自测.
    exams.assemble(paper, course.province_id, course.category, 1, QuestionPool.PRACTICE)
    position = (db.session.scalar(select(func.max(MockPaper.position)).where(MockPaper.course_id == course.id)) or 0) + 1
    mock = MockPaper(course_id=course.id, paper_id=paper.id, title=title or paper.title, position=position)
    db.session.add(mock)
    audit.record("staff", staff.id, "course_mock_add", "staff", staff.id, ip, course=course.id)
    return mock


@use_case()
def set_published(staff: Staff, course: Course, published: bool, ip: str | None) -> None:
    managed(staff, course)
    course.published = published
    audit.record("staff", staff.id, "course_publish" if published else "course_unpublish", "staff", staff.id, ip,
                 course=course.id)


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    enrolled: int
    started: int
    finished: int
    mock_attempts: int
    average_score: float | None


def progress(staff: Staff) -> list[CourseProgress]:
    """Per course of the province: enrolled, started (any lesson), finished (every lesson done), mock
    papers handed in and their average score — a fixed number of queries."""
    courses = list(db.session.scalars(select(Course).where(Course.province_id == own_province_id(staff))
                                      .order_by(Course.id)))
    ids = [c.id for c in courses]
    enrolled: dict[int, int] = {course_id: count for course_id, count in db.session.execute(
        select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(ids)).group_by(Enrolment.course_id))}
    lessons: dict[int, int] = {course_id: count for course_id, count in db.session.execute(
        select(CourseMedia.course_id, func.count()).where(CourseMedia.course_id.in_(ids),
                                                          CourseMedia.kind == MediaKind.LESSON)
        .group_by(CourseMedia.course_id))}
    per_physician = select(CourseMedia.course_id, LessonProgress.physician_id,
                           func.sum(case((LessonProgress.done.is_(True), 1), else_=0)).label("done")).join(
        LessonProgress, LessonProgress.media_id == CourseMedia.id).where(CourseMedia.course_id.in_(ids)).group_by(
        CourseMedia.course_id, LessonProgress.physician_id).subquery()
    started: dict[int, int] = {}
    finished: dict[int, int] = {}
    for course_id, _, done in db.session.execute(select(per_physician)):
        started[course_id] = started.get(course_id, 0) + 1
        if lessons.get(course_id) and (done or 0) >= lessons[course_id]:
            finished[course_id] = finished.get(course_id, 0) + 1
    mocks = {course_id: (count, average) for course_id, count, average in db.session.execute(
        select(MockPaper.course_id, func.count(Attempt.id), func.avg(Attempt.score)).join(
            Attempt, Attempt.mock_paper_id == MockPaper.id).where(
            MockPaper.course_id.in_(ids), Attempt.submitted_at.is_not(None)).group_by(MockPaper.course_id))}
    return [CourseProgress(c, enrolled.get(c.id, 0), started.get(c.id, 0), finished.get(c.id, 0),
                           mocks.get(c.id, (0, None))[0],
                           round(float(mocks[c.id][1]), 1) if c.id in mocks and mocks[c.id][1] is not None else None)
            for c in courses]


PROGRESS_HEADER = ("课程", "类别", "考核程序", "执业类别", "级别", "已发布", "报名人数", "开始学习", "学完全部课时",
                   "模拟自测次数", "模拟平均分")


def export_progress(staff: Staff, ip: str | None) -> bytes:
    rows = progress(staff)
    data = spreadsheets.export("课程学习情况", PROGRESS_HEADER, [
        (p.course.title, p.course.subject, p.course.procedure or "全部", p.course.category or "全部",
         p.course.level or "全部", "是" if p.course.published else "否", p.enrolled, p.started, p.finished,
         p.mock_attempts, "" if p.average_score is None else p.average_score) for p in rows])
    with unit_of_work():
        audit.record("staff", staff.id, "export_course_progress", "staff", staff.id, ip, rows=len(rows))
    return data

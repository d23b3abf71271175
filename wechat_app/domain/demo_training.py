"""Demo 定考培训: the seed's courses for Hunan and 广西 (人文医学 for everyone, 业务水平 per 级别 for 临床),
with a short generated video (domain/data/demo_lesson.mp4, 8 s, made with ffmpeg's test pattern),
a generated PDF e-textbook, mock papers from the demo bank, and two demo physicians with progress
and a non-empty 错题本."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from wechat_app.documents import FONT, HEIGHT, WIDTH, a4
from wechat_app.domain import demo_exams
from wechat_app.domain.course_admin import store
from wechat_app.extensions import db
from wechat_app.models import (
    Course,
    CourseMedia,
    Enrolment,
    LessonProgress,
    MockPaper,
    Paper,
    Physician,
    Province,
    Question,
    WrongAnswer,
)
from wechat_app.models.enums import MediaKind

VIDEO = Path(__file__).parent / "data" / "demo_lesson.mp4"
VIDEO_SECONDS = 8
TEXTBOOK_CHAPTERS = ("第一章 医师定期考核的法律依据", "第二章 医学伦理学的基本原则", "第三章 医患沟通",
                     "第四章 医疗纠纷的预防和处理", "第五章 病历书写规范")
HUMANITIES_LESSONS = ("医师法解读", "医学伦理学基本原则", "医患沟通技巧", "医疗纠纷预防与处理", "病历书写与知情同意")
MOCK_RULES = [{"kind": "A1", "count": 8, "points": 5, "topic": demo_exams.HUMANITIES},
              {"kind": "X", "count": 2, "points": 10, "topic": demo_exams.HUMANITIES},
              {"kind": "B1", "count": 4, "points": 10, "topic": demo_exams.HUMANITIES}]
PROFESSIONAL_MOCK_RULES = [{"kind": "A1", "count": 10, "points": 5, "topic": demo_exams.PROFESSIONAL},
                           {"kind": "A2", "count": 10, "points": 5, "topic": demo_exams.PROFESSIONAL}]


def textbook_pdf(title: str) -> bytes:
    page, buffer = a4(title)
    width, height = WIDTH, HEIGHT
    for number, chapter in enumerate(TEXTBOOK_CHAPTERS, start=1):
        page.setFont(FONT, 18)
        page.drawCentredString(width / 2, height - 80, title if number == 1 else chapter)
        page.setFont(FONT, 12)
        page.drawString(60, height - 130, chapter)
        page.drawString(60, height - 160, "（示例教材：由课程管理员在后台上传正式教材后替换。）")
        page.drawCentredString(width / 2, 40, f"第{number}页")
        page.showPage()
    page.save()
    return buffer.getvalue()


def mock_papers(course: Course, count: int, rules: list[dict]) -> None:
    for number in range(1, count + 1):
        title = f"{course.subject}模拟试卷{number}"
        paper = Paper(province_id=course.province_id, title=title, rules=rules, pass_mark=60, duration_minutes=30)
        db.session.add(paper)
        db.session.flush()
        db.session.add(MockPaper(course_id=course.id, paper_id=paper.id, title=title, position=number))


def seed_course(province: Province, title: str, subject: str, lessons: tuple[str, ...], mocks: int, **target) -> Course:
    course = Course(province_id=province.id, title=title, subject=subject, published=True,
                    description=f"{title}：视频课程、模拟试卷与电子教材，免费学习。", **target)
    db.session.add(course)
    db.session.flush()
    video = VIDEO.read_bytes()
    for lesson in lessons:  # stored as the console stores an upload (in order, removed if the seed fails)
        store(course, MediaKind.LESSON, lesson, video, ".mp4", "video/mp4", VIDEO_SECONDS)
    store(course, MediaKind.TEXTBOOK, f"{title}电子教材", textbook_pdf(title), ".pdf", "application/pdf", None)
    mock_papers(course, mocks, MOCK_RULES if subject == "人文医学" else PROFESSIONAL_MOCK_RULES)
    return course


def seed_courses() -> None:
    """Once: the seed's course cards for each province that has a bank."""
    if db.session.scalar(select(Course.id).limit(1)) is not None:
        return
    for province in db.session.scalars(select(Province).order_by(Province.id)):
        demo_exams.seed_bank(province.id)
        year_name = f"2026{province.name}医师定期考核"
        seed_course(province, f"{year_name}人文医学测评", "人文医学", HUMANITIES_LESSONS, 10, required=True,
                    topic=demo_exams.HUMANITIES)
        for level, lessons in (("执业医师", ("临床业务水平要点",)), ("执业助理医师", ())):
            seed_course(province, f"{year_name}业务水平测评免费学习【{level}】", "业务水平", lessons, 2,
                        topic=demo_exams.PROFESSIONAL, procedure="一般程序", category="临床", level=level)
    db.session.flush()
    seed_learners()


def seed_learners() -> None:
    """Two demo physicians part-way through the 人文医学 course, with a few questions in the 错题本."""
    course = db.session.scalar(select(Course).where(Course.subject == "人文医学").order_by(Course.id))
    if course is None:
        return
    lessons = list(db.session.scalars(select(CourseMedia).where(CourseMedia.course_id == course.id,
                                                                CourseMedia.kind == MediaKind.LESSON)
                                      .order_by(CourseMedia.position)))
    questions = list(db.session.scalars(select(Question.id).where(Question.province_id == course.province_id,
                                                                  Question.topic == course.topic)
                                        .order_by(Question.id).limit(3)))
    for physician in db.session.scalars(select(Physician).order_by(Physician.id.desc()).limit(2)):
        db.session.add(Enrolment(physician_id=physician.id, course_id=course.id))
        db.session.add(LessonProgress(physician_id=physician.id, media_id=lessons[0].id, position_seconds=VIDEO_SECONDS,
                                      furthest_seconds=VIDEO_SECONDS, credited_seconds=VIDEO_SECONDS, done=True))
        db.session.add(LessonProgress(physician_id=physician.id, media_id=lessons[1].id, position_seconds=3,
                                      furthest_seconds=3, credited_seconds=3, done=False))
        db.session.add_all(WrongAnswer(physician_id=physician.id, course_id=course.id, question_id=question_id)
                           for question_id in questions)

"""定考培训 / 我要学习 (/m/study): the seed's 考前学习准备 — courses by procedure × 执业类别 × 级别 with the
bottom bar 首页 / 课程学习 / 我的订单 / 个人中心; a course's video lessons (resumed where they stopped),
its mock papers (taken on the exam pages, /m/attempts/…), its e-textbook, 背题模式 / 做题模式 and the
错题本. Media are served from storage with range requests, only to physicians the course is for."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wechat_app import limits
from wechat_app.auth import physician_required
from wechat_app.domain import training
from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm
from wechat_app.forms.study import PositionForm, PracticeForm
from wechat_app.inputs import parse_count
from wechat_app.models import Course, CourseMedia, MockPaper
from wechat_app.models.enums import MediaKind
from wechat_app.storage import storage

bp = Blueprint("study", __name__)


def my_course(course_id: int) -> Course:
    try:
        return training.course_for(current_user, course_id)
    except DomainError:
        abort(404)


def my_media(media_id: int, kind: MediaKind | None = None) -> CourseMedia:
    """A lesson or textbook of a course for this physician (of `kind` when given); else a 404."""
    try:
        media = training.media_for(current_user, media_id)
    except DomainError:
        abort(404)
    if kind is not None and media.kind != kind:
        abort(404)
    return media


def enrolled_ids() -> set[int]:
    return {e.course_id for e in training.enrolments(current_user)}


@bp.get("/m/study")
@physician_required
def index():
    """首页: the courses for this physician, the required ones first."""
    who = training.learner(current_user)
    return render_template("study/index.html", cards=training.cards(current_user, who), tab="home", learner=who,
                           form=ConfirmForm())


@bp.get("/m/study/learning")
@physician_required
def learning():
    """课程学习: the courses this physician has started, with their progress."""
    return render_template("study/learning.html", cards=[c for c in training.cards(current_user) if c.enrolled],
                           tab="learning")


@bp.get("/m/study/orders")
@physician_required
def orders():
    return render_template("study/orders.html", enrolments=training.enrolments(current_user), tab="orders")


@bp.get("/m/study/me")
@physician_required
def me():
    return render_template("study/me.html", cards=training.cards(current_user), tab="me")


@bp.post("/m/study/courses/<int:course_id>/enrol")
@physician_required
def enrol(course_id: int):
    course = my_course(course_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    training.enrol(current_user, course)
    return redirect(url_for("study.course", course_id=course.id))


@bp.get("/m/study/courses/<int:course_id>")
@physician_required
def course(course_id: int):
    course = my_course(course_id)
    if course.id not in enrolled_ids():
        return render_template("study/enrol.html", course=course, form=ConfirmForm())
    lessons, textbooks, mocks = training.contents(course)
    return render_template("study/course.html", course=course, lessons=lessons, textbooks=textbooks, mocks=mocks,
                           progress=training.progress_of(current_user, lessons), form=ConfirmForm(),
                           wrong=len(training.wrong_entries(current_user, course)))


@bp.get("/m/study/lessons/<int:media_id>")
@physician_required
def lesson(media_id: int):
    media = my_media(media_id, MediaKind.LESSON)
    progress = training.progress_of(current_user, [media]).get(media.id)
    return render_template("study/lesson.html", media=media, progress=progress, form=PositionForm())


@bp.post("/m/study/lessons/<int:media_id>/position")
@physician_required
@limits.per_account(limits.LESSON_POSITION)
def position(media_id: int):
    """Where the video is (the page posts it every few seconds and when it is left)."""
    media = my_media(media_id, MediaKind.LESSON)
    form = PositionForm()
    if not form.validate_on_submit():
        return {"ok": False}, 400
    beat = training.save_position(current_user, media, form.position.data or 0, bool(form.playing.data))
    return {"ok": True, "done": beat.progress.done, "furthest": beat.progress.furthest_seconds,
            "studied": beat.progress.credited_seconds, "message": training.ELSEWHERE if beat.elsewhere else None}


@bp.get("/m/study/media/<int:media_id>")
@physician_required
def media_file(media_id: int):
    """The file itself, with range requests (seeking in a video asks for the part it needs)."""
    media = my_media(media_id)
    response = storage().send(media.stored_name, media.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/m/study/textbooks/<int:media_id>")
@physician_required
def textbook(media_id: int):
    media = my_media(media_id, MediaKind.TEXTBOOK)
    return render_template("study/textbook.html", media=media)


@bp.post("/m/study/mock/<int:mock_id>/start")
@physician_required
@limits.per_account(limits.MOCK_START)
def mock_start(mock_id: int):
    mock = db.session.get(MockPaper, mock_id)
    if mock is None or not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        attempt = training.start_mock(current_user, mock)
    except DomainError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message)
        return redirect(url_for("study.course", course_id=mock.course_id))
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


@bp.route("/m/study/courses/<int:course_id>/practice", methods=["GET", "POST"])
@physician_required
@limits.per_account(limits.PRACTICE_ANSWER, methods=["POST"])
def practice(course_id: int):
    """背题模式 (mode=recite: the answer at once), 做题模式 (mode=quiz: answer, then see), and the
    错题本's practice (wrong=1), one question a screen (?q=N)."""
    course = my_course(course_id)
    mode = "recite" if request.args.get("mode") == "recite" else "quiz"
    wrong_only = request.args.get("wrong") == "1"
    number = parse_count(request.args.get("q")) or 1
    try:
        question, total = training.practice_question(course, number, current_user if wrong_only else None)
    except DomainError as exc:
        return render_template("study/practice_empty.html", course=course, message=exc.message), 200
    form, checked = PracticeForm(), None
    if form.validate_on_submit():
        try:
            checked = training.answer_practice(current_user, course, question, "".join(form.choice.data or []))
        except DomainError as exc:
            flash(exc.message)
    return render_template("study/practice.html", course=course, question=question, total=total,
                           number=min(max(number, 1), total), mode=mode, wrong_only=wrong_only, checked=checked,
                           form=form)


@bp.get("/m/study/courses/<int:course_id>/wrong")
@physician_required
def wrong(course_id: int):
    course = my_course(course_id)
    entries = training.wrong_entries(current_user, course)
    return render_template("study/wrong.html", course=course, entries=entries)

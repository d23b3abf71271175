"""Console pages for 定考培训 (the authority or the assessment body of a province): courses, their
lessons (video, length read by ffprobe), e-textbook, mock papers, publishing, and progress."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wechat_app.console.common import bp, ip, outcome, refused, staff_required, xlsx
from wechat_app.domain import course_admin, enumerations
from wechat_app.domain.scopes import own_province_id
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm
from wechat_app.forms.console import CourseForm, MediaUploadForm, MockForm, PublishForm
from wechat_app.models import Course, CourseMedia, MockPaper, Paper
from wechat_app.models.enums import Role

COURSE_STAFF = (Role.ASSESSOR, Role.AUTHORITY)


def managed(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or course.province_id != own_province_id(current_user):
        abort(404)
    return course


@bp.get("/courses")
@staff_required(*COURSE_STAFF)
def courses():
    return render_template("console/courses.html", rows=course_admin.progress(current_user), form=CourseForm(),
                           categories=enumerations.categories(), levels=enumerations.levels(), confirm=ConfirmForm())


@bp.post("/courses")
@staff_required(*COURSE_STAFF)
def course_create():
    form = CourseForm()
    if not form.validate_on_submit():
        return refused(form)
    course = outcome(lambda: course_admin.create_course(current_user, form.to_input(), ip()),
                     lambda made: f"课程已创建（未发布）：{made.title}")
    return redirect(url_for("console.course_detail", course_id=course.id) if course else url_for("console.courses"))


@bp.get("/courses/<int:course_id>")
@staff_required(*COURSE_STAFF)
def course_detail(course_id: int):
    course = managed(course_id)
    media = db.session.scalars(select(CourseMedia).where(CourseMedia.course_id == course.id)
                               .order_by(CourseMedia.kind, CourseMedia.position)).all()
    mocks = db.session.scalars(select(MockPaper).where(MockPaper.course_id == course.id).order_by(MockPaper.position)).all()
    papers = db.session.scalars(select(Paper).where(Paper.province_id == course.province_id).order_by(Paper.id)).all()
    return render_template("console/course_detail.html", course=course, media=media, mocks=mocks, papers=papers,
                           upload=MediaUploadForm(), mock_form=MockForm(), publish=PublishForm())


@bp.post("/courses/<int:course_id>/<any(lesson, textbook):kind>")
@staff_required(*COURSE_STAFF)
def course_upload(course_id: int, kind: str):
    course = managed(course_id)
    request.max_content_length = course_admin.MAX_VIDEO_BYTES + 1024 * 1024  # videos are larger than forms
    form = MediaUploadForm()
    if not form.validate_on_submit():
        return refused(form)
    data = form.file.data.read(course_admin.MAX_VIDEO_BYTES + 1)
    if kind == "lesson":
        outcome(lambda: course_admin.add_lesson(current_user, course, form.title.data, form.file.data.filename, data,
                                                ip()),
                lambda row: f"已上传视频：{row.title}（{row.duration_seconds}秒）")
    else:
        outcome(lambda: course_admin.add_textbook(current_user, course, form.title.data, data, ip()),
                lambda row: f"已上传电子教材：{row.title}")
    return redirect(url_for("console.course_detail", course_id=course.id))


@bp.post("/courses/<int:course_id>/mock")
@staff_required(*COURSE_STAFF)
def course_mock(course_id: int):
    course = managed(course_id)
    form = MockForm()
    if not form.validate_on_submit():
        return refused(form)
    outcome(lambda: course_admin.attach_mock(current_user, course, form.paper_id.data, form.title.data, ip()),
            lambda mock: f"已添加模拟试卷：{mock.title}")
    return redirect(url_for("console.course_detail", course_id=course.id))


@bp.post("/courses/<int:course_id>/publish")
@staff_required(*COURSE_STAFF)
def course_publish(course_id: int):
    course = managed(course_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return refused(form)
    outcome(lambda: course_admin.set_published(current_user, course, bool(form.published.data), ip()),
            lambda _: "课程已发布，医师可在定考培训中学习。" if form.published.data else "课程已下架。")
    return redirect(url_for("console.course_detail", course_id=course.id))


@bp.post("/courses/export.xlsx")
@staff_required(*COURSE_STAFF)
def courses_export():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return xlsx(course_admin.export_progress(current_user, ip()), "课程学习情况.xlsx")

"""定考培训 in the console: a course made, a lesson uploaded with its length read from the file (and a
clear refusal without ffprobe or with a file that is no video), the e-textbook, a mock paper,
publishing to physicians, the progress table and its export; refused to institutions."""
from __future__ import annotations

import io
import shutil

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.helpers import csrf_token, ready_for_exam
from wechat_app.domain.demo_training import VIDEO
from wechat_app.models import Course, CourseMedia, MockPaper, Paper

needs_ffprobe = pytest.mark.skipif(shutil.which("ffprobe") is None,
                                   reason="no ffprobe here (apt-get install ffmpeg); .ci/run installs it")


def post(client, path: str, data: dict, page: str, **kw):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True, **kw)


def new_course(client, demo) -> Course:
    post(client, "/console/courses", {"title": "口腔业务水平精讲", "subject": "业务水平", "topic": "专业知识",
                                      "procedure": "", "category": "", "level": "", "description": "示例"},
         "/console/courses")
    return demo.session.scalar(select(Course).where(Course.title == "口腔业务水平精讲"))


def upload(client, course, kind: str, name: str, data: bytes, title: str = "第一讲"):
    return post(client, f"/console/courses/{course.id}/{kind}", {"title": title, "file": (io.BytesIO(data), name)},
                f"/console/courses/{course.id}", content_type="multipart/form-data").get_data(as_text=True)


@needs_ffprobe
def test_a_course_from_creation_to_a_physician(client, staff, demo, login_as):
    staff("kaohe")
    course = new_course(client, demo)
    assert "已上传视频：第一讲（8秒）" in upload(client, course, "lesson", "l1.mp4", VIDEO.read_bytes())
    assert "请上传mp4格式的视频文件" in upload(client, course, "lesson", "notes.txt", b"hello")
    assert "无法读取该视频" in upload(client, course, "lesson", "fake.mp4", b"not a video at all")
    assert "已上传电子教材" in upload(client, course, "textbook", "book.pdf", b"%PDF-1.4\n%%EOF\n", "教材")
    assert "请上传PDF格式" in upload(client, course, "textbook", "book.pdf", b"<html>", "教材")
    formal = demo.session.scalar(select(Paper).where(Paper.title == "公共知识医学人文测评卷"))
    post(client, f"/console/courses/{course.id}/mock", {"paper_id": formal.id, "title": "精讲模拟卷"},
         f"/console/courses/{course.id}")  # the 练习 pool cannot fill a formal paper's 16 A1
    assert demo.session.scalar(select(MockPaper).where(MockPaper.course_id == course.id)) is None
    paper = demo.session.scalar(select(Paper).where(Paper.title == "人文医学模拟试卷1"))
    post(client, f"/console/courses/{course.id}/mock", {"paper_id": paper.id, "title": "精讲模拟卷"},
         f"/console/courses/{course.id}")
    assert demo.session.scalar(select(MockPaper).where(MockPaper.course_id == course.id)).title == "精讲模拟卷"
    lesson = demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course.id, CourseMedia.kind == "lesson"))
    assert lesson.duration_seconds == 8

    physician = ready_for_exam(demo).physician
    login_as(physician)
    assert "口腔业务水平精讲" not in client.get("/m/study").get_data(as_text=True)  # not published yet
    staff("kaohe")
    post(client, f"/console/courses/{course.id}/publish", {"published": "y"}, f"/console/courses/{course.id}")
    login_as(physician)
    assert "口腔业务水平精讲" in client.get("/m/study").get_data(as_text=True)
    staff("hnwjw")  # the province's authority manages the same courses
    page = client.get("/console/courses").get_data(as_text=True)
    assert "口腔业务水平精讲" in page
    exported = post(client, "/console/courses/export.xlsx", {}, "/console/courses")
    rows = list(load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "课程" and any(row[0] == "口腔业务水平精讲" for row in rows)


def test_without_ffprobe_the_upload_says_why(client, staff, demo, monkeypatch):
    staff("kaohe")
    course = new_course(client, demo)
    monkeypatch.setattr("wechat_app.media.shutil.which", lambda name: None)
    assert "服务器未安装ffprobe" in upload(client, course, "lesson", "l1.mp4", VIDEO.read_bytes())
    assert demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course.id)) is None


def test_progress_counts_learners(client, staff, demo):
    staff("kaohe")
    page = client.get("/console/courses").get_data(as_text=True)
    row = page[page.index("人文医学测评"):]
    assert "<td>2</td>" in row[:400]  # the demo's two learners are enrolled and started


@pytest.mark.parametrize("path", ["/console/courses", "/console/courses/1"])
def test_institutions_are_refused(client, staff, demo, path):
    staff("rmyy")
    assert client.get(path).status_code == 403

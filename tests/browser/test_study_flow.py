"""In the browser at 360 px: 定考培训 from the service account's menu, a lesson watched part-way
(a drag past what was watched is refused; play, pause, leave, come back: it resumes there, with the
time watched credited), a mock paper handed in with its explanations, the 错题本 practised until a
question leaves it, and 背题模式."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.browser.conftest import WECHAT_UA
from tests.helpers import ready_for_exam
from wechat_app.models import Course, CourseMedia, LessonProgress, Province, Question, WeChatUser
from wechat_app.models.enums import MediaKind
from wechat_app.simulator.fake_api import fake
from wechat_app.storage import storage

OPENID = "oSIMstudy00000000000000001"


def test_learning_from_the_menu(app, demo, live, chromium, tmp_path):
    registration = ready_for_exam(demo, "简易程序")
    physician = registration.physician
    hunan = demo.session.scalar(select(Province).where(Province.name == "湖南"))
    demo.session.add(WeChatUser(openid=OPENID, physician_id=physician.id, subscribed=True, province_id=hunan.id))
    demo.session.commit()
    fake().users[OPENID] = physician.name
    course = demo.session.scalar(select(Course).where(Course.title.contains("湖南"), Course.subject == "人文医学"))

    page = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live}/_sim")
    page.select_option("#user", OPENID)
    page.click(".sim-menu-name >> nth=0")
    page.click(".sim-sub-btn:has-text('定考培训')")
    page.wait_for_url(re.compile(re.escape(f"{live}/m/study") + r"(#.*)?$"))
    assert "参加本周期的医师都必学" in page.content()
    page.screenshot(path=str(tmp_path / "study.png"), full_page=True)

    page.click(f"a.course-card[data-course='{course.id}']")
    page.click("#enrol")
    page.click("#lessons a.cell >> nth=0")
    page.wait_for_function("() => document.getElementById('lesson-video').readyState >= 1")
    page.evaluate("() => { const v = document.getElementById('lesson-video'); v.muted = true; v.currentTime = 6; }")
    page.wait_for_selector("#lesson-state:has-text('首次学习不能快进')")  # dragged ahead: back where watching stopped
    assert page.evaluate("() => document.getElementById('lesson-video').currentTime") < 1
    beat = lambda r: r.url.endswith("/position") and r.request.method == "POST"  # noqa: E731
    with page.expect_response(beat):
        page.evaluate("() => { document.getElementById('lesson-video').play(); }")
    # Debian's Chromium has no H.264 decoder: the playhead is moved a second a second, as playing would.
    for _ in range(5):
        page.wait_for_timeout(1000)
        page.evaluate("() => { const v = document.getElementById('lesson-video'); v.currentTime = v.currentTime + 1; }")
    page.wait_for_function("() => document.getElementById('lesson-video').currentTime >= 4")
    with page.expect_response(beat):
        page.evaluate("() => { document.getElementById('lesson-video').pause(); }")
    watched = int(page.evaluate("() => document.getElementById('lesson-video').currentTime"))
    lesson_url = page.url
    page.goto(f"{live}/m/study/courses/{course.id}")  # leave
    page.goto(lesson_url)  # and come back
    page.wait_for_function(f"() => Math.abs(document.getElementById('lesson-video').currentTime - {watched}) < 1")
    assert f"上次学到0分{watched}秒" in page.inner_text("#lesson-state")
    demo.session.expire_all()
    progress = demo.session.scalar(select(LessonProgress).where(LessonProgress.physician_id == physician.id))
    assert progress.furthest_seconds == watched and 3 <= progress.credited_seconds <= watched + 1

    page.goto(f"{live}/m/study/courses/{course.id}")
    page.click("#mocks button >> nth=0")
    page.wait_for_url(re.compile(r".*/m/attempts/\d+$"))
    page.click("#hand-in")
    page.click("#confirm-submit")
    page.wait_for_selector("#score")
    assert "解析" in page.content()
    page.click("text=错题本")
    before = len(page.locator("#wrong-list .cell").all())
    assert before > 0
    page.click("#practise-wrong")
    stem = page.inner_text(".stem")
    demo.session.expire_all()
    question = next(q for q in demo.session.scalars(select(Question).where(Question.stem == stem)))
    practice_url = page.url
    for verdict in ("回答正确", "已移出错题本"):
        for key in question.answer:
            page.check(f"input[name=choice][value='{key}']")
        page.click("#check")
        page.wait_for_selector("#answer-box")
        assert verdict in page.inner_text("#answer-box")
        page.goto(practice_url)
        if verdict == "回答正确":
            assert page.inner_text(".stem") == stem  # still the first question of the book
    page.goto(f"{live}/m/study/courses/{course.id}/wrong")
    assert len(page.locator("#wrong-list .cell").all()) == before - 1

    page.goto(f"{live}/m/study/courses/{course.id}")
    page.click("#recite")
    assert "正确答案：" in page.inner_text("#answer-box")
    page.screenshot(path=str(tmp_path / "recite.png"), full_page=True)

    page.goto(f"{live}/m/study/courses/{course.id}")  # the e-textbook, drawn page by page (pdf.js)
    page.click("text=电子教材 >> nth=1")
    textbook = demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course.id,
                                                             CourseMedia.kind == MediaKind.TEXTBOOK))
    pages = int(re.search(rb"/Count (\d+)", storage().read(textbook.stored_name)).group(1))
    page.wait_for_function(f"() => document.querySelectorAll('#pdf-pages canvas[data-rendered]').length === {pages}")
    assert page.inner_text("#pdf-status") == f"共{pages}页"
    page.screenshot(path=str(tmp_path / "textbook.png"))
    page.context.close()


def test_the_mock_paper_button_is_a_styled_finger_sized_button(app, demo, live, chromium, signed_in):
    """Issue 22: 模拟自测 was the browser's bare 69×21 px button."""
    physician = ready_for_exam(demo).physician
    course = demo.session.scalar(select(Course).where(Course.title.contains("人文医学"), Course.title.contains("湖南")))
    context = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN")
    page = context.new_page()
    signed_in(page, physician)
    page.goto(f"{live}/m/study/courses/{course.id}")
    with page.expect_navigation():  # measured on the page the enrolment redirects to, once its stylesheet applies
        page.get_by_role("button", name="免费学习").click()  # enrolment opens the course's content
    button = page.locator("#mocks .inline-btn").first
    box = button.bounding_box()
    assert box["height"] >= 40 and box["width"] >= 64
    assert button.evaluate("b => getComputedStyle(b).borderTopColor") != "rgb(118, 118, 118)"  # not the UA default
    context.close()

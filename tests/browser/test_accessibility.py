"""axe-core on the phone pages (360 px): no moderate, serious or critical violations."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import WECHAT_UA
from tests.helpers import enrolled, ready_for_exam

AXE = Path(__file__).parent.parent / "fixtures" / "axe" / "axe.min.js"
# The registration steps as a physician filling them in; the rest as one waiting for the test.
STEPS = [f"/m/registration/step/{n}" for n in range(1, 6)]
PAGES = STEPS + ["/m/", "/m/exams", "/m/exams/1/check", "/m/results", "/m/study", "/m/study/orders", "/m/study/me",
                 "/m/account", "/m/faq", "/m/support"]


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".filter(v => ['serious', 'critical'].includes(v.impact))"
                          ".map(v => v.id + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(' | '))")
    return found


@pytest.mark.parametrize("path", PAGES + ["/login", "/terms", "/privacy"])
def test_no_serious_accessibility_violations(app, demo, live, chromium, signed_in, path):
    # axe is injected by the test: the page's own CSP (no inline scripts) is bypassed for it alone
    page = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN",
                                bypass_csp=True).new_page()
    if path in STEPS:
        signed_in(page, enrolled(demo, "open"))
    elif path != "/login":
        signed_in(page, ready_for_exam(demo, "简易程序").physician)
    page.goto(f"{live}{path}")
    assert moderate(page) == [], path  # one <main>, one h1, all content in landmarks (issue 22)
    page.context.close()


def test_the_date_picker_and_a_chosen_picture_have_no_serious_violations(app, demo, live, chromium, signed_in, tmp_path):
    """The two widgets that are ours, in their open states: the 年/月/日 sheet and an uploader with a
    picture chosen but not saved."""
    from tests.helpers import image_bytes

    page = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN",
                                bypass_csp=True).new_page()
    signed_in(page, enrolled(demo, "open"))
    page.goto(f"{live}/m/registration/step/1")
    picture = tmp_path / "me.jpg"
    picture.write_bytes(image_bytes())
    page.set_input_files("#photo", str(picture))
    page.click("#birth")
    page.wait_for_selector(".picker[role=dialog]")
    assert violations(page) == []
    page.context.close()


def moderate(page) -> list[str]:
    """axe's moderate findings as well (landmarks, headings): what issue 22 found on these pages."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                         ".filter(v => ['moderate', 'serious', 'critical'].includes(v.impact))"
                         ".map(v => v.id + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(' | '))")


def test_exam_results_and_study_pages_have_a_main_landmark_and_one_h1(app, demo, live, chromium, signed_in):
    """The exam (cards, check, 考前须知), a question, the review, results, the notice and every study page:
    one <main>, one h1, all content in landmarks."""
    from datetime import timedelta

    from sqlalchemy import select

    from tests.helpers import clear_face
    from wechat_app import clock
    from wechat_app.domain import exams, results, training
    from wechat_app.models import Course, CourseMedia, Result, Staff
    from wechat_app.models.enums import ExamRound, MediaKind

    finished = ready_for_exam(demo, "简易程序")
    (arrangement,) = exams.arrangements_for(finished)
    clear_face(demo, finished, arrangement)
    done = exams.submit(exams.start(finished, arrangement))
    arrangement.ends_at = clock.now() - timedelta(minutes=1)
    demo.session.commit()
    results.publish(demo.session.scalar(select(Staff).where(Staff.username == "kaohe")), finished.cycle,
                    ExamRound.REGULAR, None)
    result = demo.session.scalar(select(Result).where(Result.registration_id == finished.id))
    sitting = ready_for_exam(demo, "一般程序")
    (open_paper,) = exams.arrangements_for(sitting)
    clear_face(demo, sitting, open_paper)
    attempt = exams.start(sitting, open_paper)
    course = demo.session.scalar(select(Course).where(Course.subject == "人文医学").order_by(Course.id))
    lesson = demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course.id,
                                                           CourseMedia.kind == MediaKind.LESSON))
    textbook = demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course.id,
                                                             CourseMedia.kind == MediaKind.TEXTBOOK))
    page_before_enrolment = f"/m/study/courses/{course.id}"
    context = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN",
                                   bypass_csp=True)
    page = context.new_page()
    found = {}
    signed_in(page, sitting.physician)
    for path in ("/m/exams", f"/m/attempts/{attempt.id}", f"/m/attempts/{attempt.id}?q=2",
                 f"/m/attempts/{attempt.id}/submit"):
        page.goto(f"{live}{path}")
        found[path] = moderate(page)
    signed_in(page, finished.physician)
    page.goto(f"{live}{page_before_enrolment}")
    found["enrolment page"] = moderate(page)
    training.enrol(finished.physician, course)
    for path in (f"/m/attempts/{done.id}/review", "/m/results", f"/m/results/{result.id}/notice",
                 f"/verify/{result.token}", "/m/study", "/m/study/learning", "/m/study/me", "/m/study/orders",
                 f"/m/study/courses/{course.id}", f"/m/study/lessons/{lesson.id}", f"/m/study/textbooks/{textbook.id}",
                 f"/m/study/courses/{course.id}/wrong", f"/m/study/courses/{course.id}/practice",
                 f"/m/study/courses/{course.id}/practice?mode=quiz&q=1"):
        page.goto(f"{live}{path}")
        found[path] = moderate(page)
    context.close()
    assert {path: rules for path, rules in found.items() if rules} == {}

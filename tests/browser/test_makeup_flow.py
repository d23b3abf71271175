"""The 补考 path at 360 px, as a physician walks it: absent from the test, 考核不合格 and told what happens
next (not sent to a paper); on the confirmed 待补考名单 the 补考 is on 考核结果 with a way into it; the
face check by photos (a WebView without a camera), the paper handed in, and the 补考 result published."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.browser.test_exam_flow import jpeg
from tests.browser.test_face_fallback import phone_without_camera, photo
from tests.helpers import ready_for_exam
from wechat_app import clock
from wechat_app.domain import exams, results
from wechat_app.models import Arrangement, Attempt, Question, Staff
from wechat_app.models.enums import ExamRound, Status


def staff(demo, username: str) -> Staff:
    return demo.session.scalar(select(Staff).where(Staff.username == username))


def test_absent_then_makeup_then_passed(app, demo, live, chromium, signed_in, tmp_path: Path, verifier_worker):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    (regular,) = exams.arrangements_for(registration)
    regular.ends_at = clock.now() - timedelta(minutes=1)
    makeup = Arrangement(cycle_id=regular.cycle_id, paper_id=regular.paper_id, name="补考测评卷", round="makeup",
                         procedure=regular.procedure, assessment_body_id=regular.assessment_body_id,
                         starts_at=clock.now() - timedelta(hours=1), ends_at=clock.now() + timedelta(days=2),
                         attempts_allowed=1, published_at=clock.now())
    demo.session.add(makeup)
    demo.session.commit()
    results.publish(staff(demo, "kaohe"), registration.cycle, ExamRound.REGULAR, None)

    page = phone_without_camera(chromium, signed_in, registration.physician)
    page.goto(f"{live}/m/results")
    assert "考核不合格" in page.content() and "待补考名单经卫生健康行政部门确认后" in page.content()
    assert page.locator("a.makeup-enter").count() == 0
    page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)

    results.confirm_makeup_list(staff(demo, "hnwjw"), registration.cycle, None)
    page.reload()
    assert "补考安排：补考测评卷" in page.content()
    page.screenshot(path=str(tmp_path / "makeup.png"), full_page=True)
    page.click("a.makeup-enter")
    page.wait_for_url(f"{live}/m/exams")
    card = page.locator(".exam-card", has_text="补考测评卷")
    card.locator("a.enter").click()
    page.wait_for_url("**/check?photos=1")
    page.set_input_files("#photo-1", str(photo(tmp_path, "left.jpg", -0.25)))
    page.set_input_files("#photo-2", str(photo(tmp_path, "right.jpg", 0.25)))
    page.wait_for_selector("#capture:not([disabled])")
    page.click("#capture")
    page.wait_for_url(f"{live}/m/exams/{makeup.id}/instructions")
    page.click("#start-exam")
    page.wait_for_url(f"{live}/m/attempts/*")
    demo.session.expire_all()
    attempt = demo.session.scalar(select(Attempt).where(Attempt.arrangement_id == makeup.id))
    key = {q.id: q.answer for q in demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    for question_id in attempt.question_ids:  # answered as the page's autosave would
        exams.save_answer(attempt, question_id, key[question_id], False)
    page.goto(f"{live}/m/attempts/{attempt.id}/submit")
    assert "全部题目已作答" in page.content()
    page.click("#confirm-submit")
    page.wait_for_selector("#score")
    assert page.inner_text("#score") == "得分：100分（合格）"

    demo.session.expire_all()
    demo.session.get(Arrangement, makeup.id).ends_at = clock.now() - timedelta(minutes=1)
    demo.session.commit()
    results.publish(staff(demo, "kaohe"), registration.cycle, ExamRound.MAKEUP, None)
    page.goto(f"{live}/m/results")
    demo.session.expire_all()
    assert demo.session.get(type(registration), registration.id).status == Status.PASSED
    assert "考核合格" in page.content()
    page.screenshot(path=str(tmp_path / "passed.png"), full_page=True)
    page.context.close()

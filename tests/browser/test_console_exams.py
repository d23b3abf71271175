"""In the browser: the assessment body imports questions, publishes an arrangement, watches the
progress, marks an absentee and publishes the results; the physician's 考试通知 and 考核结果 arrive
in the simulator's chat."""
from __future__ import annotations

from datetime import timedelta

from openpyxl import Workbook
from sqlalchemy import select

from tests.browser.test_console_flow import DESKTOP, console_login
from tests.helpers import clear_face, ready_for_exam
from wechat_app import clock
from wechat_app.domain import exams
from wechat_app.domain.question_bank import COLUMNS
from wechat_app.models import Arrangement, Question, WeChatUser
from wechat_app.outbox_worker import run_worker
from wechat_app.simulator.fake_api import fake

OPENID = "oSIMexam000000000000000001"


def bank_file(path) -> str:
    workbook = Workbook()
    workbook.active.append(COLUMNS)
    workbook.active.append(("A1", "", "", "医师定期考核不合格的，暂停执业活动的期限为", "一个月", "三个月至六个月", "一年", "两年",
                            "", "B", "医师法第四十二条。", "", "", "医学人文", 2))
    workbook.save(path)
    return str(path)


def test_the_assessment_body_runs_an_exam(app, demo, live, chromium, phone, server_session, tmp_path):
    sitter, absent = ready_for_exam(demo, "简易程序"), ready_for_exam(demo, "简易程序")
    (arrangement,) = exams.arrangements_for(sitter)
    arrangement.published_at = None
    demo.session.add(WeChatUser(openid=OPENID, physician_id=sitter.physician_id, subscribed=True))
    demo.session.commit()
    arrangement_id = arrangement.id

    desk = chromium.new_context(**DESKTOP).new_page()
    desk.on("dialog", lambda dialog: dialog.accept())
    console_login(app, desk, live, server_session, "kaohe")
    desk.get_by_role("link", name="题库管理").click()
    desk.set_input_files("#bank-import input[type=file]", bank_file(tmp_path / "bank.xlsx"))
    desk.get_by_role("button", name="导入题库").click()
    desk.wait_for_selector("text=成功导入1道题目")

    desk.get_by_role("link", name="考试安排").click()
    desk.locator(f"tr[data-arrangement='{arrangement_id}'] button", has_text="发布").click()
    desk.wait_for_selector("text=考试通知：")  # whom WeChat and SMS reach (issue 23, defect 5)
    assert "已发布" in desk.inner_text(f"tr[data-arrangement='{arrangement_id}']")
    cell = f"tr[data-arrangement='{arrangement_id}'] .progress"
    before = [int(n) for n in desk.inner_text(cell).split(" / ")]  # the demo's own sitting is under way

    with app.app_context():
        from wechat_app.extensions import db

        registration, arrangement = db.session.merge(sitter), db.session.get(Arrangement, arrangement_id)
        clear_face(db, registration, arrangement)
        attempt = exams.start(registration, arrangement)
        for question in db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids))):
            exams.save_answer(attempt, question.id, question.answer, False)
        exams.submit(attempt)
    desk.reload()
    after = [int(n) for n in desk.inner_text(cell).split(" / ")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]  # started, handed in, passing

    with app.app_context():
        from wechat_app.extensions import db

        db.session.get(Arrangement, arrangement_id).ends_at = clock.now() - timedelta(minutes=1)
        db.session.commit()
    desk.get_by_role("link", name="考核结果").click()
    desk.locator("form[action$='/results/absentees'] button").first.click()
    desk.wait_for_selector("text=缺考医师列入待补考名单")
    desk.locator("#publish-regular").click()
    desk.wait_for_selector("text=名医师的考核结果")
    with app.app_context():
        from wechat_app.extensions import db

        assert db.session.merge(absent).status == "failed"
        assert db.session.merge(sitter).status == "passed"
        run_worker(once=True)
        fake().users[OPENID] = sitter.physician.name

    phone.goto(f"{live}/_sim")
    phone.select_option("#user", OPENID)
    phone.locator(".bubble.template").nth(1).wait_for(timeout=10_000)
    chat = phone.inner_text("body")
    assert "医学人文测评卷" in chat and "合格" in chat
    desk.context.close()

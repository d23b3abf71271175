"""The 考核结果通知书 as a phone shows and prints it: the photo and the seal drawn, nothing wider than the
screen, the buttons gone on paper, and the QR code's page showing the same 编号 and institution."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.browser.conftest import WECHAT_UA
from tests.helpers import ready_for_exam
from wechat_app.domain import results
from wechat_app.domain.demo_registrations import drawn_photo
from wechat_app.models import Result, Staff
from wechat_app.models.enums import ExamRound

DRAWN = "el => el.complete && el.naturalWidth > 0"
INSIDE = "el => el.getBoundingClientRect().right <= document.querySelector('#notice-doc').getBoundingClientRect().right"


def test_the_notice_on_a_phone_and_on_paper(app, demo, live, chromium, signed_in, tmp_path):
    registration = ready_for_exam(demo, status="exempt", photo=drawn_photo(2))
    results.publish(demo.session.scalar(select(Staff).where(Staff.username == "kaohe")), registration.cycle,
                    ExamRound.REGULAR, None)
    result = demo.session.scalar(select(Result).where(Result.registration_id == registration.id))
    context = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN")
    page = context.new_page()
    signed_in(page, registration.physician)
    page.goto(f"{live}/m/results/{result.id}/notice")
    assert page.eval_on_selector("#notice-photo", DRAWN) and page.eval_on_selector("#notice-seal", DRAWN)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 and page.eval_on_selector("#notice-photo", INSIDE)
    number = page.inner_text("#notice-number")
    page.screenshot(path=str(tmp_path / "notice-phone.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.is_visible("text=下载PDF")
    page.pdf(path=str(tmp_path / "notice-print.pdf"))  # chromium's print of the page: one A4
    page.goto(f"{live}/verify/{result.token}")
    assert page.inner_text("#verified-number") == number and re.fullmatch(r"DK\d{12}", number)
    assert registration.physician.institution.name in page.inner_text("#verified")
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
    context.close()

"""In the browser: an institution approves one registration and rejects another, the assessment
body re-approves the first, and the physician of the second sees the rejection as a template
message in the simulator's chat and on the home page."""
from __future__ import annotations

import re

from sqlalchemy import select

from wechat_app.extensions import kv
from wechat_app.models import Registration, WeChatUser
from wechat_app.outbox_worker import run_worker
from wechat_app.simulator.fake_api import fake

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


def two_submitted(db):
    """Two of the hospital's demo registrations waiting for its review (the demo submitted them)."""
    regs = [r for r in db.session.scalars(select(Registration).where(Registration.status == "pending_institution")
                                          .order_by(Registration.id)) if r.physician.institution.name == "长沙市天心区人民医院"][:2]
    regs[1].physician.must_change_password = False
    db.session.add(WeChatUser(openid="oSIMrejected00000000000001", physician_id=regs[1].physician_id, subscribed=True))
    db.session.commit()
    return regs


def console_login(app, page, live, server_session, username):
    page.goto(f"{live}/console/login")
    page.wait_for_function("() => { const i = document.querySelector('img.captcha'); return i && i.complete && i.naturalWidth > 0; }")
    with app.app_context():
        answer = kv.get(f"captcha:{server_session(page)['captcha_id']}")
    page.fill("#username", username)
    page.fill("#password", "Dkt@2026demo")
    page.fill("#captcha", answer)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live}/console/")


def test_reviews_reach_the_physician(app, demo, live, chromium, phone, server_session, signed_in, tmp_path):
    approved, rejected = two_submitted(demo)
    approved_id, rejected_id, rejected_physician = approved.id, rejected.id, rejected.physician
    desk = chromium.new_context(**DESKTOP).new_page()
    console_login(app, desk, live, server_session, "rmyy")
    desk.get_by_role("link", name="报名审核").click()
    desk.goto(f"{live}/console/reviews/{approved_id}")
    desk.select_option("select[name=work_rating]", "合格")
    desk.select_option("select[name=ethics_rating]", "合格")
    desk.get_by_role("button", name="通过").click()
    desk.wait_for_url(f"{live}/console/reviews")
    desk.goto(f"{live}/console/reviews/{rejected_id}")
    desk.fill("textarea[name=reason]", "照片不清晰")
    desk.get_by_role("button", name="驳回").click()
    desk.wait_for_url(f"{live}/console/reviews")
    assert "已驳回" in desk.content()

    desk.get_by_role("button", name="退出").click()
    console_login(app, desk, live, server_session, "kaohe")
    desk.get_by_role("link", name="报名复核").click()
    desk.locator(f"a[href='/console/reviews/{approved_id}']").click()
    desk.get_by_role("button", name="通过").click()
    desk.wait_for_url(f"{live}/console/reviews")
    with app.app_context():
        from wechat_app.extensions import db

        assert db.session.get(Registration, approved_id).status == "awaiting_test"
        run_worker(once=True)
        fake().users["oSIMrejected00000000000001"] = rejected_physician.name

    phone.goto(f"{live}/_sim")
    phone.select_option("#user", "oSIMrejected00000000000001")
    bubble = phone.locator(".bubble.template")
    bubble.wait_for(timeout=10_000)
    text = bubble.inner_text()
    assert "医疗卫生机构驳回" in text and "照片不清晰" in text
    # drawn as WeChat draws a template message: the title, each field's label beside its value, 查看详情
    assert bubble.locator(".wx-card-title").inner_text() == "报名审核驳回通知"
    labels = bubble.locator(".wx-card-label").all_inner_texts()
    assert labels == ["驳回方", "驳回原因", "重新提交截止"]
    assert "照片不清晰" in bubble.locator(".wx-card-value").nth(1).inner_text()
    assert bubble.locator("a.wx-card-more").inner_text() == "查看详情"
    assert bubble.locator("a.wx-card-more").get_attribute("href").startswith("http")
    phone.screenshot(path=str(tmp_path / "template-card.png"))

    signed_in(phone, rejected_physician)
    phone.goto(f"{live}/m/")
    assert "照片不清晰" in phone.inner_text("#rejection") and "驳回方：医疗卫生机构" in phone.inner_text("#rejection")
    assert re.search(r"已驳回", phone.inner_text("#current-task"))
    desk.context.close()

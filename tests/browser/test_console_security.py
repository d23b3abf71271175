"""In the browser, under the real Content-Security-Policy (no inline scripts): confirmations and the
captcha refresh still work from static/js/common.js; a district authority reads the province's
cycle without a way to change it and reads its own region's audit log, in Chinese."""
from __future__ import annotations

from sqlalchemy import select

from tests.browser.test_console_flow import DESKTOP, console_login
from wechat_app.models import Physician


def test_confirmations_work_without_inline_scripts(app, demo, chromium, live, server_session):
    context = chromium.new_context(**DESKTOP)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live}/console/login")
    first = page.get_attribute("img.captcha", "src")
    page.click("img.captcha")
    page.wait_for_function(f"() => document.querySelector('img.captcha').src !== '{live}{first}'")
    console_login(app, page, live, server_session, "rmyy")

    physician = demo.session.scalar(select(Physician).where(Physician.name.like("%演示医师%"))
                                    .order_by(Physician.id))
    page.goto(f"{live}/console/physicians")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(f"form#reset-{physician.id}").evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert page.url == f"{live}/console/physicians"  # dismissed: nothing was sent
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"form#reset-{physician.id}").evaluate("form => form.requestSubmit()")
    page.wait_for_selector(".flash:has-text('已重置密码')")
    page.screenshot(path="/tmp/console-physicians.png", full_page=False)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_a_district_reads_the_province_cycle_and_its_audit_log(app, demo, chromium, live, server_session):
    context = chromium.new_context(**DESKTOP)
    page = context.new_page()
    console_login(app, page, live, server_session, "rmyy")
    page.goto(f"{live}/console/physicians")  # rmyy signs in: an audit row of 天心区
    page.click("form[action='/console/logout'] button")
    console_login(app, page, live, server_session, "txwjj")
    for link in page.locator("nav.side a").all():
        href = link.get_attribute("href")
        assert page.request.get(f"{live}{href}").status == 200, href
    page.goto(f"{live}/console/cycles")
    assert "仅供查看" in page.inner_text("main") and page.locator("input[type=date]").count() == 0
    page.screenshot(path="/tmp/console-cycles-district.png")
    page.goto(f"{live}/console/audit")
    table = page.inner_text("#audit")
    assert "登录管理后台" in table and "长沙市天心区人民医院" in table and "staff_login" not in table
    page.screenshot(path="/tmp/console-audit.png")
    context.close()

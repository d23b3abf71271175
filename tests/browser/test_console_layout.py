"""The console at 1366 px: pages with long values (the audit log) stay within the window."""
from __future__ import annotations

from tests.browser.test_console_flow import console_login
from wechat_app.domain import audit
from wechat_app.models import Staff


def test_the_audit_log_fits_a_1366_screen(app, demo, live, chromium, server_session):
    staff = demo.session.query(Staff).filter_by(username="hnwjw").one()
    for number in range(30):
        audit.record("staff", staff.id, "cycle_update", "staff", staff.id, "10.0.0.1",
                     reason="很长的说明" * 40 + f"-{number}", name="x" * 300)
    demo.session.commit()
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    console_login(app, desk, live, server_session, "hnwjw")
    desk.goto(f"{live}/console/audit")
    desk.wait_for_selector("#audit")
    assert desk.evaluate("() => document.documentElement.scrollWidth") <= 1366
    desk.context.close()


def test_the_overview_and_the_results_list_fit_a_1366_screen(app, demo, live, chromium, server_session, tmp_path):
    """Issue 23: 概况's charts and tables, 考核结果's list, 试题分析 — within the window, charts drawn."""
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    console_login(app, desk, live, server_session, "hnwjw")
    desk.goto(f"{live}/console/overview")
    assert desk.eval_on_selector("#funnel-chart svg", "el => el.getBoundingClientRect().height") > 100
    desk.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert desk.evaluate("() => document.documentElement.scrollWidth") <= 1366
    desk.context.close()
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    console_login(app, desk, live, server_session, "kaohe")
    desk.goto(f"{live}/console/results")
    desk.wait_for_selector("#result-list")
    assert desk.evaluate("() => document.documentElement.scrollWidth") <= 1366
    desk.screenshot(path=str(tmp_path / "results.png"), full_page=True)
    desk.context.close()

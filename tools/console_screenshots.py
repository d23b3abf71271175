"""The README's console screenshots (docs/img/console-*.png), taken from a running demo at 1366 px:
概况 of the province, 考核结果 before 发布 and 试题分析 of the demo's closed session.

    APP_ENV=development CAPTCHA_FIXED_ANSWER=2468 make run        # the demo with --sittings 300
    python -m tools.console_screenshots http://127.0.0.1:5000 2468 docs/img

Needs Debian's chromium (Playwright drives it) and a CJK font (fonts-wqy-microhei) for the labels.
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PASSWORD = "Dkt@2026demo"  # the demo's staff password (domain/demo.py)


def sign_in(page: Page, base: str, username: str, captcha: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.fill("#captcha", captcha)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/console/")


def main(base: str, captcha: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for username, shots in (("hnwjw", [("/console/overview", "console-overview.png")]),
                                ("kaohe", [("/console/results", "console-results.png")])):
            page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
            sign_in(page, base, username, captcha)
            for path, name in shots:
                page.goto(base + path)
                page.screenshot(path=str(out / name), full_page=True)
            if username == "kaohe":
                page.goto(f"{base}/console/arrangements")
                page.locator('a[href$="/analysis"]').first.click()
                page.wait_for_selector("#items")
                page.screenshot(path=str(out / "console-analysis.png"), full_page=True)
            page.context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))

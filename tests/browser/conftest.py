"""Browser fixtures: Playwright driving Debian's chromium against the live test server, with a
WeChat user agent and a phone-sized viewport. Without chromium these tests skip with the reason."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN")


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium here (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium, live):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, user_agent=WECHAT_UA, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def server_session(app):
    """Reads the browser's Flask session (signed cookie) the way the server does."""
    def read(page) -> dict:
        cookie = next(c for c in page.context.cookies() if c["name"] == app.config.get("SESSION_COOKIE_NAME", "session"))
        return app.session_interface.get_signing_serializer(app).loads(cookie["value"])
    return read


@pytest.fixture
def signed_in(app, live):
    """Put a signed-in session for `physician` into the browser (what a real sign-in leaves)."""
    def sign_in(page, physician) -> None:
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": physician.get_id(), "_fresh": True, "sv": physician.session_version})
        page.context.add_cookies([{"name": "session", "value": cookie, "url": live}])
    return sign_in

"""axe-core on the phone pages (360 px): no serious or critical violations."""
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
    assert violations(page) == [], path
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

"""Phone forms at 360 px: labels that do not overlap, textareas with a border under their label, and
placeholders that fit their input."""
from __future__ import annotations

from tests.browser.conftest import WECHAT_UA
from tests.helpers import enrolled


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_the_step_forms_at_360_px(app, demo, live, chromium, signed_in):
    physician = enrolled(demo, "open")
    page = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN").new_page()
    signed_in(page, physician)
    page.goto(f"{live}/m/registration/step/2")
    paper, electronic = (page.locator(f"label.radio:has(input[value='{v}'])").bounding_box() for v in ("纸质执业证书", "电子证照"))
    assert not boxes_overlap(paper, electronic)
    assert page.locator("label.radio:has(input[value='纸质执业证书'])").evaluate(
        "label => label.scrollWidth <= label.clientWidth")  # its text stays inside its box
    page.goto(f"{live}/m/registration/step/5")
    page.check("input[name=procedure][value='简易程序']")
    statement = page.locator("#statement")
    assert page.evaluate("() => getComputedStyle(document.getElementById('statement')).borderTopWidth") != "0px"
    assert statement.bounding_box()["y"] > page.locator("label[for=statement]").bounding_box()["y"]
    page.context.clear_cookies()
    page.goto(f"{live}/login")
    fits = page.evaluate("""() => { const i = document.getElementById('id_number');
        const c = document.createElement('canvas').getContext('2d'); c.font = getComputedStyle(i).font;
        return c.measureText(i.placeholder).width <= i.clientWidth; }""")
    assert fits
    page.context.close()

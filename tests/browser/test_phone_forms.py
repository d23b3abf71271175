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


def test_uploaders_and_date_pickers_speak_chinese_at_360_px(app, demo, live, chromium, signed_in, tmp_path):
    """No "Choose File" and no mm/dd/yyyy: a WeUI uploader tile with a preview and 移除, example
    pictures beside it, and a 年/月/日 picker that fills the field and is saved with the step."""
    from tests.helpers import image_bytes

    physician = enrolled(demo, "open")
    page = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="en-US").new_page()
    signed_in(page, physician)
    page.goto(f"{live}/m/registration/step/1")
    body = page.locator("body").inner_text()
    assert "Choose" not in body and "No file" not in body and "mm/dd" not in body
    tile = page.locator(".uploader-add").first
    box = tile.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a touch target
    assert page.get_attribute("#photo", "aria-label") == "上传照片"
    example = page.locator(".uploader-example img").first
    assert example.get_attribute("alt").startswith("证件照示例") and example.evaluate("img => img.naturalWidth > 0")

    photo = tmp_path / "me.jpg"
    photo.write_bytes(image_bytes())
    page.set_input_files("#photo", str(photo))
    assert page.locator(".uploader-file.pending img").count() == 1
    page.click(".uploader-undo")  # 移除: the choice is taken back
    assert page.locator(".uploader-file.pending").count() == 0 and page.eval_on_selector("#photo", "i => i.files.length") == 0
    page.set_input_files("#photo", str(photo))

    page.click("#birth")
    sheet = page.locator(".picker[role=dialog]")
    assert sheet.get_attribute("aria-label") == "出生年月"
    assert [c.get_attribute("aria-label") for c in sheet.locator("[role=listbox]").all()] == ["年", "月", "日"]
    born = physician.birth_date
    for name, value, suffix in (("年", born.year, "年"), ("月", born.month, "月"), ("日", born.day, "日")):
        option = sheet.locator(f"[role=listbox][aria-label={name}] [role=option]", has_text=f"{value}{suffix}").first
        option.scroll_into_view_if_needed()
        option.click()
        page.wait_for_function(f"() => document.querySelector('[role=listbox][aria-label={name}] [aria-selected=true]')"
                               f".dataset.value === '{value}'")
    page.click(".picker-ok")
    assert page.input_value("#birth") == f"{born:%Y-%m-%d}"
    assert page.locator(".picker").count() == 0
    page.click("#birth")
    page.keyboard.press("Escape")  # 取消 leaves the field as it was
    assert page.input_value("#birth") == f"{born:%Y-%m-%d}" and page.locator(".picker").count() == 0

    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    assert page.locator(".uploader-file img").count() == 1 and page.input_value("#birth") == f"{born:%Y-%m-%d}"
    assert page.get_attribute("#photo", "aria-label") == "重新上传照片"
    page.goto(f"{live}/m/registration/step/2")
    assert [img.get_attribute("alt")[:4] for img in page.locator(".uploader-example img").all()] == ["纸质医师", "医师电子"]
    page.context.close()

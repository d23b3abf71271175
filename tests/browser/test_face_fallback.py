"""The WeChat WebView without a live camera (older iOS WeChat: no getUserMedia, or a black picture): the
check page turns to 拍照验证 — two photos from the camera app, one for each end of the movement — and the
liveness check still applies: the turn passes, the same photo twice does not, an album photo is refused."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import WECHAT_UA
from tests.browser.test_exam_flow import browser_filming, jpeg
from tests.helpers import portrait, ready_for_exam, turned_face
from wechat_app.models import FaceCheck
from wechat_app.models.enums import FaceVerdict

NO_CAMERA = "Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });"


def photo(tmp_path: Path, name: str, shift: float) -> Path:
    path = tmp_path / name
    path.write_bytes(portrait("astronaut.png", image=turned_face("astronaut.png", shift)))
    return path


def phone_without_camera(chromium, signed_in, physician):
    """A 360 px WeChat page whose WebView has no getUserMedia, signed in as `physician`."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN")
    context.add_init_script(NO_CAMERA)
    context.set_default_timeout(15_000)
    page = context.new_page()
    signed_in(page, physician)
    return page


def without_camera(chromium, live, signed_in, registration):
    page = phone_without_camera(chromium, signed_in, registration.physician)
    page.goto(f"{live}/m/exams")
    page.click("a.enter")
    page.wait_for_url("**/check?photos=1")
    return page


def test_without_getusermedia_two_photos_of_the_turn_pass(app, demo, live, chromium, signed_in, tmp_path,
                                                          verifier_worker):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    page = without_camera(chromium, live, signed_in, registration)
    assert "头转向左侧" in page.inner_text("#photo-tips") and page.is_disabled("#capture")
    for index, (input_id, shift) in enumerate((("#photo-1", -0.25), ("#photo-2", 0.25))):
        assert page.get_attribute(input_id, "accept") == "image/*" and page.get_attribute(input_id, "capture") == "user"
        page.set_input_files(input_id, str(photo(tmp_path, f"p{index}.jpg", shift)))
        page.wait_for_selector(f"{input_id}-preview:not([hidden])")
    page.screenshot(path=str(tmp_path / "photos.png"), full_page=True)
    page.click("#capture")
    page.wait_for_url(f"{live}/m/exams/*/instructions")
    demo.session.expire_all()
    check = demo.session.scalar(select(FaceCheck).where(FaceCheck.physician_id == registration.physician_id))
    assert check.verdict == FaceVerdict.MATCHED and check.challenge == "turn"
    page.context.close()


def test_the_same_photo_twice_is_no_movement(app, demo, live, chromium, signed_in, tmp_path, verifier_worker):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    page = without_camera(chromium, live, signed_in, registration)
    still = photo(tmp_path, "still.jpg", -0.25)
    page.set_input_files("#photo-1", str(still))
    page.set_input_files("#photo-2", str(still))
    page.wait_for_selector("#capture:not([disabled])")
    page.click("#capture")
    page.wait_for_selector("#capture:has-text('重新验证'):not([disabled])")
    assert "/check" in page.url
    demo.session.expire_all()
    check = demo.session.scalar(select(FaceCheck).where(FaceCheck.physician_id == registration.physician_id))
    assert check.verdict == FaceVerdict.REFUSED
    page.context.close()


def test_an_album_photo_is_refused_on_the_page(app, demo, live, chromium, signed_in, tmp_path):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    page = without_camera(chromium, live, signed_in, registration)
    old = photo(tmp_path, "old.jpg", -0.25)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))  # a file's time is what the page reads as lastModified
    page.set_input_files("#photo-1", str(old))
    page.wait_for_selector("#face-message:has-text('不要从相册选择旧照片')")
    assert page.is_hidden("#photo-1-preview") and page.is_disabled("#capture")
    page.context.close()


@pytest.fixture(scope="module")
def black_camera(chromium, tmp_path_factory):
    """A camera that plays, but black (as older iOS WeChat shows getUserMedia's stream)."""
    clip = tmp_path_factory.mktemp("black") / "black.y4m"
    with clip.open("wb") as out:  # video black: Y at 16, no colour (128)
        out.write(b"YUV4MPEG2 W640 H480 F5:1 Ip A1:1 C420jpeg\n")
        for _ in range(5):
            out.write(b"FRAME\n" + bytes([16]) * (640 * 480) + bytes([128]) * (320 * 240 * 2))
    browser = browser_filming(chromium, clip)
    yield browser
    browser.close()


def test_a_black_camera_turns_to_photos(app, demo, live, black_camera, signed_in):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    context = black_camera.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN")
    context.grant_permissions(["camera"], origin=live)
    page = context.new_page()
    signed_in(page, registration.physician)
    page.goto(f"{live}/m/exams")
    page.click("a.enter")
    page.wait_for_url("**/check?photos=1", timeout=15_000)
    assert page.is_visible("#photo-steps")
    context.close()

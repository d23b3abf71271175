"""In the browser: simulator → 定考入口 → province → bind (an 18-digit account typed in its 15-digit
form) → forced password change and phone binding → home, for an enrolled and a not-enrolled physician."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wechat_app.domain.idnumbers import to_15
from wechat_app.domain.registration import Status
from wechat_app.extensions import kv
from wechat_app.models import Physician, Registration
from wechat_app.outbox_worker import run_worker
from wechat_app.simulator.fake_api import fake


def pick(db, enrolled: bool) -> Physician:
    for physician in db.session.scalars(select(Physician).order_by(Physician.id)):
        registration = db.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
        if len(physician.id_number) == 18 and (registration is not None and registration.status == Status.OPEN) == enrolled \
                and (registration is None) != enrolled:
            return physician
    raise AssertionError("no such demo physician")


def at(live: str, path: str) -> re.Pattern:
    """The URL of `path`; a query (where to go next) and a fragment may follow (the browser keeps WeChat's
    #wechat_redirect)."""
    return re.compile(re.escape(live + path) + r"(\?[^#]*)?(#.*)?$")


def captcha_answer(app, page, server_session) -> str:
    page.wait_for_function("() => { const i = document.querySelector('img.captcha'); return i && i.complete && i.naturalWidth > 0; }")
    with app.app_context():
        return kv.get(f"captcha:{server_session(page)['captcha_id']}")


@pytest.mark.parametrize("enrolled,task", [(False, "未开通报名，请联系医疗卫生机构"), (True, "已开通报名")])
def test_from_the_simulator_to_home(app, demo, live, phone, server_session, enrolled, task, tmp_path):
    physician = pick(demo, enrolled)
    id_15 = to_15(physician.id_number_18)

    phone.goto(f"{live}/_sim")
    phone.click("#new-user")
    phone.wait_for_function("() => document.cookie.includes('sim_openid=')")
    phone.click(".sim-menu-name >> nth=0")
    phone.click(".sim-sub-btn[data-type=view] >> nth=0")  # 定考入口

    phone.wait_for_url(at(live, "/m/province"))
    phone.get_by_label("湖南").check()
    phone.get_by_role("button", name="确定").click()

    phone.wait_for_url(at(live, "/m/bind"))
    phone.fill("#id_number", id_15)
    phone.fill("#password", "666666")
    phone.fill("#captcha", captcha_answer(app, phone, server_session))
    phone.get_by_role("button", name="登录并绑定").click()

    phone.wait_for_url(at(live, "/m/setup"))
    assert "修改密码" in phone.content()  # the institution keeps a phone for the demo physicians
    assert phone.inner_text("#phone-on-record") == physician.phone[:3] + "****" + physician.phone[-4:]
    phone.fill("#old_password", "666666")
    phone.fill("#new_password", "Dingkao#2026")
    phone.fill("#confirm", "Dingkao#2026")
    phone.get_by_role("button", name="获取验证码").click()
    phone.wait_for_selector("#sms-out:has-text('验证码已发送')")
    with app.app_context():
        run_worker(once=True)
        sent = fake().sms[-1]  # what the simulator's SMS panel shows: the code reached the phone on record
        assert sent["phone"] == physician.phone
        code = re.search(r"验证码为(\d{6})", sent["text"]).group(1)
    phone.fill("#code", code)
    phone.get_by_role("button", name="提交").click()

    phone.wait_for_url(at(live, "/m/"))
    assert phone.inner_text("#current-task") == task
    assert phone.inner_text("#physician-name") == physician.name
    phone.screenshot(path=str(tmp_path / "home.png"))
    if not enrolled:
        phone.click("a.tool[data-tool=我要报名]")
        assert "未开通报名" in phone.inner_text("#tool-reason")

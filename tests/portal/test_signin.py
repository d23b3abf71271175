"""Entry, province, bind / sign-in with captcha and lockout, the first-login setup."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.helpers import OPENID, captcha_answer, csrf_token, sms_code
from wechat_app import clock
from wechat_app.domain.idnumbers import to_15
from wechat_app.models import AuditLog, Notification, Physician, Province, WeChatUser
from wechat_app.outbox_worker import run_worker

WECHAT_UA = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47 NetType/WIFI Language/zh_CN"}


def physician_with(db, *, legacy=False, x=False) -> Physician:
    rows = db.session.scalars(select(Physician).order_by(Physician.id)).all()
    for p in rows:
        if (len(p.id_number) == 15) == legacy and p.id_number_18.endswith("X") == x:
            return p
    raise AssertionError("no such demo physician")


def with_openid(client, openid=OPENID):
    """What the OAuth callback leaves in the session (wechat/oauth.py → auth.remember_openid)."""
    from wechat_app.extensions import db

    version = db.session.scalar(select(Physician.session_version)
                                 .join(WeChatUser, WeChatUser.physician_id == Physician.id)
                                 .where(WeChatUser.openid == openid))
    with client.session_transaction() as session:
        session["openid"] = openid
        session["openid_sv"] = version


def post_login(app, client, url, id_number, password="666666", captcha=None, **extra):
    page = client.get(url)
    answer = captcha if captcha is not None else captcha_answer(app, client)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "id_number": id_number,
                                  "password": password, "captcha": answer, **extra})


def test_anonymous_in_wechat_goes_to_oauth_and_on_desktop_to_login(client):
    assert client.get("/m/", headers=WECHAT_UA).headers["Location"] == "/wechat/oauth/entry?next=/m/"
    assert client.get("/m/").headers["Location"] == "/login"


def test_province_is_asked_once_per_openid_when_several_are_active(app, client, demo):
    with_openid(client)
    assert client.get("/m/").headers["Location"] == "/m/province"
    page = client.get("/m/province").get_data(as_text=True)
    assert "湖南" in page and "广西" in page
    hunan = demo.session.scalar(select(Province).where(Province.name == "湖南"))
    client.post("/m/province", data={"csrf_token": csrf_token(page), "province": hunan.id})
    assert demo.session.scalar(select(WeChatUser.province_id).where(WeChatUser.openid == OPENID)) == hunan.id
    assert client.get("/m/").headers["Location"] == "/m/bind"


def test_province_is_skipped_when_only_one_is_active(client, demo):
    demo.session.execute(Province.__table__.update().where(Province.name == "广西").values(active=False))
    demo.session.commit()
    with_openid(client)
    assert client.get("/m/").headers["Location"] == "/m/bind"


def test_bind_with_the_15_digit_form_of_an_18_digit_account(app, client, demo):
    physician = physician_with(demo, legacy=False)
    with_openid(client)
    response = post_login(app, client, "/m/bind", to_15(physician.id_number_18), next="/m/")
    assert response.status_code == 302 and response.headers["Location"] == "/m/"
    user = demo.session.scalar(select(WeChatUser).where(WeChatUser.openid == OPENID))
    assert user.physician_id == physician.id
    assert demo.session.scalar(select(AuditLog.action).where(AuditLog.target_id == str(physician.id))) == "wechat_bind"
    # The initial password forces the setup page before anything else.
    assert client.get("/m/").headers["Location"].startswith("/m/setup")


@pytest.mark.parametrize("form", ["18", "x-lower", "full-width"])
def test_legacy_15_digit_account_found_by_its_18_digit_forms(app, client, demo, form):
    physician = physician_with(demo, legacy=True)
    typed = {"18": physician.id_number_18, "x-lower": physician.id_number_18.lower(),
             "full-width": "".join(chr(ord(c) + 0xFEE0) for c in physician.id_number_18)}[form]
    assert post_login(app, client, "/login", typed).status_code == 302


def test_x_account_found_with_lower_case_x(app, client, demo):
    physician = physician_with(demo, x=True)
    assert post_login(app, client, "/login", physician.id_number_18.lower()).status_code == 302


def test_not_found_tells_what_to_do(app, client, demo):
    page = post_login(app, client, "/login", "11010519491231002X").get_data(as_text=True)
    assert "定考负责人" in page and "新增医师" in page and "调入医师" in page


def test_wrong_check_character_is_explained(app, client, demo):
    assert "校验位" in post_login(app, client, "/login", "110105194912310021").get_data(as_text=True)


def test_captcha_is_single_use_and_required(app, client, demo):
    physician = physician_with(demo)
    page = client.get("/login")
    answer = captcha_answer(app, client)
    token = csrf_token(page.get_data(as_text=True))
    wrong = client.post("/login", data={"csrf_token": token, "id_number": physician.id_number_18,
                                        "password": "666666", "captcha": "ZZZZ"})
    assert "验证码不正确" in wrong.get_data(as_text=True)
    reused = client.post("/login", data={"csrf_token": token, "id_number": physician.id_number_18,
                                         "password": "666666", "captcha": answer})
    assert reused.status_code == 200 and "验证码不正确" in reused.get_data(as_text=True)


def test_captcha_expires_after_five_minutes(app, client, demo):
    physician = physician_with(demo)
    page = client.get("/login")
    answer = captcha_answer(app, client)
    with client.session_transaction() as session:
        captcha_id = session["captcha_id"]
    with app.app_context():
        from wechat_app.extensions import kv
        kv.delete(f"captcha:{captcha_id}")  # what the store's 300-second TTL does
    response = client.post("/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                           "id_number": physician.id_number_18, "password": "666666", "captcha": answer})
    assert "验证码不正确或已过期" in response.get_data(as_text=True)


@pytest.fixture
def demo_id_number(app):
    """A demo physician's ID number, with no application context left open: several test clients
    then each get their own per-request state, as browsers on different networks would."""
    from wechat_app.domain.demo import seed_demo
    from wechat_app.extensions import db

    with app.app_context():
        seed_demo()
        return physician_with(db).id_number_18


def test_five_wrong_passwords_lock_this_source_out_of_the_account_for_15_minutes(app, client, demo_id_number):
    physician = SimpleNamespace(id_number_18=demo_id_number)
    client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    for left in (4, 3, 2, 1):
        page = post_login(app, client, "/login", physician.id_number_18, password="wrong").get_data(as_text=True)
        assert f"还可尝试{left}次" in page
    page = post_login(app, client, "/login", physician.id_number_18, password="wrong").get_data(as_text=True)
    assert "请15分钟后再试" in page
    page = post_login(app, client, "/login", physician.id_number_18).get_data(as_text=True)
    assert "请15分钟后再试" in page  # even the right password, from this source

    elsewhere = app.test_client()  # the physician, from their own network, is not locked out
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert post_login(app, elsewhere, "/login", physician.id_number_18).status_code == 302

    clock.freeze(clock.now() + timedelta(minutes=15, seconds=1))
    assert post_login(app, client, "/login", physician.id_number_18).status_code == 302


def test_guessing_from_many_sources_is_spaced_out_not_locked(app, demo_id_number):
    physician = SimpleNamespace(id_number_18=demo_id_number)
    for n in range(10):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"10.1.0.{n}"
        post_login(app, guesser, "/login", physician.id_number_18, password="wrong")
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    page = post_login(app, owner, "/login", physician.id_number_18).get_data(as_text=True)
    assert "尝试过于频繁" in page and "秒后再试" in page  # spaced out for seconds …
    clock.freeze(clock.now() + timedelta(seconds=3))
    assert post_login(app, owner, "/login", physician.id_number_18).status_code == 302  # … not 15 minutes


def test_login_is_rate_limited_per_account_named(app, client, demo):
    codes = [post_login(app, client, "/login", "11010519491231002X", captcha="XXXX").status_code for _ in range(21)]
    assert codes[-1] == 429 and 429 not in codes[:20]


def test_form_without_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"id_number": "1", "password": "2", "captcha": "3"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_binding_an_account_held_by_another_openid_moves_it_and_tells_the_old_one(app, client, demo):
    physician = physician_with(demo)
    demo.session.add(WeChatUser(openid="oOLD", physician_id=physician.id, subscribed=True))
    demo.session.commit()
    with_openid(client)
    assert post_login(app, client, "/m/bind", physician.id_number_18).status_code == 302
    demo.session.expire_all()
    assert demo.session.scalar(select(WeChatUser.physician_id).where(WeChatUser.openid == "oOLD")) is None
    assert demo.session.scalar(select(WeChatUser.physician_id).where(WeChatUser.openid == OPENID)) == physician.id
    notice = demo.session.scalar(select(Notification).where(Notification.openid == "oOLD"))
    assert notice.channel == "template" and notice.template_key == "account_notice"


def test_binding_needs_the_password(app, client, demo):
    physician = physician_with(demo)
    demo.session.add(WeChatUser(openid="oOLD", physician_id=physician.id))
    demo.session.commit()
    with_openid(client)
    post_login(app, client, "/m/bind", physician.id_number_18, password="guess")
    assert demo.session.scalar(select(WeChatUser.physician_id).where(WeChatUser.openid == "oOLD")) == physician.id


def test_a_bound_openid_goes_straight_home(client, demo):
    physician = physician_with(demo)
    physician.must_change_password = False
    demo.session.add(WeChatUser(openid=OPENID, physician_id=physician.id, province_id=physician.institution.province_id))
    demo.session.commit()
    with_openid(client)
    assert client.get("/m/").headers["Location"] == "/m/"
    assert physician.name in client.get("/m/").get_data(as_text=True)


def without_phone(db, physician: Physician) -> Physician:
    """An account with no phone on record, reached with a one-time password from its institution."""
    physician.phone = None
    db.session.commit()
    return physician


def test_first_login_setup_changes_password_and_binds_phone(app, client, demo, login_as, fake_wechat):
    physician = login_as(without_phone(demo, physician_with(demo)))
    physician_id = physician.id
    page = client.get("/m/setup").get_data(as_text=True)
    assert "修改密码，绑定手机" in page and "430***********" in page and physician.id_number_18 not in page
    token = csrf_token(page)
    sent = client.post("/m/sms", data={"csrf_token": token, "purpose": "bind_phone", "phone": "13812345678"})
    assert sent.get_json()["ok"]
    with app.app_context():
        run_worker(once=True)
    assert fake_wechat.sms[-1]["phone"] == "13812345678" and "验证码" in fake_wechat.sms[-1]["text"]
    weak = client.post("/m/setup", data={"csrf_token": token, "old_password": "666666", "new_password": "abc",
                                         "confirm": "abc", "phone": "13812345678", "code": "000000"})
    assert "至少包含" in weak.get_data(as_text=True)
    code = sms_code(app, "13812345678")
    done = client.post("/m/setup", data={"csrf_token": token, "old_password": "666666", "new_password": "Dk2026!ok",
                                         "confirm": "Dk2026!ok", "phone": "13812345678", "code": code})
    assert done.headers["Location"] == "/m/"
    demo.session.expire_all()
    saved = demo.session.get(Physician, physician_id)
    assert saved.phone == "13812345678" and not saved.must_change_password
    # The SMS text (it held the code) is not kept after sending.
    assert "text" not in demo.session.scalar(select(Notification).where(Notification.channel == "sms")).data


def test_sms_codes_are_spaced_60_seconds_and_void_after_5_wrong_tries(app, client, demo, login_as):
    login_as(physician_with(demo))
    token = csrf_token(client.get("/m/setup").get_data(as_text=True))
    send = {"csrf_token": token, "purpose": "bind_phone", "phone": "13900001111"}
    assert client.post("/m/sms", data=send).status_code == 200
    again = client.post("/m/sms", data=send)
    assert again.status_code == 429 and "60秒" in again.get_json()["error"]
    with app.app_context():
        from wechat_app.domain.verification import check_sms_code
        code = sms_code(app, "13900001111")
        results = [check_sms_code("13900001111", "bind_phone", "999999" if code != "999999" else "111111")
                   for _ in range(5)]
        assert results[-1].startswith("验证码错误次数过多")
        assert check_sms_code("13900001111", "bind_phone", code) == "验证码已失效，请重新获取。"


def test_sms_send_is_rate_limited_per_account(client, demo, login_as):
    login_as(physician_with(demo))
    token = csrf_token(client.get("/m/setup").get_data(as_text=True))
    codes = [client.post("/m/sms", data={"csrf_token": token, "purpose": "bind_phone", "phone": f"1380000000{i}"})
             .status_code for i in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_sms_needs_a_signed_in_physician(client, demo):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/m/sms", data={"csrf_token": token, "purpose": "bind_phone",
                                       "phone": "13800000000"}).status_code == 403


def test_forgot_password_by_sms(app, client, demo):
    physician = physician_with(demo)
    physician.phone, physician.must_change_password = "13700001234", False
    demo.session.commit()
    page = client.get("/m/forgot")
    answer = captcha_answer(app, client)
    response = client.post("/m/forgot", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                              "id_number": physician.id_number_18, "captcha": answer})
    assert response.headers["Location"] == "/m/forgot/reset"
    assert "137****1234" in client.get("/m/forgot/reset").get_data(as_text=True)
    token = csrf_token(client.get("/m/forgot/reset").get_data(as_text=True))
    code = sms_code(app, "13700001234", "reset_password")
    done = client.post("/m/forgot/reset", data={"csrf_token": token, "code": code, "new_password": "Newpass#2026",
                                                "confirm": "Newpass#2026"})
    assert done.headers["Location"] == "/login"
    assert post_login(app, client, "/login", physician.id_number_18, password="Newpass#2026").status_code == 302


def test_forgot_password_without_phone_names_the_institution(app, client, demo):
    physician = without_phone(demo, physician_with(demo))
    page = client.get("/m/forgot")
    answer = captcha_answer(app, client)
    response = client.post("/m/forgot", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                              "id_number": physician.id_number_18, "captcha": answer})
    text = response.get_data(as_text=True)
    assert "未绑定手机" in text and physician.institution.name in text


def test_desktop_login_page_shows_the_entry_qr_code(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page and "微信扫一扫" in page


def test_open_redirect_after_login_is_refused(app, client, demo):
    physician = physician_with(demo)
    response = post_login(app, client, "/login", physician.id_number_18, next="https://evil.example/")
    assert response.headers["Location"] == "/m/"


def test_id_numbers_never_reach_the_log(app, client, demo, caplog):
    physician = physician_with(demo)
    post_login(app, client, "/login", physician.id_number_18, password="wrong")
    post_login(app, client, "/login", physician.id_number_18)
    assert physician.id_number_18 not in caplog.text and physician.id_number_18[:14] not in caplog.text
    assert demo.session.scalar(select(func.count(AuditLog.id))) >= 0


def test_a_refused_captcha_is_not_shown_again_and_the_image_is_large(app, client, demo):
    from tests.helpers import csrf_token

    page = client.get("/login").get_data(as_text=True)
    refused = client.post("/login", data={"csrf_token": csrf_token(page), "id_number": "430103198001010012",
                                          "password": "x", "captcha": "ZZZZ"}).get_data(as_text=True)
    assert "验证码不正确" in refused and 'value="ZZZZ"' not in refused
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(client.get("/m/captcha.png").data)).size == (160, 60)


def test_the_sign_in_pages_link_real_terms_and_privacy_pages_and_the_hotline(client, demo):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/terms"' in page and 'href="/privacy"' in page and "400-0555-699" in page
    assert 'href="/console/login"' in page  # the seed's 医师 / 机构 tabs
    assert "个人信息保护法" in client.get("/privacy").get_data(as_text=True)
    assert "服务内容" in client.get("/terms").get_data(as_text=True)
    assert 'href="/terms"' in client.get("/console/login").get_data(as_text=True)


# --- the first sign-in cannot be taken by whoever knows an ID number (issue 20) ------------------

def test_a_first_sign_in_with_a_phone_on_record_needs_the_code_sent_there(app, client, demo, login_as, fake_wechat):
    physician = login_as(physician_with(demo))
    on_record = physician.phone
    page = client.get("/m/setup").get_data(as_text=True)
    assert on_record not in page and f"{on_record[:3]}****{on_record[-4:]}" in page
    token = csrf_token(page)
    form = {"csrf_token": token, "old_password": "666666", "new_password": "Dk2026!ok", "confirm": "Dk2026!ok"}
    refused = client.post("/m/setup", data=form | {"code": "123456"})
    assert refused.status_code == 200 and "验证码" in refused.get_data(as_text=True)
    # a number of the taker's own is not where the code goes, nor what gets bound
    taken = client.post("/m/setup", data=form | {"phone": "13811112222", "code": "123456"})
    assert "Location" not in taken.headers
    assert client.post("/m/sms", data={"csrf_token": token, "purpose": "first_login", "phone": "13811112222"}
                       ).get_json()["ok"]
    with app.app_context():
        run_worker(once=True)
    assert fake_wechat.sms[-1]["phone"] == on_record
    done = client.post("/m/setup", data=form | {"code": sms_code(app, on_record, "first_login")})
    assert done.headers["Location"] == "/m/"
    demo.session.expire_all()
    saved = demo.session.get(Physician, physician.id)
    assert not saved.must_change_password and saved.phone == on_record


def test_666666_without_a_phone_on_record_opens_nothing(app, client, demo):
    physician = without_phone(demo, physician_with(demo))
    refused = post_login(app, client, "/login", physician.id_number_18)
    assert "Location" not in refused.headers and "一次性初始密码" in refused.get_data(as_text=True)
    assert client.get("/m/setup").headers["Location"] == "/login"


def test_the_institution_hands_out_a_one_time_password_where_no_phone_is_kept(app, client, demo, login_as):
    from wechat_app.models import Staff

    physician = without_phone(demo, physician_with(demo))
    login_as(demo.session.scalar(select(Staff).where(Staff.username == "rmyy")))
    token = csrf_token(client.get("/console/physicians").get_data(as_text=True))
    done = client.post(f"/console/physicians/{physician.id}/reset-password", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    with client.session_transaction() as session:
        session.clear()  # the staff member leaves; the physician comes to the sign-in page
    from flask import g

    g.pop("_login_user", None)  # test requests share the test's app context, and what it cached
    g.pop("csrf_token", None)
    handed_out = re.search(r"一次性初始密码：([a-z2-9]{8})", done).group(1)
    assert "Location" not in post_login(app, client, "/login", physician.id_number_18).headers  # 666666: still no
    signed = post_login(app, client, "/login", physician.id_number_18, password=handed_out)
    assert signed.headers.get("Location") == "/m/" and client.get("/m/").headers["Location"] == "/m/setup?next=/m/"
    assert "修改密码，绑定手机" in client.get("/m/setup").get_data(as_text=True)  # binds a phone of their own


def test_new_physician_gets_666666_with_a_phone_and_a_one_time_password_without(demo):
    from wechat_app.domain import passwords
    from wechat_app.domain.physicians import PhysicianInput, create_physician
    from wechat_app.models import Staff

    staff = demo.session.scalar(select(Staff).where(Staff.username == "rmyy"))
    base = dict(name="新医师", gender="", id_type="身份证", category="临床", practice_scope="内科专业",
                certificate_number="110430100009999", qualification_number="200543110430109999")
    with_phone, none = create_physician(staff, PhysicianInput(id_number="430103199408304303", phone="13700001111",
                                                             **base), None)
    assert none is None and passwords.verify(with_phone.password_hash, "666666")
    without, handed_out = create_physician(staff, PhysicianInput(id_number="430103199503294377", **base), None)
    assert handed_out and passwords.verify(without.password_hash, handed_out)
    assert not passwords.verify(without.password_hash, "666666")


def test_the_first_sign_in_keeps_the_menu_target(app, client, demo, login_as):
    """考核结果 (a menu link) → bind → 修改密码，绑定手机 → 考核结果, not the home page (issue 22, defect 6)."""
    login_as(without_phone(demo, physician_with(demo)))
    to_setup = client.get("/m/results")
    assert to_setup.headers["Location"] == "/m/setup?next=/m/results"
    page = client.get(to_setup.headers["Location"]).get_data(as_text=True)
    token = csrf_token(page)
    client.post("/m/sms", data={"csrf_token": token, "purpose": "bind_phone", "phone": "13812345670"})
    done = client.post("/m/setup?next=/m/results", data={
        "csrf_token": token, "old_password": "666666", "new_password": "Dk2026!ok", "confirm": "Dk2026!ok",
        "phone": "13812345670", "code": sms_code(app, "13812345670")})
    assert done.headers["Location"] == "/m/results"
    assert client.get("/m/setup?next=https://evil.example/").headers["Location"] == "/m/"  # done: home, never away

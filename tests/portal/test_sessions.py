"""Session generations (domain/sessions.py): a copied cookie does not outlive sign-out, a password
change or reset, unbinding, a lockout or a change of rights; sign-in starts a fresh session.

These tests keep no application context open between requests (each request gets its own, as in
production), so Flask-Login's per-request cache cannot hide a signed-out session.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import captcha_answer, csrf_token
from wechat_app.domain.demo import seed_demo
from wechat_app.extensions import db
from wechat_app.models import Physician, Staff, WeChatUser

OPENID = "oSESSION000000000000000000001"


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed_demo()


def physician_id(app, **changes) -> tuple[int, str]:
    with app.app_context():
        physician = db.session.scalars(select(Physician).where(Physician.department_id.is_not(None))
                                       .order_by(Physician.id)).first()
        for name, value in changes.items():
            setattr(physician, name, value)
        db.session.commit()
        return physician.id, physician.id_number


def sign_in(app, client, id_number: str, password: str = "666666") -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": csrf_token(page), "id_number": id_number,
                                           "password": password, "captcha": captcha_answer(app, client)})
    assert response.status_code == 302, response.get_data(as_text=True)


def copy_of(app, client):
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def post(client, url: str, page: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **data})


def signed_in(client, url="/m/account") -> bool:
    return client.get(url).status_code == 200


def test_sign_out_ends_every_copy_of_the_session(app, client, seeded):
    _, id_number = physician_id(app, must_change_password=False)
    sign_in(app, client, id_number)
    thief = copy_of(app, client)
    assert signed_in(thief)
    post(client, "/m/logout", "/m/account")
    assert not signed_in(client) and not signed_in(thief)


def test_a_password_change_keeps_this_session_and_ends_the_others(app, client, seeded):
    _, id_number = physician_id(app, must_change_password=False)
    sign_in(app, client, id_number)
    thief = copy_of(app, client)
    changed = post(client, "/m/account/password", "/m/account", old_password="666666",
                   new_password="Newpass#2026", confirm="Newpass#2026")
    assert changed.status_code == 302
    assert signed_in(client) and not signed_in(thief)


def test_an_institution_reset_ends_a_stolen_session_even_with_a_bound_openid(app, client, seeded):
    """The attack: a stolen cookie (signed in, with the WeChat openid), the institution resets the
    password to 666666, the thief opens /m/setup. Refused: the reset ended the session, and the
    openid no longer signs the account in without a fresh WeChat authorization."""
    pid, id_number = physician_id(app, must_change_password=False)
    with app.app_context():
        physician = db.session.get(Physician, pid)
        db.session.add(WeChatUser(openid=OPENID, physician_id=pid, province_id=physician.institution.province_id))
        db.session.commit()
    with client.session_transaction() as session:
        session["openid"], session["openid_sv"] = OPENID, 0
    sign_in(app, client, id_number)
    thief = copy_of(app, client)
    staff = app.test_client()
    with app.app_context():
        rmyy = db.session.scalar(select(Staff).where(Staff.username == "rmyy"))
        with staff.session_transaction() as session:
            session["_user_id"], session["sv"] = rmyy.get_id(), rmyy.session_version
    assert post(staff, f"/console/physicians/{pid}/reset-password", "/console/physicians").status_code == 302

    assert thief.get("/m/setup").headers["Location"] == "/login"
    taken = thief.post("/m/setup", data={"old_password": "666666", "new_password": "Stolen#2026",
                                         "confirm": "Stolen#2026"})
    assert taken.status_code in (302, 400) and taken.headers.get("Location") != "/m/"
    home = thief.get("/m/")
    assert home.status_code == 302 and home.headers["Location"] == "/login"  # the openid is not trusted
    with app.app_context():
        assert db.session.get(Physician, pid).must_change_password  # nothing was taken over


def test_unbinding_ends_every_session(app, client, seeded):
    pid, id_number = physician_id(app, must_change_password=False)
    with app.app_context():
        physician = db.session.get(Physician, pid)
        db.session.add(WeChatUser(openid=OPENID, physician_id=pid, province_id=physician.institution.province_id))
        db.session.commit()
    sign_in(app, client, id_number)
    thief = copy_of(app, client)
    post(client, "/m/account/unbind", "/m/account")
    assert not signed_in(thief)


def test_a_lockout_ends_every_session(app, client, seeded):
    _, id_number = physician_id(app, must_change_password=False)
    sign_in(app, client, id_number)
    thief = copy_of(app, client)
    other = app.test_client()
    for _ in range(5):
        page = other.get("/login").get_data(as_text=True)
        other.post("/login", data={"csrf_token": csrf_token(page), "id_number": id_number, "password": "wrong",
                                   "captcha": captcha_answer(app, other)})
    assert not signed_in(thief) and not signed_in(client)


def test_staff_sign_out_and_a_change_of_role_end_sessions(app, client, seeded):
    def console_sign_in(c):
        page = c.get("/console/login").get_data(as_text=True)
        response = c.post("/console/login", data={"csrf_token": csrf_token(page), "username": "rmyy",
                                                  "password": "Dkt@2026demo", "captcha": captcha_answer(app, c)})
        assert response.headers["Location"] == "/console/"

    console_sign_in(client)
    thief = copy_of(app, client)
    assert thief.get("/console/").status_code == 200
    post(client, "/console/logout", "/console/")
    assert thief.get("/console/").status_code == 302

    console_sign_in(client)
    with app.app_context():
        db.session.scalar(select(Staff).where(Staff.username == "rmyy")).active = False
        db.session.commit()
    assert client.get("/console/").status_code == 302


def test_sign_in_starts_a_fresh_session_with_a_new_csrf_token(app, client, seeded):
    _, id_number = physician_id(app, must_change_password=False)
    client.get("/login")
    with client.session_transaction() as session:
        session["reset_physician_id"] = 1  # planted before the sign-in
        before = session["csrf_token"]
    sign_in(app, client, id_number)
    with client.session_transaction() as session:
        assert "reset_physician_id" not in session and session.get("csrf_token") != before


@pytest.mark.parametrize("page", ["/m/study", "/m/results", "/m/exams"])
def test_a_menu_link_signs_a_bound_openid_in_on_its_page_until_the_account_ends_its_sessions(app, seeded, page):
    """定考培训 and 考核结果 in the menu go through OAuth straight to their page: the openid's bound
    physician is signed in there — but not after a reset has ended the account's sessions."""
    pid, _ = physician_id(app, must_change_password=False)
    with app.app_context():
        physician = db.session.get(Physician, pid)
        db.session.add(WeChatUser(openid=OPENID, physician_id=pid, province_id=physician.institution.province_id))
        db.session.commit()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["openid"], session["openid_sv"] = OPENID, 0  # what the OAuth callback leaves
    assert browser.get(page).status_code == 200
    assert signed_in(browser)
    stale = app.test_client()
    with stale.session_transaction() as session:
        session["openid"], session["openid_sv"] = OPENID, 0
    with app.app_context():
        db.session.get(Physician, pid).session_version += 1  # e.g. the institution reset the password
        db.session.commit()
    response = stale.get(page)
    assert response.status_code == 302 and "/m/bind" in response.headers["Location"]

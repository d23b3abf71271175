"""A hospital behind one address: 200 physicians on one NAT address sign in, fill in and submit their
registration and watch a lesson in the same minutes, and none of them is refused with 429 — the limits
count each account on its own (wechat_app/limits.py). One account hammering still is refused."""
from __future__ import annotations

from flask import g
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.helpers import captcha_answer, csrf_token, many_awaiting
from tests.portal.test_registration import fill_all, submit
from tests.portal.test_study import course_named, enrol
from wechat_app.models import CourseMedia
from wechat_app.models.enums import MediaKind

HOSPITAL_ADDRESS = {"REMOTE_ADDR": "203.0.113.7"}
PASSWORD = "Hospital@2026"
PHYSICIANS = 200
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # 200 sign-ins, not 200 scrypt runs


def sign_in(app, client, physician) -> int:
    # The test's requests share its app context (a real request has its own): forget the previous
    # physician's CSRF token and user, which Flask-WTF and Flask-Login cache there.
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    page = client.get("/login")
    answer = captcha_answer(app, client)
    return client.post("/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                       "id_number": physician.id_number, "password": PASSWORD,
                                       "captcha": answer}).status_code


def test_two_hundred_physicians_behind_one_address_are_not_throttled(app, demo):
    registrations = many_awaiting(demo, PHYSICIANS, 7000, status="open", password_hash=CHEAP_HASH)
    lesson = demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course_named(demo, "人文医学").id,
                                                           CourseMedia.kind == MediaKind.LESSON))
    refused = []
    for registration in registrations:
        physician = registration.physician
        client = app.test_client()
        client.environ_base.update(HOSPITAL_ADDRESS)
        codes = [sign_in(app, client, physician)]
        if codes[0] != 302:
            refused.append((physician.id, codes))
            continue
        token = csrf_token(client.get("/m/registration/step/1").get_data(as_text=True))
        codes += [client.post("/m/registration/step/1", data={"csrf_token": token, "action": "autosave",
                                                               "email": f"doc{n}@example.cn"}).status_code
                  for n in range(3)]
        fill_all(client, physician)
        codes.append(submit(client).status_code)
        enrol(client, course_named(demo, "人文医学"))
        token = csrf_token(client.get(f"/m/study/lessons/{lesson.id}").get_data(as_text=True))
        codes += [client.post(f"/m/study/lessons/{lesson.id}/position",
                              data={"csrf_token": token, "position": 10 * n, "playing": "y"}).status_code
                  for n in range(6)]
        if 429 in codes or any(code >= 500 for code in codes):
            refused.append((physician.id, codes))
    assert refused == []
    assert {r.status for r in registrations} == {"pending_institution"}


def test_one_account_hammering_is_still_refused(app, demo):
    (registration,) = many_awaiting(demo, 1, 7500, status="open", password_hash=CHEAP_HASH)
    client = app.test_client()
    client.environ_base.update(HOSPITAL_ADDRESS)
    assert sign_in(app, client, registration.physician) == 302
    token = csrf_token(client.get("/m/registration/step/1").get_data(as_text=True))
    codes = [client.post("/m/registration/step/1", data={"csrf_token": token, "action": "autosave",
                                                          "email": "x@example.cn"}).status_code for _ in range(121)]
    assert 429 not in codes[:120] and codes[120] == 429

"""The home page's cache (portal/home_cache.py): a hit is the page a fresh render gives, served
without the database; every transition of the state machine and every edit of what the page shows
(the physician, their 免考 application, the cycle, the institution) makes the next request render
again; a commit between reading and storing never leaves a stale page behind. A new day renders
again too (the date is in the tag): tests/portal/test_home.py walks a window's edges day by day."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import select

from tests.helpers import Statements, registration_in
from wechat_app import clock
from wechat_app.domain import registration as machine
from wechat_app.domain import sessions
from wechat_app.domain.registration import TRANSITIONS, Action, Actor, Status, label
from wechat_app.extensions import kv
from wechat_app.models import Cycle, Exemption, Physician, Registration
from wechat_app.portal import home_cache


def fresh_physician(db) -> Physician:
    """A demo physician past the first sign-in's setup, with no registration of their own yet."""
    taken = select(Registration.physician_id)
    physician = db.session.scalar(select(Physician).where(Physician.id.not_in(taken), Physician.institution_id.is_not(None),
                                                          Physician.department_id.is_not(None)).order_by(Physician.id))
    physician.must_change_password = False
    db.session.commit()
    return physician


def queries_of(db, client, path: str) -> tuple[int, str]:
    with Statements(db.engine) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return seen.count, response.get_data(as_text=True)


def rendered_afresh(client, physician: Physician) -> str:
    """The page as it is without any cache."""
    kv.delete(home_cache.page_key(str(physician.id)))
    return client.get("/m/").get_data(as_text=True)


def open_every_window(cycle: Cycle) -> None:
    today = clock.today()
    for window in ("registration", "review", "exemption", "exemption_review"):
        setattr(cycle, f"{window}_start", today - timedelta(days=1))
        setattr(cycle, f"{window}_end", today + timedelta(days=1))


def test_a_hit_is_the_same_page_without_the_database(client, demo, login_as):
    physician = login_as(fresh_physician(demo))
    registration_in(demo, physician, Status.AWAITING_TEST.value)
    demo.session.commit()
    first_queries, first = queries_of(demo, client, "/m/")
    second_queries, second = queries_of(demo, client, "/m/")
    assert first_queries >= 2 and second_queries == 0
    assert second == first and label(Status.AWAITING_TEST) in second


@pytest.mark.parametrize(("status", "action"), list(TRANSITIONS), ids=lambda v: getattr(v, "value", v))
def test_every_transition_shows_on_the_next_home_page(client, demo, login_as, status, action):
    physician = login_as(fresh_physician(demo))
    registration = registration_in(demo, physician, status.value)
    open_every_window(registration.cycle)
    demo.session.commit()
    client.get("/m/")
    assert queries_of(demo, client, "/m/")[0] == 0  # the page before is in the cache

    rule = TRANSITIONS[(status, action)]
    machine.apply(registration, action, Actor(rule.role, 1), reason="照片不清晰" if rule.to == Status.REJECTED else None)
    if rule.to == Status.REJECTED:
        registration.reject_reason = "照片不清晰"
    demo.session.commit()

    page = client.get("/m/").get_data(as_text=True)
    assert f'id="current-task">{label(rule.to)}</span>' in page
    assert page == rendered_afresh(client, physician)


def test_results_published_in_bulk_show_on_the_next_home_page(client, demo, login_as):
    """发布考核结果 moves registrations by one bulk UPDATE (registration.apply_all), which the ORM's flush
    does not see: the cached page is still replaced."""
    from datetime import timedelta

    from sqlalchemy import select

    from tests.helpers import ready_for_exam
    from wechat_app import clock
    from wechat_app.domain import results
    from wechat_app.models import Arrangement, Staff
    from wechat_app.models.enums import ExamRound

    registration = ready_for_exam(demo)
    for arrangement in demo.session.scalars(select(Arrangement)):
        arrangement.ends_at = clock.now() - timedelta(minutes=1)
    demo.session.commit()
    physician = login_as(registration.physician)
    client.get("/m/")
    assert queries_of(demo, client, "/m/")[0] == 0  # cached
    results.publish(demo.session.scalar(select(Staff).where(Staff.username == "kaohe")), registration.cycle,
                    ExamRound.REGULAR, None)
    page = client.get("/m/").get_data(as_text=True)
    assert f'id="current-task">{label(Status.FAILED)}</span>' in page
    assert page == rendered_afresh(client, physician)


def test_enrolment_creates_the_row_the_page_reads(client, demo, login_as):
    physician = login_as(fresh_physician(demo))
    client.get("/m/")
    cycle = demo.session.scalar(select(Cycle).where(Cycle.is_current.is_(True),
                                                    Cycle.province_id == physician.institution.province_id))
    machine.enroll(physician.id, cycle, Actor(machine.Role.INSTITUTION, 1))
    demo.session.commit()
    assert f'id="current-task">{label(Status.OPEN)}</span>' in client.get("/m/").get_data(as_text=True)


def test_edits_of_what_the_page_shows_are_seen(client, demo, login_as):
    physician = login_as(fresh_physician(demo))
    registration = registration_in(demo, physician, Status.AWAITING_TEST.value)
    open_every_window(registration.cycle)
    demo.session.commit()
    client.get("/m/")

    physician.name = "改名后的医师"
    demo.session.commit()
    assert "改名后的医师" in client.get("/m/").get_data(as_text=True)

    physician.institution.name = "改名后的医院"  # seen by every physician of it
    demo.session.commit()
    assert "改名后的医院" in client.get("/m/").get_data(as_text=True)

    registration.cycle.registration_start, registration.cycle.registration_end = date(2026, 3, 2), date(2026, 3, 9)
    demo.session.commit()
    assert "03.02 ~ 03.09" in client.get("/m/").get_data(as_text=True)

    demo.session.add(Exemption(registration_id=registration.id, category="其他", explanation="长期援外医疗工作。" * 2,
                               evidence=[]))
    demo.session.commit()
    page = client.get("/m/").get_data(as_text=True)
    assert "免考申请：待审核" in page and page == rendered_afresh(client, physician)


def test_ended_sessions_are_not_served_from_the_cache(client, demo, login_as):
    physician = login_as(fresh_physician(demo))
    assert client.get("/m/").status_code == 200
    sessions.sign_out(physician)  # e.g. from another phone: every session of the account ends
    g.pop("_login_user", None)  # test requests share one app context, where Flask-Login keeps the user
    response = client.get("/m/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_flashed_message_is_neither_served_nor_stored(client, demo, login_as):
    physician = login_as(fresh_physician(demo))
    client.get("/m/")
    with client.session_transaction() as browser:
        browser["_flashes"] = [("message", "已保存。")]
    assert "已保存。" in client.get("/m/").get_data(as_text=True)
    assert "已保存。" not in client.get("/m/").get_data(as_text=True)
    assert "已保存。" not in (kv.get(home_cache.page_key(str(physician.id))) or "")


def test_a_commit_between_reading_and_storing_leaves_no_stale_page(app, client, demo, login_as):
    """A request reads the versions, then its data; a transition commits; the request stores its
    page: the page carries the old version, so the next request renders again."""
    physician = login_as(fresh_physician(demo))
    registration = registration_in(demo, physician, Status.PENDING_INSTITUTION.value)
    open_every_window(registration.cycle)
    demo.session.commit()
    with client.session_transaction() as browser:
        session_data = dict(browser)
    with app.test_request_context("/m/"):
        from flask import session

        session.update(session_data)
        assert home_cache.lookup() is None
        stale_page = "<p>待医疗卫生机构审核</p>"
        machine.apply(registration, Action.INSTITUTION_APPROVE, Actor(machine.Role.INSTITUTION, 1))
        demo.session.commit()
        home_cache.store(physician, stale_page)
    assert kv.get(home_cache.page_key(str(physician.id))).endswith(stale_page)
    page = client.get("/m/").get_data(as_text=True)
    assert stale_page not in page and label(Status.PENDING_ASSESSOR) in page


def test_a_rolled_back_change_bumps_nothing(demo):
    physician = fresh_physician(demo)
    before = kv.get(home_cache.version_key(physician.id))
    physician.name = "不会保存"
    demo.session.flush()
    demo.session.rollback()
    assert kv.get(home_cache.version_key(physician.id)) == before

"""Template notices: field limits, at-most-once keys, delivery through the worker, retries, and
what staff see."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from tests.helpers import fan_out
from wechat_app import clock
from wechat_app.domain import notifications, outbox
from wechat_app.domain.notifications import TemplateFieldError, fit
from wechat_app.models import Notification, Physician, WeChatUser
from wechat_app.outbox_worker import run_worker


@pytest.mark.parametrize("name,value,expected", [
    ("thing1", "短", "短"), ("thing2", "一" * 25, "一" * 19 + "…"), ("thing3", "两行\n文字", "两行 文字"),
    ("phrase4", "待测评", "待测评"), ("time5", "2026年05月06日", "2026年05月06日"), ("character_string6", "A-123", "A-123"),
])
def test_fit(name, value, expected):
    assert fit(name, value) == expected


@pytest.mark.parametrize("name,value", [("phrase1", "太长的一个短语"), ("phrase2", "abc"), ("character_string3", "中文"),
                                        ("number4", "1" * 33), ("unknown5", "x"), ("thing6", "")])
def test_fit_refuses(name, value):
    with pytest.raises(TemplateFieldError):
        fit(name, value)


@pytest.fixture
def bound(demo):
    physician = demo.session.scalar(select(Physician).order_by(Physician.id))
    demo.session.add(WeChatUser(openid="oNOTICE", physician_id=physician.id, subscribed=True))
    demo.session.commit()
    return physician


def queue(db, physician, key="k1"):
    notice = notifications.queue_template(physician, "registration_rejected",
                                          {"thing1": "医疗卫生机构驳回", "thing2": "照片不清晰", "time3": "2026年05月06日"},
                                          "/m/registration", key)
    db.session.commit()
    return notice


def test_the_same_event_is_queued_once(demo, bound):
    queue(demo, bound)
    queue(demo, bound)
    assert demo.session.scalar(select(func.count(Notification.id)).where(Notification.idempotency_key == "k1")) == 1


def test_worker_sends_the_template_with_client_msg_id_and_stores_msgid(demo, bound, fake_wechat):
    notice = queue(demo, bound)
    run_worker(once=True)
    demo.session.refresh(notice)
    sent = fake_wechat.sent[-1]
    assert sent["kind"] == "template" and sent["touser"] == "oNOTICE"
    assert sent["template_id"] == "sim_tpl_registration_rejected"
    assert sent["data"]["thing2"] == {"value": "照片不清晰"} and len(sent["client_msg_id"]) == 32
    assert notice.status == "sent" and notice.msgid == str(sent["msgid"])


def test_transient_errors_are_retried_permanent_ones_are_not(demo, bound, live, fake_wechat):
    from wechat_app import clock

    a, b = queue(demo, bound, "a"), queue(demo, bound, "b")
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/message/template/send", "errcode": -1})
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/message/template/send", "errcode": 43004})
    run_worker(once=True)  # the batch is sent on several threads: either notice may meet either fault
    demo.session.refresh(a), demo.session.refresh(b)
    retried, refused = sorted((a, b), key=lambda n: n.status)
    assert (retried.status, refused.status) == ("pending", "undeliverable")
    assert retried.last_error == "errcode -1" and notifications.delivery_label(refused) == "未关注公众号"
    clock.freeze(retried.next_attempt_at)
    run_worker(once=True)
    demo.session.refresh(retried)
    assert retried.status == "sent" and retried.attempts == 2


def test_without_a_bound_openid_the_notice_is_undeliverable(demo):
    physician = demo.session.scalar(select(Physician).order_by(Physician.id.desc()))
    notice = queue(demo, physician)
    run_worker(once=True)
    demo.session.refresh(notice)
    assert notice.status == "undeliverable" and notifications.delivery_label(notice) == "未绑定微信"


def test_two_workers_never_send_the_same_row(app, demo, bound, fake_wechat):
    for i in range(40):
        queue(demo, bound, f"n{i}")
    barrier = threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            run_worker(batch=5, once=True)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m["client_msg_id"] for m in fake_wechat.sent if m["kind"] == "template"]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert demo.session.scalar(select(func.count(Notification.id)).where(
        Notification.channel == "template", Notification.status == "sent")) == 40  # the demo's SMS (短信补发) aside
    assert outbox.claim_due(10) == []


def test_an_sms_code_queued_behind_a_fan_out_is_claimed_first(demo, bound):
    """Urgent notices (SMS codes, customer-service replies, rejections) take the first lane."""
    fan_out(demo, 300)
    clock.freeze(clock.now() + timedelta(seconds=1))  # queued after the fan-out
    notifications.queue_sms("13800138000", "【定考通】验证码{code}", "sms:code", code_ref="sms:code:x")
    queue(demo, bound, key="rejected")  # registration_rejected
    notifications.queue_custom_text("oSOMEONE", "您好", "custom:1")
    demo.session.commit()
    first = {c.idempotency_key for c in outbox.claim_due(3)}
    assert first == {"sms:code", "rejected", "custom:1"}  # queued last, claimed first


def test_the_daily_quota_pauses_templates_until_midnight_and_nothing_else(demo, bound, live, fake_wechat):
    """45009: template sends stop for every worker until the quota resets; SMS and customer-service
    messages go on; the rows wait without spending their attempts."""
    fan_out(demo, 30)
    notifications.queue_custom_text("oSOMEONE", "您好", "custom:1")
    demo.session.commit()
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/message/template/send", "errcode": 45009,
                                                     "count": 1000})
    run_worker(once=True, batch=10)
    tomorrow = datetime.combine(clock.today() + timedelta(days=1), datetime.min.time())
    assert outbox.templates_paused_until() == tomorrow
    waiting = demo.session.scalars(select(Notification).where(Notification.template_key == "assessment_result")).all()
    assert all(n.status == "pending" and n.attempts == 0 for n in waiting)
    calls = fake_wechat.calls["cgi-bin/message/template/send"]
    assert calls <= 10  # the first batch met the quota; nothing more was tried
    assert demo.session.scalar(select(Notification.status).where(Notification.idempotency_key == "custom:1")) == "sent"
    run_worker(once=True)
    assert fake_wechat.calls["cgi-bin/message/template/send"] == calls  # still paused
    assert outbox.backlog() == outbox.Backlog(30, tomorrow, {})

    fake_wechat.faults.clear()
    clock.freeze(tomorrow)  # the quota is back: the fan-out resumes where it stopped
    run_worker(drain=True)
    assert all(n.status == "sent" for n in demo.session.scalars(
        select(Notification).where(Notification.template_key == "assessment_result").execution_options(
            populate_existing=True)))


@pytest.mark.parametrize("errcode, label", [(47003, "模板参数不正确"), (48001, "接口未授权"), (40037, "模板未配置或无效")])
def test_configuration_errors_are_not_retried_and_the_console_says_so(app, demo, bound, live, client, errcode, label):
    """47003/48001/40037 can never succeed on a retry: the row is closed at the first answer, and the
    console's home page says how many notices the configuration cost in the last day."""
    notice = queue(demo, bound)
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/message/template/send", "errcode": errcode})
    run_worker(once=True)
    demo.session.refresh(notice)
    assert notice.status == "undeliverable" and notice.attempts == 1 and label in notice.last_error
    assert outbox.backlog().misconfigured == {str(errcode): 1}
    from wechat_app.models import Staff

    kaohe = demo.session.scalar(select(Staff).where(Staff.username == "kaohe"))
    with client.session_transaction() as session:
        session["_user_id"], session["sv"] = kaohe.get_id(), kaohe.session_version
    from flask import g

    g.pop("_login_user", None)
    page = client.get("/console/").get_data(as_text=True)
    assert f'data-errcode="{errcode}"' in page and label in page and "1 条未送达" in page


def test_an_sms_in_place_of_a_fan_outs_notice_waits_in_the_fan_outs_lane(demo):
    """短信补发 is on by default now: a fan-out's SMS must not go before a verification code."""
    unbound = demo.session.scalar(select(Physician).where(Physician.phone.is_not(None),
                                                          ~Physician.id.in_(select(WeChatUser.physician_id))))
    notifications.queue_templates("exam_notice", "/m/exams", [(
        notifications.addressee_of(unbound), "fan:1", {"thing1": "测评", "time2": "2026年05月11日 09:00", "thing3": "可考1次"})],
        sms_fallback=True, batch="fan")
    notifications.queue_sms("13800138000", "【定考通】验证码{code}", "sms:code2", code_ref="sms:code:y")
    demo.session.commit()
    rows = {n.idempotency_key: n for n in demo.session.scalars(select(Notification).where(
        Notification.idempotency_key.in_(["sms:fan:1", "sms:code2"])))}
    assert rows["sms:fan:1"].priority == notifications.NORMAL and rows["sms:fan:1"].batch == "fan"
    assert rows["sms:code2"].priority == notifications.URGENT
    assert notifications.title_of(rows["sms:fan:1"]) == "考试通知（短信）"

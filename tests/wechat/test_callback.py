"""`/wechat`: verification, routing, de-duplication, encryption modes and hostile input."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.helpers import OPENID, event_message, message_xml, reply_of, text_message, wait_for
from wechat_app.domain import status
from wechat_app.domain.demo import seed_demo
from wechat_app.extensions import db as _db
from wechat_app.extensions import kv
from wechat_app.models import Notification, Physician, WeChatEvent, WeChatUser
from wechat_app.wechat.callback import finish_background
from wechat_app.wechat.protocol import parse_xml, sha1_signature
from wechat_app.wechat.router import dedup_key

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_get_verification_echoes_for_a_valid_signature(client, push):
    assert client.get("/wechat", query_string={**push.query(), "echostr": "8723461"}).data == b"8723461"


def test_get_verification_refuses_a_bad_signature(client, push):
    query = {**push.query(), "echostr": "8723461", "signature": "0" * 40}
    response = client.get("/wechat", query_string=query)
    assert response.status_code == 403 and b"8723461" not in response.data


def test_post_with_a_bad_signature_is_refused(client, push):
    response = push(text_message("密码"), signature="f" * 40)
    assert response.status_code == 403


def test_text_keyword_gets_the_faq_answer(push, db):
    seed_demo()
    reply = reply_of(push(text_message("我忘记密码了怎么办")))
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == "gh_test"
    assert reply["Content"].startswith("忘记密码怎么办？")


def test_text_without_a_match_gets_help_with_the_entry_link(push, db):
    seed_demo()
    reply = reply_of(push(text_message("你好")))
    assert "定考入口" in reply["Content"] and "/wechat/oauth/entry?next=/m/" in reply["Content"]


@pytest.mark.parametrize("words", ["人工客服", "客服", "我要转人工"])
def test_customer_service_words_transfer_the_conversation(push, words):
    assert reply_of(push(text_message(words)))["MsgType"] == "transfer_customer_service"


def test_a_retry_gets_the_same_answer_and_its_side_effects_happen_once(push, db):
    view = event_message("VIEW", "https://example.test/m/", CreateTime="1700000001")
    first, second = push(view), push(view)
    assert first.data == second.data == b"success"
    finish_background()  # both side effects that could have started are done
    db.session.remove()
    assert db.session.scalar(select(func.count(WeChatEvent.id))) == 1


def test_retried_text_gets_the_identical_reply(push, db):
    seed_demo()
    first, second = push(text_message("科室", msg_id="777")), push(text_message("科室", msg_id="777"))
    assert first.data == second.data
    assert kv.get("wx:seen:m:777") is None  # a pure reply is computed again: no round trip to the store


def test_a_retried_event_writes_its_row_once_even_without_the_store(push, db, monkeypatch):
    """The event log is idempotent in the database (its unique de-dup key), not through Redis."""
    claims = []
    monkeypatch.setattr(kv.backend, "claim", lambda *args: claims.append(args))
    scan = event_message("SCAN", "hospital42", CreateTime="1700000003")
    assert push(scan).data == push(scan).data == b"success"
    finish_background()
    db.session.remove()
    assert db.session.scalar(select(func.count(WeChatEvent.id))) == 1 and claims == []


def test_subscribe_and_my_status_claim_their_reply(push, db):
    """Their retries must not run an effect twice: they claim the reply in the store."""
    subscribe, status_click = event_message("subscribe", CreateTime="1700000004"), \
        event_message("CLICK", "MY_STATUS", CreateTime="1700000005")
    assert push(subscribe).data == push(subscribe).data
    assert push(status_click).data == push(status_click).data
    assert kv.get(dedup_key(parse_xml(subscribe.encode()))) and kv.get(dedup_key(parse_xml(status_click.encode())))


def test_distinct_events_in_the_same_second_are_not_merged(push, db):
    push(event_message("VIEW", "https://example.test/a", CreateTime="1700000002"))
    push(event_message("VIEW", "https://example.test/b", CreateTime="1700000002"))
    wait_for(lambda: db.session.scalar(select(func.count(WeChatEvent.id))) == 2)


def test_subscribe_welcomes_and_records_the_qr_scene(push, db):
    reply = reply_of(push(event_message("subscribe", "qrscene_hospital42")))
    assert "欢迎关注定考通" in reply["Content"] and "定考入口" in reply["Content"]
    user = wait_for(lambda: db.session.scalar(select(WeChatUser).where(WeChatUser.openid == OPENID)))
    assert user.subscribed and user.subscribe_scene == "hospital42"


def test_unsubscribe_marks_the_follower(push, db):
    push(event_message("subscribe", CreateTime="1700000010"))
    wait_for(lambda: db.session.scalar(select(WeChatUser.subscribed).where(WeChatUser.openid == OPENID)))
    assert push(event_message("unsubscribe", CreateTime="1700000011")).data == b"success"

    def unsubscribed():
        db.session.remove()
        return db.session.scalar(select(WeChatUser.subscribed).where(WeChatUser.openid == OPENID)) is False
    wait_for(unsubscribed)


def test_template_job_finish_updates_the_notification(push, db):
    db.session.add(Notification(idempotency_key="k1", channel="template", openid=OPENID, msgid="200163836",
                                status="sent"))
    db.session.commit()
    xml = event_message("TEMPLATESENDJOBFINISH", MsgID="200163836", Status="failed:user block")
    assert push(xml).data == b"success"

    def delivered():
        db.session.remove()
        return db.session.scalar(select(Notification.delivery_status).where(Notification.msgid == "200163836"))
    assert wait_for(delivered) == "failed:user block"


def test_subscribe_msg_popup_event_is_recorded(push, db):
    xml = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1700000020</CreateTime>"
           "<MsgType>event</MsgType><Event>subscribe_msg_popup_event</Event><SubscribeMsgPopupEvent><List>"
           "<TemplateId>tpl1</TemplateId><SubscribeStatusString>accept</SubscribeStatusString><PopupScene>1</PopupScene>"
           "</List></SubscribeMsgPopupEvent></xml>")
    assert push(xml).data == b"success"
    event = wait_for(lambda: db.session.scalar(select(WeChatEvent)))
    assert event.event == "subscribe_msg_popup_event"
    assert event.detail["SubscribeMsgPopupEvent"]["List"]["SubscribeStatusString"] == "accept"


def test_my_status_for_a_bound_physician(push, db):
    seed_demo()
    physician = db.session.scalar(select(Physician).order_by(Physician.id).offset(1))  # serial 2: pending review
    db.session.add(WeChatUser(openid=OPENID, physician_id=physician.id, subscribed=True))
    db.session.commit()
    content = reply_of(push(event_message("CLICK", "MY_STATUS")))["Content"]
    assert physician.name in content
    assert "考核周期：2023年01月 ~ 2025年12月" in content
    assert "当前任务：已报名-待医疗卫生机构审核" in content


def test_my_status_for_an_unbound_user_says_how_to_bind(push, db):
    assert "还没有绑定" in reply_of(push(event_message("CLICK", "MY_STATUS")))["Content"]


def test_faq_and_support_clicks(push, db):
    seed_demo()
    assert "1. 证件号码和初始密码" in reply_of(push(event_message("CLICK", "FAQ", CreateTime="1")))["Content"]
    assert "400-0555-699" in reply_of(push(event_message("CLICK", "SUPPORT", CreateTime="2")))["Content"]


@pytest.mark.parametrize("xml", [
    message_xml(MsgType="image", PicUrl="http://x/y.jpg", MsgId="55"),
    message_xml(MsgType="location", MsgId="56"),
    event_message("LOCATION"),
    event_message("CLICK", "NO_SUCH_KEY"),
    message_xml(MsgType="something_new", MsgId="57"),
])
def test_unknown_types_get_success(push, xml):
    response = push(xml)
    assert response.status_code == 200 and response.data == b"success"


@pytest.mark.parametrize("body,status_code", [
    (b"", 400),
    (b"<xml><MsgType>text", 400),
    (b"<xml><Content>no sender</Content></xml>", 400),
    (b"<xml><FromUserName><a>nested</a></FromUserName><MsgType>text</MsgType></xml>", 400),
    (b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><FromUserName>&x;</FromUserName>'
     b"<MsgType>text</MsgType></xml>", 400),
    (b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><FromUserName>&c;</FromUserName></xml>', 400),
    ("<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>中文</Content></xml>".encode("gbk"), 400),
    (b"<xml>" + b"<Content>" + b"a" * (1024 * 1024) + b"</Content></xml>", 413),
])
def test_hostile_or_malformed_bodies_get_a_4xx(push, body, status_code):
    assert push(body).status_code == status_code


def test_reply_is_well_formed_whatever_the_faq_contains(push, db):
    from wechat_app.models import Faq

    db.session.add(Faq(question="奇怪]]>问题", answer="答案 ]]> <b>&amp; \x07", keywords="奇怪"))
    db.session.commit()
    reply = reply_of(push(text_message("奇怪")))
    assert reply["Content"].startswith("奇怪]]>问题\n答案 ]]> <b>&amp; ")


def test_safe_mode_decrypts_and_encrypts_the_reply(make_app, db):
    app = make_app(WECHAT_ENCODING_AES_KEY=AES_KEY)
    from tests.helpers import Pusher

    with app.app_context():
        seed_demo()
    push = Pusher(app, app.test_client())
    response, envelope = push.encrypted(text_message("科室"))
    outer = reply_of(response)
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    from wechat_app.wechat.protocol import parse_xml
    inner = parse_xml(envelope.open(outer, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]))
    assert inner["Content"].startswith("填报时无法选择科室怎么办？")


def test_compatible_mode_uses_the_encrypted_copy(make_app):
    app = make_app(WECHAT_ENCODING_AES_KEY=AES_KEY)
    from tests.helpers import Pusher

    response, _ = Pusher(app, app.test_client()).encrypted(text_message("人工客服"), compatible=True)
    assert "Encrypt" in reply_of(response)


def test_safe_mode_with_a_wrong_msg_signature_is_refused(make_app):
    app = make_app(WECHAT_ENCODING_AES_KEY=AES_KEY)
    from tests.helpers import Pusher

    push = Pusher(app, app.test_client())
    body = b"<xml><ToUserName>gh</ToUserName><Encrypt>AAAA</Encrypt></xml>"
    assert push(body, encrypt_type="aes", msg_signature="0" * 40).status_code == 403
    token = app.config["WECHAT_TOKEN"]
    signed = sha1_signature(token, "1700000000", "12345", "!!notbase64!!")
    body = b"<xml><ToUserName>gh</ToUserName><Encrypt>!!notbase64!!</Encrypt></xml>"
    assert push(body, encrypt_type="aes", msg_signature=signed).status_code == 400


def test_encrypted_push_without_a_configured_key_is_refused(push):
    assert push(b"<xml><Encrypt>AAAA</Encrypt></xml>", encrypt_type="aes", msg_signature="0" * 40).status_code == 400


def test_a_failing_handler_answers_success_and_lets_the_retry_try_again(push, monkeypatch):
    from wechat_app.wechat import router

    calls = []

    def broken(msg, ctx):
        calls.append(1)
        raise RuntimeError("database down")
    monkeypatch.setitem(router.ROUTES, ("text", "", ""), router.Handler(broken))
    assert push(text_message("x", msg_id="900")).data == b"success"
    assert push(text_message("x", msg_id="900")).data == b"success"
    assert len(calls) == 2  # nothing was claimed, so the retry ran the handler again


def test_a_slow_database_answers_success_in_budget_and_sends_the_answer_later(make_app, monkeypatch):
    app = make_app(WECHAT_REPLY_BUDGET=0.2)
    from tests.helpers import Pusher

    original = status.status_text

    def slow(openid, entry_url):
        time.sleep(0.6)
        return original(openid, entry_url)
    monkeypatch.setattr(status, "status_text", slow)
    push = Pusher(app, app.test_client())
    click = event_message("CLICK", "MY_STATUS", CreateTime="1700000030")
    response = push(click)
    assert response.data == b"success"  # the handler's text reply would come only if it finished in budget
    with app.app_context():
        def queued():
            _db.session.remove()
            return _db.session.scalar(select(Notification).where(Notification.channel == "custom_text"))
        notice = wait_for(queued)
        assert notice.openid == OPENID and "还没有绑定" in notice.data["content"]
    # The retry of the same click finds the claimed answer and queues nothing more.
    assert push(click).data == b"success"
    finish_background()  # whatever the retry started has finished
    with app.app_context():
        assert _db.session.scalar(select(func.count(Notification.id))) == 1

"""The simulator's chat screen and its push endpoint, plain and in safe mode."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from config import TEMPLATE_KEYS
from wechat_app.domain import notifications
from wechat_app.domain.demo import seed_demo
from wechat_app.models import Physician


def test_chat_screen_shows_the_menu(client):
    page = client.get("/_sim").get_data(as_text=True)
    for name in ("医师定考", "定考入口", "我的状态", "常见问题", "在线客服", "操作手册"):
        assert name in page


def test_push_a_click_and_read_the_reply(client, db):
    seed_demo()
    openid = client.post("/_sim/users", json={}).get_json()["openid"]
    reply = client.post("/_sim/send", json={"openid": openid, "kind": "click", "key": "FAQ"}).get_json()
    assert reply["status"] == 200 and reply["reply"]["type"] == "text" and "常见问题" in reply["reply"]["content"]


def test_push_in_safe_mode(make_app):
    app = make_app(WECHAT_ENCODING_AES_KEY="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    client = app.test_client()
    reply = client.post("/_sim/send", json={"openid": "oSIMx", "kind": "text", "content": "人工客服"}).get_json()
    assert reply["reply"] == {"type": "transfer"}


def test_bad_pushes_are_refused(client):
    assert client.post("/_sim/send", json={"kind": "text"}).status_code == 400
    assert client.post("/_sim/send", json={"openid": "o", "kind": "dance"}).status_code == 400


def test_messages_lists_what_the_fake_api_delivered(client, fake_wechat):
    fake_wechat.sent.append({"kind": "custom", "touser": "oA", "content": "hi"})
    assert client.get("/_sim/messages?openid=oA").get_json()["messages"][0]["content"] == "hi"
    assert client.get("/_sim/messages?openid=oB").get_json()["messages"] == []


def test_sms_panel_lists_what_the_simulator_provider_sent(client, fake_wechat):
    fake_wechat.sms.append({"phone": "13800000000", "text": "【定考通】您的验证码为123456"})
    assert client.get("/_sim/sms").get_json()["messages"][-1]["text"].endswith("123456")
    assert "短信（模拟" in client.get("/_sim").get_data(as_text=True)


def test_a_template_message_shows_its_title_and_labels(app, client, fake_wechat):
    template_id = app.config["WECHAT_TEMPLATE_REGISTRATION_REJECTED"]
    fake_wechat.sent.append({"kind": "template", "touser": "oA", "template_id": template_id, "data": {
        "thing1": {"value": "医疗卫生机构驳回"}, "thing2": {"value": "照片不清晰"}, "time3": {"value": "2026年05月01日"}}})
    shown = client.get("/_sim/messages?openid=oA").get_json()["messages"][0]
    assert shown["title"] == "报名审核驳回通知"
    assert shown["lines"] == [{"label": "驳回方", "value": "医疗卫生机构驳回"}, {"label": "驳回原因", "value": "照片不清晰"},
                              {"label": "重新提交截止", "value": "2026年05月01日"}]


def test_every_notice_has_its_template_and_a_field_it_lacks_is_refused(app, db):
    assert set(TEMPLATE_KEYS) == set(notifications.TEMPLATES)
    seed_demo()
    physician = db.session.scalars(select(Physician)).first()
    with pytest.raises(notifications.TemplateFieldError, match="no field thing9"):
        notifications.queue_template(physician, "exam_notice", {"thing9": "x"}, "/m/", "k")


def test_the_demo_accounts_panel_lists_physicians_per_state_and_the_console_accounts(client, db):
    seed_demo()
    page = client.get("/_sim").get_data(as_text=True)
    assert "演示账号" in page and "报名完成-等待测评" in page and "已开通报名" in page
    physician = db.session.scalars(select(Physician).where(Physician.id_type == "身份证").order_by(Physician.id)).first()
    assert physician.id_number_18 in page and "666666" in page
    assert "kaohe" in page and "Dkt@2026demo" in page


def test_the_fake_api_refuses_a_truncated_send_as_wechat_does(client, fake_wechat):
    """A sender killed while writing its request leaves half a body: 47001, and nothing delivered
    (the chaos campaign counted two such halves as one message delivered twice)."""
    token = fake_wechat.current_token()
    for body in (b'{"touser": "oA", "template_id": "t", "da', b"", b'{"template_id": "t"}', b'["oA"]'):
        for path in ("template/send", "custom/send"):
            answer = client.post(f"/_sim/api/cgi-bin/message/{path}?access_token={token}", data=body,
                                 content_type="application/json").get_json()
            assert answer["errcode"] == 47001, (path, body)
    assert fake_wechat.sent == []
    stats = client.get("/_sim/api/_stats").get_json()
    assert stats["templates"] == stats["distinct"] == 0 and stats["twice"] == []

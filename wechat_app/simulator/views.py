"""The simulator's chat screen at /_sim: pick a test user, tap the menu, type, read replies.

Every tap becomes the XML WeChat would push, signed (and encrypted in safe mode) with this app's
token and key, and goes through the real `/wechat` callback; the reply comes back as a bubble.
"""
from __future__ import annotations

import secrets
import string
import time

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select

from wechat_app.domain.demo import DEMO_STAFF_PASSWORD
from wechat_app.domain.notifications import TEMPLATES
from wechat_app.domain.registration import label
from wechat_app.extensions import db
from wechat_app.models import Physician, Registration, Staff, WeChatUser
from wechat_app.models.enums import Role
from wechat_app.simulator.fake_api import fake
from wechat_app.wechat.menu import build_menu
from wechat_app.wechat.protocol import Envelope, cdata, parse_xml, sha1_signature

bp = Blueprint("simulator", __name__, url_prefix="/_sim")

GH_ID = "gh_dingkaotong01"
ALPHABET = string.ascii_letters + string.digits


def new_openid() -> str:
    return "oSIM" + "".join(secrets.choice(ALPHABET) for _ in range(24))


def known_users() -> list[dict]:
    users = dict(fake().users)
    for row in db.session.scalars(select(WeChatUser).order_by(WeChatUser.id).limit(50)):
        users.setdefault(row.openid, row.physician.name if row.physician else "")
    return [{"openid": openid, "nickname": nickname} for openid, nickname in users.items()]


def demo_accounts() -> tuple[list[dict], list[dict]]:
    """演示账号 (development only, like the whole simulator): a few demo physicians per state, with
    the ID number they sign in with, and the console accounts."""
    physicians, per_state = [], {}
    rows = db.session.execute(select(Physician, Registration).outerjoin(Registration, Registration.physician_id == Physician.id)
                              .order_by(Physician.id).limit(200)).all()
    for physician, registration in rows:
        state = label(registration.status if registration else None)
        if per_state.setdefault(state, 0) >= 3 or physician.id_type != "身份证":
            continue
        per_state[state] += 1
        physicians.append({"name": physician.name, "id_number": physician.id_number_18 or physician.id_number,
                           "password": "666666" if physician.must_change_password else "（已修改）", "state": state,
                           "institution": physician.institution.name if physician.institution else ""})
    staff = [{"username": s.username, "role": Role(s.role).label, "name": s.name}
             for s in db.session.scalars(select(Staff).order_by(Staff.id).limit(20))]
    return physicians, staff


@bp.get("")
@bp.get("/")
def chat():
    physicians, staff = demo_accounts()
    return render_template("simulator/chat.html", menu=build_menu(current_app.config["PUBLIC_BASE_URL"]),
                           users=known_users(), demo_physicians=physicians, demo_staff=staff,
                           staff_password=DEMO_STAFF_PASSWORD)


@bp.post("/users")
def create_user():
    body = request.get_json(silent=True) or {}
    openid = new_openid()
    fake().users[openid] = str(body.get("nickname") or "测试用户")[:20]
    return jsonify(openid=openid, nickname=fake().users[openid])


def push_xml(openid: str, body: dict) -> str:
    fields = {"ToUserName": GH_ID, "FromUserName": openid, "CreateTime": str(int(time.time()))}
    kind = body.get("kind")
    if kind == "text":
        fields |= {"MsgType": "text", "Content": str(body.get("content", ""))[:2000],
                   "MsgId": str(secrets.randbits(63))}
    elif kind in ("subscribe", "unsubscribe"):
        fields |= {"MsgType": "event", "Event": kind, "EventKey": str(body.get("key", ""))}
    elif kind in ("click", "view"):
        fields |= {"MsgType": "event", "Event": kind.upper(), "EventKey": str(body.get("key", ""))}
    else:
        raise ValueError("kind must be text, subscribe, unsubscribe, click or view")
    inner = "".join(f"<{k}>{v if k == 'CreateTime' else cdata(v)}</{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


@bp.post("/send")
def send():
    """Push one message or event to /wechat as WeChat would, and return the reply as JSON."""
    body = request.get_json(silent=True) or {}
    openid = str(body.get("openid") or "")
    if not openid:
        return jsonify(error="请先选择测试用户"), 400
    try:
        xml = push_xml(openid, body)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    cfg = current_app.config
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
    query = {"signature": sha1_signature(cfg["WECHAT_TOKEN"], timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": openid}
    envelope = None
    if cfg.get("WECHAT_ENCODING_AES_KEY"):
        envelope = Envelope(cfg["WECHAT_TOKEN"], cfg["WECHAT_ENCODING_AES_KEY"], cfg["WECHAT_APP_ID"])
        sealed = parse_xml(envelope.seal(xml, nonce, timestamp).encode())
        query |= {"encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        xml = f"<xml><ToUserName>{cdata(GH_ID)}</ToUserName><Encrypt>{cdata(sealed['Encrypt'])}</Encrypt></xml>"
    response = current_app.test_client().post("/wechat", query_string=query, data=xml.encode(),
                                               content_type="text/xml")
    return jsonify(status=response.status_code, reply=describe(response.get_data(as_text=True), envelope))


def describe(reply: str, envelope: Envelope | None) -> dict:
    if not reply or reply == "success":
        return {"type": "none"}
    message = parse_xml(reply.encode())
    if envelope is not None:
        message = parse_xml(envelope.open(message, message["MsgSignature"], message["TimeStamp"], message["Nonce"]))
    if message.get("MsgType") == "transfer_customer_service":
        return {"type": "transfer"}
    return {"type": message.get("MsgType"), "content": message.get("Content", "")}


@bp.get("/messages")
def messages():
    """Template and customer-service messages the fake API has delivered to this user."""
    openid = request.args.get("openid", "")
    return jsonify(messages=[as_shown(m) for m in fake().sent if m.get("touser") == openid])


def as_shown(message: dict) -> dict:
    """A template message as WeChat shows it: the template's title, each field's label and value."""
    if message.get("kind") != "template":
        return message
    keys = {current_app.config.get(f"WECHAT_TEMPLATE_{key.upper()}"): key for key in TEMPLATES}
    title, labels = TEMPLATES.get(keys.get(message.get("template_id"), ""), ("模板消息", {}))
    lines = [{"label": labels.get(name, name), "value": (value or {}).get("value", "")}
             for name, value in (message.get("data") or {}).items()]
    return {**message, "title": title, "lines": lines}


@bp.get("/sms")
def sms():
    """Text messages the simulator SMS provider "sent" (development: verification codes), newest last."""
    return jsonify(messages=fake().sms[-20:])

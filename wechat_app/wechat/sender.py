"""Delivers outbox rows through the WeChat API: customer-service texts and template messages.

Retried with backoff: -1 (系统繁忙), 45009 (quota), timeouts and HTTP errors. Not retried: 43004
(the user does not follow us) and 40003 (not our openid): recorded as undeliverable.
"""
from __future__ import annotations

import hashlib
import logging

import requests
from flask import current_app
from wechatpy.exceptions import WeChatClientException

from wechat_app.domain import outbox
from wechat_app.extensions import wechat
from wechat_app.models import Notification

log = logging.getLogger("wechat.sender")

PERMANENT = {43004: "未关注公众号", 40003: "openid无效", 40037: "模板未配置或无效"}


def send_one(notice: Notification) -> str:
    """Send one claimed row and record the result; returns the new status."""
    if not notice.openid:
        outbox.mark_undeliverable(notice.id, "未绑定微信")
        return "undeliverable"
    try:
        msgid = deliver(notice)
    except WeChatClientException as exc:
        if exc.errcode in PERMANENT:
            outbox.mark_undeliverable(notice.id, f"{exc.errcode} {PERMANENT[exc.errcode]}")
            return "undeliverable"
        outbox.mark_retry(notice.id, notice.attempts, f"errcode {exc.errcode}")
        return "retry"
    except requests.RequestException as exc:
        outbox.mark_retry(notice.id, notice.attempts, type(exc).__name__)
        return "retry"
    outbox.mark_sent(notice.id, msgid)
    return "sent"


def deliver(notice: Notification) -> str | None:
    client = wechat.client
    if notice.channel == "custom_text":
        client.message.send_text(notice.openid, notice.data["content"])
        return None
    template_id = current_app.config.get(f"WECHAT_TEMPLATE_{notice.template_key}".upper())
    if not template_id:
        raise WeChatClientException(40037, "template id not configured")
    # WeChat keeps one message per openid + client_msg_id for 10 minutes: a resend after a lost
    # answer does not reach the physician twice.
    client_msg_id = hashlib.sha1(notice.idempotency_key.encode()).hexdigest()[:32]
    result = client.post("message/template/send", data={
        "touser": notice.openid, "template_id": template_id, "url": notice.url,
        "data": {k: {"value": v} for k, v in notice.data.items()}, "client_msg_id": client_msg_id,
    })
    return str(result.get("msgid")) if result.get("msgid") is not None else None

"""Delivers outbox rows through the WeChat API: customer-service texts and template messages.

Retried with backoff: -1 (系统繁忙), timeouts and HTTP errors. 45009 (the daily quota) pauses template
sends until midnight (domain/outbox.py) without counting as an attempt. Not retried: 43004
(the user does not follow us) and 40003 (not our openid): recorded as undeliverable.
"""
from __future__ import annotations

import hashlib
import logging

import requests
from flask import current_app
from wechatpy.exceptions import WeChatClientException

from wechat_app.domain.outbox import Claimed, Result
from wechat_app.wechat.client import wechat

log = logging.getLogger("wechat.sender")

QUOTA_EXCEEDED = 45009  # the account's daily template quota (domain/outbox.py pauses templates)
# Errors that no retry can mend: the row is closed at once. The last three are the account's
# configuration, not the physician's (a template id or field that WeChat refuses, an API the account
# may not call): the console shows them as an alert (domain/outbox.py CONFIGURATION_ERRORS).
PERMANENT = {43004: "未关注公众号", 40003: "openid无效", 40037: "模板未配置或无效", 47003: "模板参数不正确",
             48001: "接口未授权"}


def attempt(notice: Claimed) -> Result:
    """Send one claimed row; the result is recorded by the caller with its batch."""
    if not notice.openid:
        return Result(notice.id, "undeliverable", notice.attempts, error="未绑定微信")
    try:
        msgid = deliver(notice)
    except WeChatClientException as exc:
        if exc.errcode == QUOTA_EXCEEDED:
            return Result(notice.id, "quota", notice.attempts, error="45009")
        if exc.errcode in PERMANENT:
            return Result(notice.id, "undeliverable", notice.attempts, error=f"{exc.errcode} {PERMANENT[exc.errcode]}")
        return Result(notice.id, "retry", notice.attempts, error=f"errcode {exc.errcode}")
    except requests.RequestException as exc:
        return Result(notice.id, "retry", notice.attempts, error=type(exc).__name__)
    return Result(notice.id, "sent", notice.attempts, msgid=msgid)


def deliver(notice: Claimed) -> str | None:
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

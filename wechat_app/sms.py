"""SMS providers. The outbox worker calls `deliver(notice)`; nothing sends SMS inside a request.

Development and tests use the simulator provider: the text is shown in the simulator (/_sim) and
written to the log with the phone masked. A real provider is a class with
`send(phone: str, text: str) -> None` that raises `SmsError` (transient=True to be retried);
name it in SMS_PROVIDER as "package.module:ClassName"; it is built with the app's config.
"""
from __future__ import annotations

import importlib
import logging

from flask import current_app

from wechat_app.domain.outbox import Claimed, Result
from wechat_app.domain.idnumbers import mask_phone

log = logging.getLogger("wechat_app.sms")


class SmsError(Exception):
    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class SimulatorSms:
    """Development: the message appears in the simulator's SMS panel and in the log."""

    def __init__(self, config) -> None:
        self.config = config

    def send(self, phone: str, text: str) -> None:
        from wechat_app.simulator.fake_api import fake

        fake().sms.append({"phone": phone, "text": text})
        log.info("SMS to %s: %s", mask_phone(phone), text)


def provider():
    name = current_app.config.get("SMS_PROVIDER") or "simulator"
    if name == "simulator":
        return SimulatorSms(current_app.config)
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)(current_app.config)


def attempt(notice: Claimed) -> Result:
    """Send one claimed SMS row; once sent, the text (it holds a code) is not kept."""
    try:
        provider().send(notice.data["phone"], notice.data["text"])
    except SmsError as exc:
        return Result(notice.id, "retry" if exc.transient else "undeliverable", notice.attempts, error=str(exc))
    return Result(notice.id, "sent", notice.attempts, redacted_data={"masked": notice.data.get("masked")})

"""SMS providers. The outbox worker calls `deliver(notice)`; nothing sends SMS inside a request.

Development and tests use the simulator provider: the text is shown in the simulator's SMS panel
(/_sim); the log says only that an SMS went to a masked phone. The outbox row holds the phone sealed
and a code only by reference (domain/verification.py): the code is read from the store here, at
the moment of sending, and a code that expired or was used is not sent at all. A real provider is a class with
`send(phone: str, text: str) -> None` that raises `SmsError` (transient=True to be retried);
name it in SMS_PROVIDER as "package.module:ClassName"; it is built with the app's config.
"""
from __future__ import annotations

import importlib
import logging

from flask import current_app

from wechat_app import pii
from wechat_app.domain.idnumbers import mask_phone
from wechat_app.domain.notifications import SMS_PHONE
from wechat_app.domain.outbox import Claimed, Result
from wechat_app.domain.verification import code_for_delivery

log = logging.getLogger("wechat_app.sms")


class SmsError(Exception):
    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class SimulatorSms:
    """Development: the message appears in the simulator's SMS panel; never the text in the log."""

    def __init__(self, config) -> None:
        self.config = config

    def send(self, phone: str, text: str) -> None:
        # Imported here, not at the top: production never loads the simulator's code.
        from wechat_app.simulator.fake_api import fake

        fake().sms.append({"phone": phone, "text": text})
        log.info("SMS to %s (%d characters)", mask_phone(phone), len(text))


def provider():
    name = current_app.config.get("SMS_PROVIDER") or "simulator"
    if name == "simulator":
        return SimulatorSms(current_app.config)
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)(current_app.config)


def attempt(notice: Claimed) -> Result:
    """Send one claimed SMS row; once sent, only the masked phone is kept."""
    text = notice.data["text"]
    if notice.data.get("code_ref"):
        code = code_for_delivery(notice.data["code_ref"])
        if code is None:
            return Result(notice.id, "undeliverable", notice.attempts, error="验证码已失效，未发送",
                          redacted_data={"masked": notice.data.get("masked")})
        text = text.format(code=code)
    try:
        provider().send(pii.unseal(notice.data["phone_sealed"], SMS_PHONE), text)
    except SmsError as exc:
        return Result(notice.id, "retry" if exc.transient else "undeliverable", notice.attempts, error=str(exc))
    return Result(notice.id, "sent", notice.attempts, redacted_data={"masked": notice.data.get("masked")})

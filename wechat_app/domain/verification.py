"""Image captchas and SMS codes, kept server-side in the key-value store.

Captcha: 4 characters without look-alikes, 5-minute life, single use (taken on the first check,
right or wrong, so each guess costs a new image). SMS code: 6 digits, 5-minute life, at most one
send per phone and purpose every 60 s, void after 5 wrong tries. The SMS itself is an outbox row.
"""
from __future__ import annotations

import hmac
import json
import secrets

from captcha.image import ImageCaptcha

from wechat_app.domain.idnumbers import mask_phone
from wechat_app.extensions import db, kv
from wechat_app.models import Notification

CAPTCHA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CAPTCHA_TTL = 300
SMS_TTL = 300
SMS_INTERVAL = 60
SMS_MAX_TRIES = 5

_image = ImageCaptcha(width=120, height=44, font_sizes=(30, 34, 38))


def new_captcha() -> tuple[str, str]:
    """(captcha id, answer); the answer is stored, the id goes to the browser's session."""
    captcha_id = secrets.token_urlsafe(12)
    answer = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(4))
    kv.set(f"captcha:{captcha_id}", answer, CAPTCHA_TTL)
    return captcha_id, answer


def captcha_png(captcha_id: str) -> bytes | None:
    answer = kv.get(f"captcha:{captcha_id}")
    return _image.generate(answer, format="png").getvalue() if answer else None


def check_captcha(captcha_id: str | None, typed: str) -> bool:
    if not captcha_id:
        return False
    answer = kv.take(f"captcha:{captcha_id}")
    return bool(answer) and hmac.compare_digest(answer, (typed or "").strip().upper())


def is_mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.isdigit() and phone.startswith("1")


def send_sms_code(phone: str, purpose: str) -> str | None:
    """Queue a code for `phone`; None when queued, else the reason in Chinese."""
    if not is_mobile(phone):
        return "请输入正确的11位手机号码。"
    if kv.claim(f"sms:interval:{purpose}:{phone}", "1", SMS_INTERVAL) is not None:
        return "验证码发送过于频繁，请60秒后再试。"
    code = f"{secrets.randbelow(10**6):06d}"
    kv.set(f"sms:code:{purpose}:{phone}", json.dumps({"code": code}), SMS_TTL)
    kv.delete(f"sms:tries:{purpose}:{phone}")
    db.session.add(Notification(
        idempotency_key=f"sms:{purpose}:{phone}:{secrets.token_hex(8)}", channel="sms",
        data={"phone": phone, "text": f"【定考通】您的验证码为{code}，5分钟内有效。如非本人操作，请忽略。",
              "masked": mask_phone(phone)}))
    db.session.commit()
    return None


def check_sms_code(phone: str, purpose: str, typed: str) -> str | None:
    """None when the code is right (and it is used up); else the reason in Chinese."""
    stored = kv.get(f"sms:code:{purpose}:{phone}")
    if stored is None:
        return "验证码已失效，请重新获取。"
    if hmac.compare_digest(json.loads(stored)["code"], (typed or "").strip()):
        kv.delete(f"sms:code:{purpose}:{phone}")
        return None
    if kv.incr(f"sms:tries:{purpose}:{phone}", SMS_TTL) >= SMS_MAX_TRIES:
        kv.delete(f"sms:code:{purpose}:{phone}")
        return "验证码错误次数过多，已失效，请重新获取。"
    return "验证码不正确。"

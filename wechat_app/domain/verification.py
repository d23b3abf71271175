"""Image captchas and SMS codes, kept server-side in the key-value store.

Captcha: 4 characters without look-alikes, 5-minute life, single use (taken on the first check,
right or wrong, so each guess costs a new image). SMS code: 6 digits, 5-minute life, at most one
send per phone and purpose every 60 s, at most SMS_DAILY sends a day to one number and for one
account, void after 5 wrong tries. The SMS itself is an outbox row that holds the phone sealed and
no code: the worker reads the code from the store when it sends. Store keys name a phone by its
blind index, never by its digits.
"""
from __future__ import annotations

import hmac
import json
import secrets

from captcha.image import ImageCaptcha

from wechat_app import clock, pii
from wechat_app.domain.errors import DomainError
from wechat_app.domain.notifications import queue_sms
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import kv

CAPTCHA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CAPTCHA_TTL = 300
SMS_TTL = 300
SMS_INTERVAL = 60
SMS_MAX_TRIES = 5
SMS_DAILY = 10  # per number and per account: a signed-in account cannot flood a stranger's phone
CODE_TEXT = "【定考通】您的验证码为{code}，5分钟内有效。如非本人操作，请忽略。"

_image = ImageCaptcha(width=160, height=60, font_sizes=(40, 46, 52))  # large enough for older eyes


def new_captcha(fixed: str = "") -> tuple[str, str]:
    """(captcha id, answer); the answer is stored, the id goes to the browser's session. `fixed`
    is the development setting CAPTCHA_FIXED_ANSWER (production refuses to start with it)."""
    captcha_id = secrets.token_urlsafe(12)
    answer = fixed.upper() or "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(4))
    kv.set(f"captcha:{captcha_id}", answer, CAPTCHA_TTL)
    return captcha_id, answer


def captcha_png(captcha_id: str) -> bytes | None:
    answer = kv.get(f"captcha:{captcha_id}")
    return _image.generate(answer, format="png").getvalue() if answer else None


def check_captcha(captcha_id: str | None, typed: str) -> bool:
    if not captcha_id:
        return False
    answer = kv.take(f"captcha:{captcha_id}")
    return bool(answer) and hmac.compare_digest(answer.encode(), (typed or "").strip().upper().encode())


def is_mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.isdigit() and phone.startswith("1")


def phone_ref(phone: str) -> str:
    return pii.blind_indexes(phone, "sms.phone")[0][:32]


def code_key(phone: str, purpose: str) -> str:
    return f"sms:code:{purpose}:{phone_ref(phone)}"


@use_case()
def send_sms_code(phone: str, purpose: str, account: str) -> None:
    """Queue a code for `phone` on behalf of `account` (e.g. "physician:12"), or DomainError."""
    if not is_mobile(phone):
        raise DomainError("请输入正确的11位手机号码。")
    ref = phone_ref(phone)
    if kv.claim(f"sms:interval:{purpose}:{ref}", "1", SMS_INTERVAL) is not None:
        raise DomainError("验证码发送过于频繁，请60秒后再试。", status=429)
    day = clock.today().isoformat()
    for counter in (f"sms:day:{day}:number:{ref}", f"sms:day:{day}:account:{account}"):
        if kv.incr(counter, 86400) > SMS_DAILY:
            raise DomainError(f"今日验证码发送次数已达上限（{SMS_DAILY}次），请明天再试或联系您所在机构。", status=429)
    code = f"{secrets.randbelow(10**6):06d}"
    key = code_key(phone, purpose)
    kv.set(key, json.dumps({"code": code}), SMS_TTL)
    kv.delete(f"sms:tries:{purpose}:{ref}")
    queue_sms(phone, CODE_TEXT, f"sms:{purpose}:{ref}:{secrets.token_hex(8)}", code_ref=key)


def code_for_delivery(code_ref: str) -> str | None:
    """The worker's read of a code still waiting to be used (None: expired or used, do not send)."""
    stored = kv.get(code_ref) if code_ref.startswith("sms:code:") else None
    return json.loads(stored)["code"] if stored else None


def check_sms_code(phone: str, purpose: str, typed: str) -> str | None:
    """None when the code is right (and it is used up); else the reason in Chinese."""
    key = code_key(phone, purpose)
    stored = kv.get(key)
    if stored is None:
        return "验证码已失效，请重新获取。"
    if hmac.compare_digest(json.loads(stored)["code"].encode(), (typed or "").strip().encode()):
        kv.delete(key)
        return None
    if kv.incr(f"sms:tries:{purpose}:{phone_ref(phone)}", SMS_TTL) >= SMS_MAX_TRIES:
        kv.delete(key)
        return "验证码错误次数过多，已失效，请重新获取。"
    return "验证码不正确。"

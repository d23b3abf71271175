"""Notices to physicians, written to the outbox in the transaction of the change that causes them.

Template messages follow WeChat's category templates (since 2023-05-04: no first/remark, one line
per field, and per-type limits; a value over its limit is refused with 47003). A field's type is
the alphabetic prefix of its name (thing1, time2, phrase3, ...), so the limits are checked here,
before anything is sent: `thing` values are shortened to 20 characters, the others must fit.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from flask import current_app
from sqlalchemy import func, insert, select

from wechat_app import clock, pii
from wechat_app.domain.idnumbers import mask_phone
from wechat_app.extensions import db
from wechat_app.links import oauth_entry
from wechat_app.models import Notification, Physician, Province, WeChatUser

# The notices, as the template library entries chosen for them in the WeChat admin console: the
# title and each field's label (WeChat shows them; the data carries only the values). The template
# ids come from WECHAT_TEMPLATE_<KEY> (config.py).
TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    "account_notice": ("账号变更通知", {"thing1": "变更内容", "time2": "变更时间", "thing3": "备注"}),
    "registration_rejected": ("报名审核驳回通知", {"thing1": "驳回方", "thing2": "驳回原因", "time3": "重新提交截止"}),
    "registration_approved": ("报名审核通过通知", {"thing1": "审核事项", "phrase2": "当前状态", "thing3": "考核周期"}),
    "exemption_result": ("免考审核结果通知", {"thing1": "审核事项", "phrase2": "审核结果", "thing3": "说明"}),
    "exam_notice": ("考试通知", {"thing1": "考试名称", "time2": "开始时间", "thing3": "截止与次数"}),
    "exam_reminder": ("考试提醒", {"thing1": "考试名称", "time2": "开始时间", "thing3": "提醒事项"}),
    "assessment_result": ("考核结果通知", {"thing1": "考核周期", "phrase2": "考核结果", "thing3": "评定依据"}),
}

LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "symbol": 5, "phone_number": 17,
          "car_number": 8, "name": 20, "phrase": 5, "time": 40, "date": 40, "amount": 12}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


class TemplateFieldError(ValueError):
    pass


def field_type(name: str) -> str:
    match = re.match(r"[a-z_]+?(?=\d*$)", name)
    if match is None:
        raise TemplateFieldError(f"模板字段名不正确：{name}")
    return match.group(0)


def fit(name: str, value: str) -> str:
    """The value as WeChat will accept it for field `name`, or TemplateFieldError."""
    kind = field_type(name)
    text = " ".join(str(value).split())  # no line breaks in a field
    limit = LIMITS.get(kind)
    if limit is None:
        raise TemplateFieldError(f"unknown template field type: {name}")
    if kind == "thing" and len(text) > limit:
        return text[: limit - 1] + "…"
    if kind in ("character_string", "letter", "number") and CHINESE.search(text):
        raise TemplateFieldError(f"{name} cannot hold Chinese characters")
    if kind == "phrase" and not re.fullmatch(r"[\u4e00-\u9fff]{1,5}", text):
        raise TemplateFieldError(f"{name} must be 1-5 Chinese characters")
    if len(text) > limit or not text:
        raise TemplateFieldError(f"{name} must be 1-{limit} characters")
    return text


def entry_link(next_path: str) -> str:
    return oauth_entry(next_path, current_app.config["PUBLIC_BASE_URL"])


# Claimed in this order (0 first): a person waiting on the other side (an SMS code, a customer-service
# reply, a rejection with a resubmission deadline, a change to their account) goes before a fan-out
# (exam notices and reminders, results), whose 100,000 rows must never delay an SMS code.
URGENT, NORMAL = 0, 1
URGENT_TEMPLATES = frozenset({"registration_rejected", "account_notice"})


def priority_of(channel: str, template_key: str | None) -> int:
    """An SMS in a template's place (短信补发) takes its template's lane: a fan-out's SMS must not
    crowd out verification codes any more than its template messages may."""
    if channel == "custom_text" or (channel == "sms" and template_key is None) or template_key in URGENT_TEMPLATES:
        return URGENT
    return NORMAL


CHUNK = 1000  # rows per statement: a fan-out of 100,000 is 200 statements, not 200,000


def outbox_row(idempotency_key: str, channel: str, data: dict, openid: str | None = None,
               physician_id: int | None = None, template_key: str | None = None, url: str | None = None,
               batch: str | None = None) -> dict:
    # Every row has every key, and None is sent as NULL (render_nulls): rows of one shape are one
    # executemany (the ORM would otherwise group rows by the keys that are not None).
    now = clock.now()
    return {"idempotency_key": idempotency_key, "channel": channel, "data": data, "openid": openid,
            "physician_id": physician_id, "template_key": template_key, "url": url, "status": "pending", "batch": batch,
            "attempts": 0, "next_attempt_at": now, "created_at": now, "priority": priority_of(channel, template_key)}


def queue_all(rows: Iterable[dict]) -> Counter[str]:
    """The one way into the outbox: rows (`outbox_row`) in the caller's transaction, at most once per
    idempotency key (a key already queued, in the outbox or earlier in `rows`, is skipped), inserted
    CHUNK at a time — two statements per chunk whatever the count. The worker delivers them.
    Returns how many were new, by channel."""
    db.session.flush()  # rows the caller added through the session are in the outbox before we look
    rows, queued = iter(rows), Counter[str]()
    while chunk := list(islice(rows, CHUNK)):
        keys = [row["idempotency_key"] for row in chunk]
        seen = set(db.session.scalars(select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys))))
        fresh = []
        for row in chunk:
            if row["idempotency_key"] not in seen:
                seen.add(row["idempotency_key"])
                fresh.append(row)
        if fresh:
            db.session.execute(insert(Notification).execution_options(render_nulls=True), fresh)
            queued.update(row["channel"] for row in fresh)
    return queued


@dataclass(frozen=True)
class Addressee:
    """Who a notice goes to: selected in SQL with a fan-out's targets (the bound openid by an outer
    join, the phone for the SMS fallback), or looked up for one physician (`addressee_of`)."""

    physician_id: int
    openid: str | None
    phone: str | None


def addressee_of(physician: Physician, openid: str | None = None) -> Addressee:
    openid = openid or db.session.scalar(select(WeChatUser.openid).where(WeChatUser.physician_id == physician.id))
    return Addressee(physician.id, openid, physician.phone)


def queue_template(physician: Physician, template_key: str, data: dict[str, str], next_path: str,
                   idempotency_key: str, openid: str | None = None) -> Notification:
    """A template message to the openid bound to `physician` (or to `openid`, e.g. the one a binding
    just left): `queue_templates` for one."""
    province_id = physician.institution.province_id if physician.institution else None
    queue_templates(template_key, next_path, [(addressee_of(physician, openid), idempotency_key, data)],
                    sms_fallback=sms_fallback_in(province_id))
    return db.session.scalars(select(Notification).where(Notification.idempotency_key == idempotency_key)).one()


def sms_fallback_in(province_id: int | None) -> bool:
    """Whether the province sends notices by SMS to physicians without a bound WeChat (Province.sms_fallback)."""
    return bool(province_id and db.session.scalar(select(Province.sms_fallback).where(Province.id == province_id)))


def queue_templates(template_key: str, next_path: str, notices: Iterable[tuple[Addressee, str, dict[str, str]]],
                    sms_fallback: bool = False, batch: str | None = None) -> int:
    """Template messages (addressee, idempotency key, fields), each field checked against WeChat's
    limits, as one `batch` (its delivery report). Without an openid a notice is kept as undeliverable
    (the institution sees it), and with `sms_fallback` an SMS goes to the registered phone. Returns how
    many were new."""
    fields = TEMPLATES[template_key][1]
    url = entry_link(next_path)

    def rows():
        for addressee, key, data in notices:
            unknown = set(data) - set(fields)
            if unknown:  # a field the template does not have is refused by WeChat (47003): a programming error
                raise TemplateFieldError(f"{template_key} has no field {', '.join(sorted(unknown))}")
            fitted = {name: fit(name, value) for name, value in data.items()}
            yield outbox_row(key, "template", fitted, template_key=template_key, openid=addressee.openid,
                             physician_id=addressee.physician_id, url=url, batch=batch)
            if addressee.openid is None and addressee.phone and sms_fallback:
                yield sms_row(addressee.phone, "【定考通】" + "，".join(fitted.values()) + "。请登录定考通查看。",
                              f"sms:{key}", addressee.physician_id, batch=batch, in_place_of=template_key)

    return queue_all(rows())["template"]


def queue_custom_text(openid: str, content: str, idempotency_key: str) -> bool:
    """A customer-service text (e.g. the late answer to a slow callback); False if its key was queued before."""
    return bool(queue_all([outbox_row(idempotency_key, "custom_text", {"content": content}, openid=openid)]))


SMS_PHONE = "notifications.phone"


def queue_sms(phone: str, text: str, idempotency_key: str, physician_id: int | None = None,
              code_ref: str | None = None) -> Notification:
    """An SMS. The phone is sealed (wechat_app/pii.py). A verification code is never written here:
    `text` then holds `{code}` and `code_ref` names the store key the worker reads it from when it
    sends (an expired or used code is not sent at all)."""
    queue_all([sms_row(phone, text, idempotency_key, physician_id, code_ref)])
    return db.session.scalars(select(Notification).where(Notification.idempotency_key == idempotency_key)).one()


def sms_row(phone: str, text: str, idempotency_key: str, physician_id: int | None = None,
            code_ref: str | None = None, batch: str | None = None, in_place_of: str | None = None) -> dict:
    """`in_place_of`: the template this SMS stands in for (短信补发), kept as the row's template_key."""
    return outbox_row(idempotency_key, "sms", {"phone_sealed": pii.seal(phone, SMS_PHONE), "masked": mask_phone(phone),
                                               "text": text, "code_ref": code_ref}, physician_id=physician_id, batch=batch,
                      template_key=in_place_of)


@dataclass(frozen=True)
class Reach:
    """Whom a fan-out can reach, as it is queued: by WeChat (a bound openid), by SMS in its place, or
    not at all — what the console says after 发布, instead of counting everyone as notified."""

    total: int
    wechat: int
    sms: int

    @property
    def unreachable(self) -> int:
        return self.total - self.wechat - self.sms

    def summary(self, what: str) -> str:
        text = f"{what}：{self.total}名医师，其中微信{self.wechat}人、短信{self.sms}人"
        if self.unreachable:
            text += f"，{self.unreachable}人未绑定微信且无法发送短信，请医疗卫生机构另行通知"
        return text + "。"


def reach(addressees: Iterable[Addressee], sms_fallback: bool) -> Reach:
    people = list(addressees)
    wechat = sum(1 for a in people if a.openid)
    sms = sum(1 for a in people if not a.openid and a.phone and sms_fallback)
    return Reach(len(people), wechat, sms)


@dataclass(frozen=True)
class DeliveryReport:
    """One fan-out's notices as they stand: WeChat template messages by outcome (undeliverable split
    into 未绑定微信, 未关注公众号 and other reasons), and the SMS sent in their place."""

    total: int = 0
    sent: int = 0
    waiting: int = 0  # pending, sending, or to be retried
    unbound: int = 0
    unfollowed: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # other reasons → count
    sms_sent: int = 0
    sms_waiting: int = 0
    sms_failed: int = 0

    @property
    def reached(self) -> int:
        return self.sent + self.sms_sent


def delivery_report(batch: str) -> DeliveryReport:
    """Counted in SQL, one grouped query (a province's fan-out is 100,000 rows)."""
    counts = Counter[str]()
    failed = Counter[str]()
    for channel, status, error, number in db.session.execute(
            select(Notification.channel, Notification.status, Notification.last_error, func.count(Notification.id))
            .where(Notification.batch == batch).group_by(Notification.channel, Notification.status, Notification.last_error)):
        if channel == "sms":
            counts["sms_" + ("sent" if status == "sent" else "failed" if status in ("undeliverable", "failed")
                             else "waiting")] += number
            continue
        counts["total"] += number
        if status == "sent":
            counts["sent"] += number
        elif status in ("undeliverable", "failed"):
            reason = error or "发送失败"
            if reason == "未绑定微信":
                counts["unbound"] += number
            elif reason.startswith("43004"):
                counts["unfollowed"] += number
            else:
                failed[reason] += number
        else:
            counts["waiting"] += number
    return DeliveryReport(failed=dict(failed), **counts)


def title_of(notice: Notification) -> str:
    """What a notice is, in Chinese: its template's title, or the kind of message."""
    if notice.template_key in TEMPLATES:
        return TEMPLATES[notice.template_key][0] + ("（短信）" if notice.channel == "sms" else "")
    return {"sms": "短信", "custom_text": "客服消息"}.get(notice.channel, "通知")


def delivery_label(notice: Notification | None) -> str:
    """What staff see about a notice."""
    if notice is None:
        return "—"
    if notice.status == "undeliverable":
        if notice.last_error and "43004" in notice.last_error:
            return "未关注公众号"
        return "未绑定微信" if notice.openid is None else f"无法送达（{notice.last_error}）"
    return {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}.get(notice.status, notice.status)

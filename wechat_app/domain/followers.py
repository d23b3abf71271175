"""What the callback records about followers: subscriptions, scenes, events, delivery reports.

Each function is one transaction; the callback runs them after its answer has left, so a slow
database never delays a reply to WeChat.
"""
from __future__ import annotations

from sqlalchemy import select

from wechat_app import clock
from wechat_app.domain.transaction import commit_once, unit_of_work, use_case
from wechat_app.extensions import db
from wechat_app.models import Notification, WeChatEvent, WeChatUser


def follower(openid: str) -> WeChatUser:
    """The row for this openid, created (not yet committed) on first sight."""
    user = db.session.scalar(select(WeChatUser).where(WeChatUser.openid == openid))
    if user is None:
        user = WeChatUser(openid=openid)
        db.session.add(user)
    return user


def choose_province(openid: str, province_id: int) -> None:
    """选择省份, remembered for this openid."""
    with unit_of_work():
        follower(openid).province_id = province_id


@use_case()
def record_subscribe(openid: str, scene: str | None) -> None:
    user = follower(openid)
    user.subscribed = True
    user.subscribed_at = clock.now()
    if scene:
        user.subscribe_scene = scene[:64]


@use_case()
def record_unsubscribe(openid: str) -> None:
    """The binding stays (the physician may follow again); sends will be skipped meanwhile."""
    user = follower(openid)
    user.subscribed = False
    user.unsubscribed_at = clock.now()


def log_event(openid: str, event: str, detail: dict, dedup_key: str) -> bool:
    """One transaction: the event's row, or nothing when a retry of the same push already wrote it
    (the unique de-dup key decides, so the callback needs no claim in Redis for it)."""
    db.session.add(WeChatEvent(openid=openid, event=event[:40], detail=detail, created_at=clock.now(),
                               dedup_key=dedup_key[:200]))
    return commit_once()


@use_case()
def record_template_delivery(msgid: str, status: str) -> bool:
    """TEMPLATESENDJOBFINISH: the asynchronous delivery report of a template message we sent."""
    notice = db.session.scalar(select(Notification).where(Notification.msgid == msgid))
    if notice is None:
        return False
    notice.delivery_status = status[:40]
    return True

"""WeChat followers (one row per openid) and the events worth keeping from the callback."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.physician import Physician


class WeChatUser(Model):
    __tablename__ = "wechat_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(default=False)
    subscribe_scene: Mapped[str | None] = mapped_column(String(64))
    subscribed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    # One openid ↔ one physician: the unique constraint holds the second half.
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("physicians.id"), unique=True)
    bound_at: Mapped[datetime | None]
    physician: Mapped[Physician | None] = relationship()


class WeChatEvent(Model):
    """VIEW clicks, subscribe-message decisions and the like: kept for support and statistics."""

    __tablename__ = "wechat_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The push's de-duplication key (router.dedup_key): WeChat's retry of the push writes no second row.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)

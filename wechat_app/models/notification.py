"""The outbox: everything that leaves the process is a row here, written in the transaction of the
change that caused it and delivered by `flask notify worker`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.enums import DeliveryStatus, check_in

STILL_TO_DELIVER = "status IN ('pending', 'sending')"


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (
        check_in("status", DeliveryStatus),
        # The worker's claim: urgent rows first, then the longest due; only rows still to deliver
        # are in it, so a fan-out's 100,000 sent rows do not slow the claim of the next SMS code.
        Index("ix_notifications_claim", "priority", "next_attempt_at",
              postgresql_where=text(STILL_TO_DELIVER), sqlite_where=text(STILL_TO_DELIVER)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # (recipient, event): at most one notice per key, whatever retries or double clicks happen.
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    # The fan-out a notice belongs to (exam-notice:<arrangement>, result:<cycle>:<round>, …): its
    # delivery report counts the rows of one batch (domain/notifications.delivery_report).
    batch: Mapped[str | None] = mapped_column(String(60), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # template / custom_text
    openid: Mapped[str | None] = mapped_column(String(64), index=True)
    physician_id: Mapped[int | None] = mapped_column(index=True)
    template_key: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    priority: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")  # notifications.PRIORITY
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    msgid: Mapped[str | None] = mapped_column(String(40), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]

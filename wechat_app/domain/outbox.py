"""Writes outbox rows; `flask notify worker` delivers them. Nothing here calls WeChat."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from wechat_app import clock
from wechat_app.extensions import db
from wechat_app.models import Notification


def add_custom_text(openid: str, content: str, idempotency_key: str) -> None:
    """Queue a customer-service text (e.g. the late answer to a slow callback) in the caller's
    transaction; the unique key makes a second call for the same event a no-op at commit."""
    db.session.add(Notification(idempotency_key=idempotency_key, channel="custom_text", openid=openid,
                                data={"content": content}, next_attempt_at=clock.now()))


def send_custom_text(openid: str, content: str, idempotency_key: str) -> bool:
    """One transaction: queue the text; False if a notice with that key already exists."""
    add_custom_text(openid, content, idempotency_key)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


# Delivery bookkeeping for `flask notify worker`. A claimed row is leased: if the worker dies
# before recording the result, the lease runs out and another worker takes the row again.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6


def claim_due(limit: int) -> list[Notification]:
    """Claim up to `limit` due rows for this worker (one transaction). Each row is taken with a
    compare-and-set on (status, next_attempt_at), so two workers never claim the same row;
    PostgreSQL also skips rows another worker has locked instead of waiting for them."""
    now = clock.now()
    query = (
        select(Notification)
        .where(Notification.status.in_(("pending", "sending")), Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for row in db.session.scalars(query).all():
        taken = db.session.execute(
            update(Notification)
            .where(Notification.id == row.id, Notification.status == row.status,
                   Notification.next_attempt_at == row.next_attempt_at)
            .values(status="sending", attempts=Notification.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            claimed.append(row.id)
    db.session.commit()
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(claimed))).all()) if claimed else []


def mark_sent(notice_id: int, msgid: str | None, redacted_data: dict | None = None) -> None:
    values = {"status": "sent", "msgid": msgid, "sent_at": clock.now(), "last_error": None}
    if redacted_data is not None:
        values["data"] = redacted_data
    db.session.execute(update(Notification).where(Notification.id == notice_id).values(**values))
    db.session.commit()


def mark_retry(notice_id: int, attempts: int, error: str) -> None:
    """Back off 2^n seconds (capped at 10 minutes); give up after MAX_ATTEMPTS."""
    if attempts >= MAX_ATTEMPTS:
        values = {"status": "failed", "last_error": error[:200]}
    else:
        delay = min(2 ** attempts, 600)
        values = {"status": "pending", "last_error": error[:200], "next_attempt_at": clock.now() + timedelta(seconds=delay)}
    db.session.execute(update(Notification).where(Notification.id == notice_id).values(**values))
    db.session.commit()


def mark_undeliverable(notice_id: int, error: str) -> None:
    """The user unfollowed (43004) or the openid is not ours (40003): retrying cannot help."""
    db.session.execute(update(Notification).where(Notification.id == notice_id).values(
        status="undeliverable", last_error=error[:200]))
    db.session.commit()

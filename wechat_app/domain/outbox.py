"""The outbox's bookkeeping: claiming due rows and recording results for `flask notify worker`
(rows are written by `domain/notifications.queue_all`). Nothing here calls WeChat."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, func, select, update

from wechat_app import clock
from wechat_app.domain.notifications import queue_custom_text
from wechat_app.domain.transaction import commit_once
from wechat_app.extensions import db, kv
from wechat_app.kv import UNAVAILABLE as KV_UNAVAILABLE
from wechat_app.models import Notification


def send_custom_text(openid: str, content: str, idempotency_key: str) -> bool:
    """One transaction: queue the text; False if a notice with that key already exists (two workers
    racing on the same event: the unique key lets one commit)."""
    if not queue_custom_text(openid, content, idempotency_key):
        return False  # already queued
    return commit_once()


# Delivery bookkeeping for `flask notify worker`. A claimed row is leased: if the worker dies
# before recording the result, the lease runs out and another worker takes the row again. The
# lease (OUTBOX_LEASE_SECONDS, 5 min) is shorter than WeChat's client_msg_id window (10 min), so a
# message re-sent after a crash reaches the physician once.
LEASE = timedelta(minutes=5)


MAX_ATTEMPTS = 6


def lease() -> timedelta:
    return timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", LEASE.total_seconds()))


@dataclass(frozen=True)
class Claimed:
    """A claimed row, detached from the session so that delivery threads can read it."""

    id: int
    channel: str
    openid: str | None
    template_key: str | None
    data: dict
    url: str | None
    idempotency_key: str
    attempts: int


@dataclass(frozen=True)
class Result:
    id: int
    status: str  # sent / retry / undeliverable / quota
    attempts: int
    msgid: str | None = None
    error: str | None = None
    redacted_data: dict | None = None


def claim_due(limit: int) -> list[Claimed]:
    """Claim up to `limit` due rows in one statement. The outer WHERE repeats the conditions, so a
    row another worker took meanwhile is not taken twice; PostgreSQL skips rows being claimed
    instead of waiting for them (SKIP LOCKED); SQLite has one writer at a time anyway."""
    now = clock.now()
    due: list[ColumnElement[bool]] = [Notification.status.in_(("pending", "sending")), Notification.next_attempt_at <= now]
    if templates_paused_until(now) is not None:
        due.append(Notification.channel != "template")  # SMS and customer-service messages go on
    chosen = (select(Notification.id).where(*due)
              .order_by(Notification.priority, Notification.next_attempt_at, Notification.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        # A CTE, not `id IN (subquery)`: PostgreSQL may run such a subquery more than once per
        # statement, and its LIMIT would then not bound the claim.
        claimed = chosen.with_for_update(skip_locked=True).cte("chosen")
        matches = Notification.id == claimed.c.id
    else:
        matches = Notification.id.in_(chosen.scalar_subquery())
    rows = db.session.execute(
        update(Notification).where(matches, *due)
        .values(status="sending", attempts=Notification.attempts + 1, next_attempt_at=now + lease())
        .returning(Notification.id, Notification.channel, Notification.openid, Notification.template_key,
                   Notification.data, Notification.url, Notification.idempotency_key, Notification.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def record(results: list[Result]) -> None:
    """Write a batch of delivery results in one transaction (one executemany per kind of result)."""
    now = clock.now()
    by_shape: dict[tuple, list[dict]] = {}
    for result in results:
        if result.status == "sent":
            row = {"id": result.id, "status": "sent", "msgid": result.msgid, "sent_at": now, "last_error": None}
            if result.redacted_data is not None:
                row["data"] = result.redacted_data
        elif result.status == "quota":  # not the notice's failure: it waits for the quota, attempts kept
            row = {"id": result.id, "status": "pending", "attempts": result.attempts - 1,
                   "last_error": "45009 今日配额已用尽", "next_attempt_at": quota_resets(now)}
        elif result.status == "undeliverable":
            row = {"id": result.id, "status": "undeliverable", "last_error": (result.error or "")[:200]}
        elif result.attempts >= MAX_ATTEMPTS:
            row = {"id": result.id, "status": "failed", "last_error": (result.error or "")[:200]}
        else:  # back off 2^n seconds, at most 10 minutes
            row = {"id": result.id, "status": "pending", "last_error": (result.error or "")[:200],
                   "next_attempt_at": now + timedelta(seconds=min(2 ** result.attempts, 600))}
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    for rows in by_shape.values():
        db.session.execute(update(Notification), rows)  # bulk UPDATE by primary key
    db.session.commit()


# WeChat caps template messages per account per day and answers 45009 beyond it; the count starts
# again at midnight, Beijing time (the clock's time). Sending on would only collect more 45009s, so
# every worker stops template sends until then. The mark is a hint in the shared store: if it is
# lost (or Redis is down), the next send meets 45009 and sets it again.
QUOTA_KEY = "outbox:template-quota-until"


def quota_resets(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time.min)


def pause_templates(now: datetime) -> datetime:
    until = quota_resets(now)
    try:
        kv.set(QUOTA_KEY, until.isoformat(), int((until - now).total_seconds()) + 1)
    except KV_UNAVAILABLE:
        pass  # the rows wait for `until` all the same (record); only the other workers' hint is lost
    return until


def templates_paused_until(now: datetime | None = None) -> datetime | None:
    try:
        stored = kv.get(QUOTA_KEY)
    except KV_UNAVAILABLE:
        return None
    until = datetime.fromisoformat(stored) if stored else None
    return until if until is not None and until > (now or clock.now()) else None


# The permanent errors that say the account is configured wrongly (wechat/sender.py PERMANENT): a
# template id WeChat does not know (40037), fields it refuses (47003), an API not granted (48001).
CONFIGURATION_ERRORS = {"40037": "模板未配置或无效", "47003": "模板参数不正确", "48001": "接口未授权"}
ALERT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Backlog:
    """What the console says about sending: template messages still to go, the quota pause, and the
    notices of the last day that failed for a configuration error, by error code."""

    templates: int
    paused_until: datetime | None
    misconfigured: dict[str, int]


def backlog() -> Backlog:
    waiting = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.status.in_(("pending", "sending")), Notification.channel == "template")) or 0
    prefix = func.substr(Notification.last_error, 1, 5)
    misconfigured = dict(db.session.execute(
        select(prefix, func.count(Notification.id)).where(
            Notification.status == "undeliverable", prefix.in_(CONFIGURATION_ERRORS),
            Notification.created_at >= clock.now() - ALERT_WINDOW).group_by(prefix)).tuples().all())
    return Backlog(waiting, templates_paused_until(), misconfigured)


def undelivered() -> int:
    """Rows still to deliver (due or waiting for their next attempt)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.status.in_(("pending", "sending")))) or 0

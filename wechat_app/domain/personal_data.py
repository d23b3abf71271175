"""Key rotation for personal data at rest (wechat_app/pii.py): `flask pii rotate` re-seals every
sealed value under the current (first) PII_KEY and recomputes every blind index under the current
PII_INDEX_KEY, after which the old keys can be removed from the environment.

It works in batches, one transaction each: a maintenance run over the whole table, safe to repeat
and to interrupt (a value already under the current key is simply sealed again).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from wechat_app import pii
from wechat_app.domain import uploads
from wechat_app.domain.notifications import SMS_PHONE
from wechat_app.domain.submission import SNAPSHOT_ID_NUMBER, SNAPSHOT_PHONE
from wechat_app.extensions import db
from wechat_app.models import Notification, Physician, RegistrationSnapshot
from wechat_app.models.physician import id_number_indexes

BATCH = 500


def reseal(token: str | None, purpose: str) -> str | None:
    return pii.seal(pii.unseal(token, purpose), purpose) if token else token


def rotate() -> dict[str, int]:
    counts = {"physicians": 0, "registration_snapshots": 0, "notifications": 0}
    for physician in batches(select(Physician).order_by(Physician.id)):
        flag_modified(physician, "id_number")  # written again: sealed under the current key
        flag_modified(physician, "phone")
        physician.id_number_index = id_number_indexes(physician.id_number, strict=False)[0]
        counts["physicians"] += 1
    for snapshot in batches(select(RegistrationSnapshot).order_by(RegistrationSnapshot.id)):
        identity = dict(snapshot.data.get("identity") or {})
        identity["id_number_sealed"] = reseal(identity.get("id_number_sealed"), SNAPSHOT_ID_NUMBER)
        identity["phone_sealed"] = reseal(identity.get("phone_sealed"), SNAPSHOT_PHONE)
        snapshot.data = {**snapshot.data, "identity": identity}
        counts["registration_snapshots"] += 1
    for notice in batches(select(Notification).where(Notification.channel == "sms").order_by(Notification.id)):
        if notice.data.get("phone_sealed"):
            notice.data = {**notice.data, "phone_sealed": reseal(notice.data["phone_sealed"], SMS_PHONE)}
            counts["notifications"] += 1
    counts["uploads"] = uploads.reseal_all()
    return counts


def batches(query):
    """Rows of `query`, BATCH at a time, each batch committed before the next is read."""
    last = 0
    model = query.column_descriptions[0]["entity"]
    while True:
        rows = db.session.scalars(query.where(model.id > last).limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        db.session.commit()
        last = rows[-1].id

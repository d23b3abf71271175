"""Audit rows, added to the caller's transaction (the use case commits them with its change)."""
from __future__ import annotations

from wechat_app.extensions import db
from wechat_app.models import AuditLog


def record(actor_type: str, actor_id: object, action: str, target_type: str | None = None,
           target_id: object = None, ip: str | None = None, **detail) -> None:
    db.session.add(AuditLog(actor_type=actor_type, actor_id=None if actor_id is None else str(actor_id),
                            action=action, target_type=target_type,
                            target_id=None if target_id is None else str(target_id), ip=ip, detail=detail))

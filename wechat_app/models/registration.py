"""A physician's registration in a cycle. Only `domain/registration.py` assigns `status`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import db
from wechat_app.models.cycle import Cycle
from wechat_app.models.physician import Physician


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("physician_id", "cycle_id", name="uq_registrations_physician_cycle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    procedure: Mapped[str | None] = mapped_column(String(10))  # 简易程序 / 一般程序
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    physician: Mapped[Physician] = relationship()
    cycle: Mapped[Cycle] = relationship()

    __mapper_args__ = {"version_id_col": version}

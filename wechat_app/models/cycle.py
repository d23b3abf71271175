"""Assessment cycles (考核周期) per province, with their windows."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app.extensions import Model
from wechat_app.models.org import Province


class Cycle(Model):
    __tablename__ = "cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # Practice years for the 简易程序 rule are counted up to this date.
    cutoff_date: Mapped[date]
    is_current: Mapped[bool] = mapped_column(default=False)
    assessor_apply_start: Mapped[date | None]
    assessor_apply_end: Mapped[date | None]
    registration_start: Mapped[date]
    registration_end: Mapped[date]
    review_start: Mapped[date]
    review_end: Mapped[date]
    exemption_start: Mapped[date | None]
    exemption_end: Mapped[date | None]
    exemption_review_start: Mapped[date | None]
    exemption_review_end: Mapped[date | None]
    test_start: Mapped[date | None]
    test_end: Mapped[date | None]
    province: Mapped[Province] = relationship()

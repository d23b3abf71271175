"""Reviews of submitted registrations, and institutions' applications to act as assessment body."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.enums import ApplicationStatus, check_in
from wechat_app.models.org import Institution


class Review(Model):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("registration_snapshots.id"))
    stage: Mapped[str] = mapped_column(String(20))  # institution / assessor
    decision: Mapped[str] = mapped_column(String(10))  # approve / reject
    work_rating: Mapped[str | None] = mapped_column(String(10))  # 工作成绩 合格/不合格
    ethics_rating: Mapped[str | None] = mapped_column(String(10))  # 职业道德 合格/不合格
    reason: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AssessorApplication(Model):
    """考核机构申请: an institution applies to act as an assessment body (2007 办法 第七条)."""

    __tablename__ = "assessor_applications"
    __table_args__ = (check_in("status", ApplicationStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    kind: Mapped[str] = mapped_column(String(20))  # 医院 / 预防保健机构 / 行业组织
    beds: Mapped[int | None]
    physicians: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    institution: Mapped[Institution] = relationship()

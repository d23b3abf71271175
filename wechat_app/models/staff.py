"""Console users: staff of an institution, an assessment body or a health authority."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.enums import Role
from wechat_app.models.org import AssessmentBody, HealthAuthority, Institution


class Staff(Model):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))  # institution / assessor / authority
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    assessment_body_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_bodies.id"))
    health_authority_id: Mapped[int | None] = mapped_column(ForeignKey("health_authorities.id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    # The session generation (domain/sessions.py): a session holding another value is signed out.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    institution: Mapped[Institution | None] = relationship()
    assessment_body: Mapped[AssessmentBody | None] = relationship()
    health_authority: Mapped[HealthAuthority | None] = relationship()

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"s:{self.id}"

    @property
    def role_label(self) -> str:
        return Role(self.role).label

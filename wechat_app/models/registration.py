"""A physician's registration in a cycle, its immutable submissions and its event trail.
Only `domain/registration.py` assigns `status`."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.cycle import Cycle
from wechat_app.models.enums import ApplicationStatus, Status, check_in
from wechat_app.models.physician import Physician

# Session.info key: physicians whose registration a bulk statement changed (domain/registration.py
# apply_all). The ORM's flush does not see a bulk UPDATE, so listeners that follow registrations (the
# home page cache) read the ids here after the commit.
CHANGED_IN_BULK = "registrations_changed_in_bulk"


def physicians_institution(context) -> int | None:
    """The institution of the physician a new registration is for, read in the INSERT's own transaction,
    so that every way a row is made (the use cases, a bulk insert, a test's helper) starts it right."""
    physician_id = context.get_current_parameters()["physician_id"]
    return context.connection.scalar(select(Physician.institution_id).where(Physician.id == physician_id))


class Registration(Model):
    __tablename__ = "registrations"
    # The review queues page in submission order within a status: read in index order, not sorted, and
    # (PostgreSQL) with the institution in the index, so a scope's page deep in 30,000 rows is one
    # index-only walk instead of a join to every physician before it (make bench, lists).
    __table_args__ = (UniqueConstraint("physician_id", "cycle_id", name="uq_registrations_physician_cycle"),
                      check_in("status", Status),
                      Index("ix_registrations_status_submitted", "status", "submitted_at", "id",
                            postgresql_include=["institution_id"]))
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    # The physician's institution, a copy the console's scopes read without joining the physician: set
    # when the row is made, moved with the physician by 调入/调离 (domain/registration.py follow_physician),
    # empty while the physician belongs to none.
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True,
                                                       default=physicians_institution)
    status: Mapped[str] = mapped_column(String(30), index=True)
    procedure: Mapped[str | None] = mapped_column(String(10))  # 简易程序 / 一般程序 (set on submission)
    # 执业类别 and 级别 as the physician registered them (step 2, set on submission): they pick the papers,
    # and a fan-out selects a paper's physicians by them in SQL (domain/exam_admin.py targeted).
    category: Mapped[str | None] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(10))
    # 工作成绩 and 职业道德 of the institution's latest approval (its Review row has them too): read by
    # the exams page, the results and their lists, so kept here to be read with the row.
    work_rating: Mapped[str | None] = mapped_column(String(10))
    ethics_rating: Mapped[str | None] = mapped_column(String(10))
    # The registration photo's face as a verifier worker measured it once (encoding and picture hash,
    # sealed with PII_KEY: biometric data), with the photo it was measured on (domain/face_checks.py).
    face_reference: Mapped[str | None] = mapped_column(Text)
    # The five steps as the physician last saved them: {"1": {...}, ..., "5": {...}}.
    draft: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None]
    rejected_by: Mapped[str | None] = mapped_column(String(20))  # 医疗卫生机构 / 考核机构
    reject_reason: Mapped[str | None] = mapped_column(Text)
    resubmit_deadline: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    physician: Mapped[Physician] = relationship()
    cycle: Mapped[Cycle] = relationship()

    # Two writers (a double-tapped 提交, a submit racing a review) cannot both win: the loser's
    # UPDATE ... WHERE version = n matches nothing and raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}


class RegistrationSnapshot(Model):
    """What was submitted, as it was: reviewers see this, never later edits."""

    __tablename__ = "registration_snapshots"
    __table_args__ = (UniqueConstraint("registration_id", "number", name="uq_registration_snapshots_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    number: Mapped[int]
    procedure: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)


class RegistrationEvent(Model):
    """One row per transition: from, to, action, actor, reason, time."""

    __tablename__ = "registration_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(30))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Upload(Model):
    """A picture a physician uploaded (or a camera took), sealed and stored outside static/ under a
    random name (domain/uploads.py)."""

    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # photo / certificate / evidence / exemption
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    purged_at: Mapped[datetime | None]  # a face frame deleted after its retention period (the row stays)


class Exemption(Model):
    """免考申请: one per registration; reviewed in the console."""

    __tablename__ = "exemptions"
    __table_args__ = (check_in("status", ApplicationStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    explanation: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending / approved / rejected
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    reviewed_at: Mapped[datetime | None]
    registration: Mapped[Registration] = relationship()

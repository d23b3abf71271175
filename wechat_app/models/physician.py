"""Physicians: identity, practice, main institution and credentials."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from wechat_app import clock, pii
from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import canonical_18, clean, mask
from wechat_app.extensions import Model
from wechat_app.models.org import Department, Institution
from wechat_app.models.types import Encrypted


class Physician(Model):
    __tablename__ = "physicians"
    # A console search finds a part of a name (physicians.matching): on PostgreSQL a trigram index serves
    # it from three characters on (a scan of 100,000 names was 1.5 s p99 in make bench's lists row);
    # on SQLite it is a plain index, unused by LIKE '%…%' and harmless.
    __table_args__ = (Index("ix_physicians_name_trgm", "name", postgresql_using="gin",
                            postgresql_ops={"name": "gin_trgm_ops"}),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(2))
    id_type: Mapped[str] = mapped_column(String(10), default="身份证")
    # Stored as the institution typed it (15 or 18 characters, X upper-case), encrypted; found through
    # the blind index of its canonical form, so that either form finds the account (wechat_app/pii.py).
    id_number: Mapped[str] = mapped_column(Encrypted("physicians.id_number"))
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(Encrypted("physicians.phone"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    level: Mapped[str | None] = mapped_column(String(20))  # 执业医师 / 执业助理医师
    category: Mapped[str | None] = mapped_column(String(10))  # 临床 / 口腔 / 公共卫生 / 中医
    practice_scope: Mapped[str | None] = mapped_column(String(40))
    certificate_number: Mapped[str | None] = mapped_column(String(40))
    certificate_date: Mapped[date | None]
    title: Mapped[str | None] = mapped_column(String(20))
    title_date: Mapped[date | None]
    qualification_number: Mapped[str | None] = mapped_column(String(40))  # 资格证书编码
    qualification_date: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(String(80))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str | None] = mapped_column(String(20))
    post: Mapped[str | None] = mapped_column(String(40))  # 职务
    post_date: Mapped[date | None]
    specialties: Mapped[list[str] | None] = mapped_column(JSON)  # 从事专业: 诊疗科目 codes
    # 调离: the record leaves its institution (institution_id becomes empty) and waits for 调入.
    left_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    left_reason: Mapped[str | None] = mapped_column(String(200))
    left_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    # The session generation (domain/sessions.py): a session holding another value is signed out.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    institution: Mapped[Institution | None] = relationship(foreign_keys=[institution_id])
    left_institution: Mapped[Institution | None] = relationship(foreign_keys=[left_institution_id])
    department: Mapped[Department | None] = relationship()

    # Flask-Login: physicians and staff share one session mechanism, told apart by the id prefix.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"p:{self.id}"

    @validates("id_number")
    def _index_id_number(self, _key: str, value: str) -> str:
        self.id_number_index = id_number_indexes(value, strict=False)[0]
        return value

    @property
    def masked_id_number(self) -> str:
        """430***********0422: how lists, exports and pages show it (the 18-character form if any)."""
        return mask(self.id_number_18 or self.id_number)

    @property
    def id_number_18(self) -> str | None:
        """The 18-character form of a resident ID number (None for other documents)."""
        try:
            return canonical_18(self.id_number)
        except DomainError:
            return None


def id_number_indexes(raw: str, strict: bool = True) -> list[str]:
    """The blind index of an ID number in its canonical form (15 or 18 digits, x or X, full-width
    all index alike), under every configured index key: the first is what a row stores, all are
    tried by a lookup during a key rotation. `strict`: a wrong check character raises DomainError
    (the physician is told); otherwise it is indexed as typed and simply finds nobody."""
    try:
        canonical = canonical_18(raw) or clean(raw)
    except DomainError:
        if strict:
            raise
        canonical = clean(raw)
    return pii.blind_indexes(canonical, "physicians.id_number")


class PhysicianChange(Model):
    """One field of the record changed by an approved registration (domain/record.py): what it was,
    what it became, from which submission of which cycle, approved by whom."""

    __tablename__ = "physician_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("registration_snapshots.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    changed_at: Mapped[datetime] = mapped_column(default=clock.now)


# A database built from the models (the tests' create_all) needs the operator class's extension first
# (trusted since PostgreSQL 13: the database's owner may create it).
event.listen(Physician.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))

"""Provinces (tenants), health authorities, assessment bodies, institutions and their departments."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app.extensions import Model


class Province(Model):
    __tablename__ = "provinces"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # GB/T 2260 prefix, e.g. "43" 湖南
    name: Mapped[str] = mapped_column(String(20), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The 简易程序 conditions as data (see domain/eligibility.py); empty means the national default.
    procedure_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    # A notice for a physician without a bound WeChat also goes by SMS to the registered phone (the
    # provincial authority's choice: SMS costs the province; on unless it turns it off).
    sms_fallback: Mapped[bool] = mapped_column(default=True, server_default=true())


class HealthAuthority(Model):
    """卫生行政部门: a province-, city- or district-level health commission."""

    __tablename__ = "health_authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("health_authorities.id"))
    name: Mapped[str] = mapped_column(String(60), unique=True)
    level: Mapped[str] = mapped_column(String(10))  # 省 / 市 / 区县
    province: Mapped[Province] = relationship()


class AssessmentBody(Model):
    """考核机构: a body the health authority approved to run the assessment."""

    __tablename__ = "assessment_bodies"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Set when the body is an institution whose 考核机构申请 the authority approved.
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id", use_alter=True))
    # The body's official seal (公章) as a PNG it uploaded, printed on its 考核结果通知书 (domain/seals.py).
    # Not personal data; deferred so that listing bodies does not load it.
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class Institution(Model):
    """医疗卫生机构: a physician's 主要执业机构."""

    __tablename__ = "institutions"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    health_authority_id: Mapped[int] = mapped_column(ForeignKey("health_authorities.id"), index=True)
    assessment_body_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_bodies.id"))
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="医院")
    beds: Mapped[int | None]
    province: Mapped[Province] = relationship()
    health_authority: Mapped[HealthAuthority] = relationship()
    assessment_body: Mapped[AssessmentBody | None] = relationship(foreign_keys=[assessment_body_id])


class Department(Model):
    """科室, linked to the 诊疗科目 codes it covers (from the catalogue in domain-enumerations)."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    subject_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)

"""The physician record follows the registration: the approval that makes a registration final
(考核机构复核通过) writes the fields the registration owns into the record, each change kept with
the submission, the cycle and the reviewer; the next cycle's form starts from the record
(domain/submission.initial_draft), so a returning physician only types what changed.

The registration owns what the physician declares about their practice: gender, 民族, birth date,
学历, e-mail (第一步), and 科室, 从事专业, 职称 and its date, 职务 and its date, 级别, 执业类别, 执业范围, the
执业证书 number and date (第二步). It does not own the ID number or the phone (bound by SMS), nor the
qualification certificate, which the institution keeps. An empty answer never erases the record.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from wechat_app.domain.wizard import parse_date
from wechat_app.extensions import db
from wechat_app.models import Department, Physician, PhysicianChange, Registration, RegistrationSnapshot

# (step, key in the step, record column, label)
OWNED = (
    ("1", "gender", "gender", "性别"), ("1", "ethnicity", "ethnicity", "民族"), ("1", "birth", "birth_date", "出生年月"),
    ("1", "education", "education", "学历"), ("1", "email", "email", "电子邮箱"),
    ("2", "department", "department_id", "科室"), ("2", "specialties", "specialties", "从事专业"),
    ("2", "title", "title", "职称"), ("2", "title_date", "title_date", "职称取得时间"), ("2", "post", "post", "职务"),
    ("2", "post_date", "post_date", "任职时间"), ("2", "level", "level", "医师级别"), ("2", "category", "category", "执业类别"),
    ("2", "scope", "practice_scope", "执业范围"), ("2", "certificate_number", "certificate_number", "执业证书编码"),
    ("2", "certificate_date", "certificate_date", "执业证书取得时间"),
)
LABELS = {column: label for _, _, column, label in OWNED}
DATES = {"birth_date", "title_date", "post_date", "certificate_date"}


def declared(physician: Physician, column: str, value):
    """The value as the record stores it, or None when the answer is empty or does not fit."""
    if value in (None, "", []):
        return None
    if column in DATES:
        return parse_date(value)
    if column == "department_id":
        department = db.session.get(Department, int(value)) if str(value).isdigit() else None
        return department.id if department and department.institution_id == physician.institution_id else None
    if column == "specialties":
        return [str(code) for code in value][:50] if isinstance(value, list) else None
    return str(value).strip()[:200] or None


def shown(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, list):
        return "、".join(value)
    return str(value)


def apply_snapshot(registration: Registration, snapshot: RegistrationSnapshot, staff_id: int | None) -> int:
    """Write what the approved submission declares into the record, in the caller's transaction;
    returns how many fields changed."""
    physician = registration.physician
    steps = snapshot.data.get("steps", {})
    changed = 0
    for step, key, column, _ in OWNED:
        new = declared(physician, column, steps.get(step, {}).get(key))
        old = getattr(physician, column)
        if new is None or new == old:
            continue
        setattr(physician, column, new)
        db.session.add(PhysicianChange(physician_id=physician.id, field=column, old_value=shown(old),
                                       new_value=shown(new), snapshot_id=snapshot.id, cycle_id=registration.cycle_id,
                                       changed_by=staff_id))
        changed += 1
    return changed


def history(physician: Physician) -> list[PhysicianChange]:
    return list(db.session.scalars(select(PhysicianChange).where(PhysicianChange.physician_id == physician.id)
                                   .order_by(PhysicianChange.id.desc())))

"""An institution's side of its physicians: 科室, 医师管理 (新增, 调入, 调离, 重置密码, 解绑手机) and
开通报名. Each use case checks the staff member's scope, writes an audit row and commits once."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from wechat_app import clock
from wechat_app.domain import audit, passwords, verification
from wechat_app.domain.accounts import find_physician, with_id_number
from wechat_app.domain.cycles import current_cycle
from wechat_app.domain.enumerations import subjects
from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import canonical_18, clean, mask_name, stated_in
from wechat_app.domain.registration import Actor, Role, enroll, follow_physician
from wechat_app.domain.scopes import own_institution
from wechat_app.domain.sessions import end_sessions
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import Department, Physician, Registration, Staff
from wechat_app.models.physician import id_number_indexes

ID_NUMBER_LIKE = re.compile(r"[0-9０-９]{6,}[0-9０-９xXｘＸ]*")


def matching(words: str):
    """The condition a console search puts on physicians: an ID number (any form it is typed in) is
    found through its blind index — the column is sealed, so no part of it can be searched — and
    anything else is a part of the name."""
    words = words.strip()[:40]
    if ID_NUMBER_LIKE.fullmatch(words):
        return Physician.id_number_index.in_(id_number_indexes(words, strict=False))
    return Physician.name.contains(words, autoescape=True)


# --- 科室 ------------------------------------------------------------------------------------

@use_case()
def save_department(staff: Staff, name: str, subject_codes: list[str], department: Department | None,
                    ip: str | None) -> Department:
    name = (name or "").strip()
    if not 1 <= len(name) <= 40:
        raise DomainError("请输入科室名称（不超过40字）。")
    unknown = [code for code in subject_codes if code not in subjects()]
    if unknown or not subject_codes:
        raise DomainError("请至少选择一个关联诊疗科目。")
    clash = db.session.scalar(select(Department).where(Department.institution_id == staff.institution_id,
                                                       Department.name == name))
    if clash is not None and clash is not department:
        raise DomainError("本机构已有同名科室。")
    if department is None:
        department = Department(institution_id=staff.institution_id, name=name, subject_codes=subject_codes)
        db.session.add(department)
    else:
        department.name, department.subject_codes = name, subject_codes
    db.session.flush()
    audit.record("staff", staff.id, "department_save", "department", department.id, ip, name=name)
    return department


@use_case()
def set_department_enabled(staff: Staff, department: Department, enabled: bool, ip: str | None) -> None:
    department.enabled = enabled
    audit.record("staff", staff.id, "department_enable" if enabled else "department_disable", "department",
                 department.id, ip)


@use_case()
def delete_department(staff: Staff, department: Department, ip: str | None) -> None:
    users = db.session.scalar(select(func.count(Physician.id)).where(Physician.department_id == department.id))
    if users:
        raise DomainError(f"该科室下有{users}名医师，不能删除；可先停用。")
    audit.record("staff", staff.id, "department_delete", "department", department.id, ip, name=department.name)
    db.session.delete(department)


# --- 医师管理 --------------------------------------------------------------------------------------

@dataclass
class PhysicianInput:
    name: str
    gender: str
    id_type: str
    id_number: str
    level: str = ""
    category: str = ""
    practice_scope: str = ""
    certificate_number: str = ""
    certificate_date: date | None = None
    qualification_number: str = ""
    qualification_date: date | None = None
    department_id: int | None = None
    title: str = ""
    title_date: date | None = None
    birth_date: date | None = None
    education: str = ""
    email: str = ""
    ethnicity: str = ""
    post: str = ""  # 职务
    specialties: list[str] | None = None  # 从事专业: codes of the department's 诊疗科目
    phone: str = ""  # 手机号 on record: the first sign-in's code goes there (domain/accounts.py)


FIELD_NAMES = {"name": "姓名", "id_number": "证件号码", "level": "执业级别", "category": "执业类别",
               "practice_scope": "执业范围", "certificate_number": "执业证书编码", "qualification_number": "资格证书编码",
               "title": "职称", "education": "学历", "email": "电子邮箱", "ethnicity": "民族"}


def column_limits(model, data) -> dict[str, int]:
    """The string fields of `data` longer than `model`'s columns allow: {field: limit}. The database
    would refuse them (PostgreSQL) or keep them silently (SQLite); people get a message instead."""
    too_long = {}
    for column in model.__table__.columns:
        limit = getattr(column.type, "length", None)
        value = getattr(data, column.key, None)
        if limit and isinstance(value, str) and len(value.strip()) > limit:
            too_long[column.key] = limit
    return too_long


def stated_errors(id18: str, gender: str, born: date | None) -> dict[str, str]:
    """A gender or birth date that contradicts the ID number (which states both) is refused."""
    stated = stated_in(id18)
    if stated is None:
        return {"id_number": "证件号码中的出生日期不正确，请核对。"}
    errors = {}
    if gender in ("男", "女") and gender != stated[0]:
        errors["gender"] = f"性别与证件号码不一致（证件号码显示为{stated[0]}），请核对。"
    if born is not None and born != stated[1]:
        errors["birth_date"] = f"出生日期与证件号码不一致（证件号码显示为{stated[1]:%Y-%m-%d}），请核对。"
    return errors


def identity_errors(data: PhysicianInput) -> dict[str, str]:
    errors = {}
    if not 1 <= len(data.name.strip()) <= 40:
        errors["name"] = "请输入医师姓名。"
    if data.gender not in ("男", "女") and data.id_type != "身份证":  # an ID number states it (filled below)
        errors["gender"] = "请选择性别。"
    if data.id_type not in ("身份证", "军官证", "港澳台居民身份证", "台胞证", "护照"):
        errors["id_type"] = "请选择证件类型。"
    if data.id_type == "身份证":
        try:
            canonical = canonical_18(data.id_number)
            if canonical is None:
                errors["id_number"] = "请输入15位或18位身份证号。"
            else:
                errors |= stated_errors(canonical, data.gender, data.birth_date)
        except DomainError as exc:
            errors["id_number"] = str(exc)
    elif not 4 <= len(clean(data.id_number)) <= 32:
        errors["id_number"] = "请输入证件号码。"
    return errors


def validate_physician(data: PhysicianInput, institution_id: int | None) -> dict[str, str]:
    errors = identity_errors(data)
    for key, label in (("category", "执业类别"), ("practice_scope", "执业范围"), ("certificate_number", "执业证书编码"),
                       ("qualification_number", "资格证书编码")):
        if not getattr(data, key).strip():
            errors[key] = f"请填写{label}。"
    for key, limit in column_limits(Physician, data).items():
        errors.setdefault(key, f"{FIELD_NAMES.get(key, key)}不能超过{limit}个字符。")
    department = db.session.scalar(select(Department).where(
        Department.id == data.department_id, Department.institution_id == institution_id)) \
        if data.department_id is not None else None
    if data.department_id is not None and department is None:
        errors["department_id"] = "请选择本机构的科室。"
    if data.specialties and (department is None or not set(data.specialties) <= set(department.subject_codes)):
        errors["specialties"] = "从事专业须为所选科室的诊疗科目。"
    if data.phone.strip() and not verification.is_mobile(data.phone.strip()):
        errors["phone"] = "请输入正确的11位手机号码。"
    if "id_number" not in errors:
        holder = find_physician(data.id_number)
        if holder is not None:
            where = holder.institution.name if holder.institution else f"已调离{holder.left_institution.name}" \
                if holder.left_institution else "未关联机构"
            errors["id_number"] = f"医师已存在，请前往【调入医师】（当前：{holder.name}，{where}）"
    return errors


@use_case()
def create_physician(staff: Staff, data: PhysicianInput, ip: str | None) -> tuple[Physician, str | None]:
    """新增医师: one physician, one transaction. Returns the one-time initial password to hand out
    when no phone was recorded (None: 666666, and the first sign-in's code goes to the phone)."""
    physician = add_physician(staff, data, ip)
    physician.password_hash, handed_out = passwords.initial_password_for(bool(physician.phone))
    return physician, handed_out


def add_physician(staff: Staff, data: PhysicianInput, ip: str | None) -> Physician:
    """The physician added to the caller's transaction (新增医师, or one row of an import)."""
    errors = validate_physician(data, staff.institution_id)
    if errors:
        raise DomainError("；".join(errors.values()), fields=errors)
    canonical = canonical_18(data.id_number) if data.id_type == "身份证" else None
    stored = clean(data.id_number)
    stated = stated_in(canonical)
    physician = Physician(
        name=data.name.strip(), gender=stated[0] if stated else data.gender, id_type=data.id_type, id_number=stored,
        birth_date=stated[1] if stated else data.birth_date,
        institution_id=staff.institution_id, department_id=data.department_id, level=data.level or None,
        category=data.category, practice_scope=data.practice_scope, certificate_number=data.certificate_number.strip(),
        certificate_date=data.certificate_date, qualification_number=data.qualification_number.strip(),
        qualification_date=data.qualification_date, title=data.title or None, title_date=data.title_date,
        education=data.education or None, email=data.email or None, ethnicity=data.ethnicity or None,
        post=data.post or None, specialties=list(data.specialties or []) or None,
        phone=data.phone.strip() or None,
        password_hash=passwords.hash_password(passwords.INITIAL_PASSWORD), must_change_password=True)
    db.session.add(physician)
    db.session.flush()
    audit.record("staff", staff.id, "physician_create", "physician", physician.id, ip)
    return physician


@use_case()
def transfer_out(staff: Staff, physician: Physician, reason: str, ip: str | None) -> None:
    """调离: the record leaves this institution and can be 调入 by the next one."""
    if not (reason or "").strip():
        raise DomainError("请填写调离原因。")
    physician.left_institution_id, physician.institution_id = physician.institution_id, None
    physician.left_reason, physician.left_at = reason.strip()[:200], clock.now()
    physician.department_id = None
    follow_physician(physician)
    audit.record("staff", staff.id, "physician_transfer_out", "physician", physician.id, ip, reason=reason.strip())


@dataclass(frozen=True)
class Candidate:
    """A 调入 search result as the searching institution may see it. Inside its own province: the
    record as the seed shows it. Outside it, only what 调入 needs: a masked name to confirm the
    person, whether the previous institution has done 调离, and nothing of where they work."""

    physician_id: int
    name: str
    masked_id: str
    certificate_number: str
    institution: str
    left_reason: str
    left_at: date | None
    transferable: bool
    authority: str = ""  # 管辖关系: the health authority the institution answers to


def transfer_candidates(staff: Staff, raw_id: str) -> list[Candidate]:
    """调入 search: by 15- or 18-digit ID number only."""
    try:
        found = list(db.session.scalars(with_id_number(raw_id)))
    except DomainError:
        return []
    return [candidate(p, own_institution(staff).province_id) for p in found]


def candidate(physician: Physician, province_id: int) -> Candidate:
    home = physician.institution or physician.left_institution
    transferable = physician.institution_id is None
    if home is not None and home.province_id == province_id:
        where = physician.institution.name if physician.institution else f"{home.name}（已调离）"
        return Candidate(physician.id, physician.name, physician.masked_id_number,
                         physician.certificate_number or "", where, physician.left_reason or "",
                         physician.left_at.date() if physician.left_at else None, transferable,
                         home.health_authority.name)
    return Candidate(physician.id, mask_name(physician.name), physician.masked_id_number,
                     "", "外省医疗机构" + ("（已调离）" if transferable else ""), "", None, transferable)


@use_case()
def transfer_in(staff: Staff, physician: Physician, ip: str | None) -> None:
    """调入: only a physician whose previous institution has done 调离."""
    if physician.institution_id is not None:
        current = physician.institution.name if physician.institution else "其他机构"
        raise DomainError(f"该医师目前属于{current}，需原单位先【调离】后才能调入。")
    physician.institution_id, physician.left_institution_id = staff.institution_id, None
    physician.left_reason = physician.left_at = None
    follow_physician(physician)
    audit.record("staff", staff.id, "physician_transfer_in", "physician", physician.id, ip)


@use_case()
def reset_password(staff: Staff, physician: Physician, ip: str | None) -> str | None:
    """Back to an initial password; the physician must change it at next sign-in. Returns the one-time
    password to hand out when no phone is on record (None: 666666 and a code to the phone)."""
    physician.password_hash, handed_out = passwords.initial_password_for(bool(physician.phone))
    physician.must_change_password = True
    end_sessions(physician)
    audit.record("staff", staff.id, "physician_reset_password", "physician", physician.id, ip,
                 one_time=handed_out is not None)
    return handed_out


@use_case()
def unbind_phone(staff: Staff, physician: Physician, ip: str | None) -> None:
    physician.phone = None
    audit.record("staff", staff.id, "physician_unbind_phone", "physician", physician.id, ip)


@use_case()
def enroll_physicians(staff: Staff, physicians: list[Physician], ip: str | None) -> tuple[int, list[str]]:
    """开通报名 for each physician not yet in the current cycle; returns (count, problems)."""
    if not physicians:
        return 0, []
    cycle = current_cycle(own_institution(staff).province_id)
    if cycle is None:
        raise DomainError("当前没有进行中的考核周期。")
    if clock.today() > cycle.registration_end:
        raise DomainError("医师报名已结束，不能再开通报名。")
    already = set(db.session.scalars(select(Registration.physician_id).where(
        Registration.cycle_id == cycle.id, Registration.physician_id.in_([p.id for p in physicians]))))
    done, problems = 0, []
    for physician in physicians:
        if physician.id in already:
            problems.append(f"{physician.name}：已开通")
            continue
        try:
            enroll(physician.id, cycle, Actor(Role.INSTITUTION, staff.id))
        except DomainError as exc:
            problems.append(f"{physician.name}：{exc}")
            continue
        done += 1
    audit.record("staff", staff.id, "enroll", "institution", staff.institution_id, ip, count=done)
    return done, problems

"""The health authority's side: cycles and their windows, 考核机构申请 and approval, assigning an
assessment body to each institution, progress counts. And the institution's application itself."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from wechat_app import clock
from wechat_app.domain import applications, audit, staff_accounts
from wechat_app.domain.cycles import WINDOWS, current_cycle
from wechat_app.domain.errors import DomainError
from wechat_app.domain.registration import Role, Status, label
from wechat_app.domain.scopes import institution_ids, own_authority, own_institution
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import AssessmentBody, AssessorApplication, Cycle, Institution, Physician, Registration, Staff

# 医师定期考核管理办法（2007）第七条: who may act as an assessment body. The figures are data per
# province (Province.procedure_rules["assessor_criteria"]); these are the national ones.
DEFAULT_ASSESSOR_CRITERIA = {"医院": {"beds": 100}, "预防保健机构": {"physicians": 50}, "行业组织": {}}
WINDOW_FIELDS = [f"{key}_{edge}" for key, _ in WINDOWS for edge in ("start", "end")] + \
    ["assessor_apply_start", "assessor_apply_end"]


def province_id(staff: Staff) -> int | None:
    if staff.role == Role.AUTHORITY:
        return own_authority(staff).province_id
    if staff.role == Role.INSTITUTION:
        return own_institution(staff).province_id
    return None


def owns_cycles(staff: Staff, province: int | None = None) -> bool:
    """A province's cycles and windows are set by its provincial authority (the root of its tree);
    cities and districts apply them and see them read-only."""
    if staff.role != Role.AUTHORITY:
        return False
    authority = own_authority(staff)
    return authority.parent_id is None and (province is None or authority.province_id == province)


@use_case()
def update_windows(staff: Staff, cycle: Cycle, typed: dict[str, str], ip: str | None) -> None:
    """Save the windows typed in the cycle editor (yyyy-mm-dd each; only the fields posted). A
    window is both dates or, where the cycle allows it, neither; nothing is saved on any error."""
    if not owns_cycles(staff, cycle.province_id):
        raise DomainError("考核时间安排由省级卫生健康行政部门设置，您只能查看。", status=403)
    values = {name: window_date(typed[name]) for name in WINDOW_FIELDS if name in typed}
    for key, name in WINDOWS + (("assessor_apply", "考核机构申请"),):
        start = values.get(f"{key}_start", getattr(cycle, f"{key}_start"))
        end = values.get(f"{key}_end", getattr(cycle, f"{key}_end"))
        if (start is None) != (end is None) or (start is None and not Cycle.__table__.c[f"{key}_start"].nullable):
            raise DomainError(f"请填写{name}的开始和结束日期。")
        if start and end and end < start:
            raise DomainError(f"{name}的结束日期不能早于开始日期。")
    for name, value in values.items():
        setattr(cycle, name, value)
    audit.record("staff", staff.id, "cycle_update", "cycle", cycle.id, ip)


@use_case()
def set_sms_fallback(staff: Staff, on: bool, ip: str | None) -> None:
    """短信补发: notices to physicians without a bound WeChat also go by SMS (the province pays for it)."""
    if not owns_cycles(staff):
        raise DomainError("短信补发由省级卫生健康行政部门设置，您只能查看。", status=403)
    province = own_authority(staff).province
    province.sms_fallback = on
    audit.record("staff", staff.id, "sms_fallback_on" if on else "sms_fallback_off", "staff", staff.id, ip)


def window_date(text: str) -> date | None:
    """A typed date (yyyy-mm-dd), or None for an empty field; anything else is refused, never
    silently emptied."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or not 2000 <= value.year <= 2100:
        raise DomainError(f"日期“{text[:20]}”格式不正确，请按 年-月-日 填写（如 2026-04-01）。")
    return value


def criteria(institution: Institution) -> dict:
    return (institution.province.procedure_rules or {}).get("assessor_criteria") or DEFAULT_ASSESSOR_CRITERIA


@use_case()
def apply_as_assessor(staff: Staff, kind: str, beds: int | None, physicians: int | None, description: str,
                      ip: str | None) -> AssessorApplication:
    institution = own_institution(staff)
    cycle = current_cycle(institution.province_id)
    if cycle is None or not (cycle.assessor_apply_start and cycle.assessor_apply_end
                             and cycle.assessor_apply_start <= clock.today() <= cycle.assessor_apply_end):
        raise DomainError("不在考核机构申请时间内。")
    rules = criteria(institution)
    if kind not in rules:
        raise DomainError("请选择机构类别。")
    need = rules[kind]
    if "beds" in need and (beds or 0) < need["beds"]:
        raise DomainError(f"医院申请考核机构须有{need['beds']}张以上床位。")
    if "physicians" in need and (physicians or 0) < need["physicians"]:
        raise DomainError(f"预防、保健机构申请考核机构须有{need['physicians']}名以上执业医师。")
    if not (description or "").strip():
        raise DomainError("请填写申请说明。")
    application = AssessorApplication(institution_id=institution.id, cycle_id=cycle.id, kind=kind, beds=beds,
                                      physicians=physicians, description=description.strip())
    db.session.add(application)
    db.session.flush()
    audit.record("staff", staff.id, "assessor_apply", "institution", institution.id, ip)
    return application


@use_case()
def review_application(staff: Staff, application: AssessorApplication, approve: bool, reason: str,
                       ip: str | None) -> tuple[Staff, str] | None:
    """审核 an institution's 考核机构申请; an approval makes the body and its first login, returned with its
    one-time password for the approver to hand over."""
    if application.institution_id not in institution_ids(staff):
        raise DomainError("该申请不在您的管辖范围内。")
    applications.decide(application, approve, reason, "该申请已审核。")
    application.reason, application.reviewed_by = (reason or "").strip() or None, staff.id
    body = None
    if approve:
        institution = application.institution
        body = db.session.scalar(select(AssessmentBody).where(AssessmentBody.institution_id == institution.id))
        if body is None:
            body = AssessmentBody(province_id=institution.province_id, name=f"{institution.name}（考核机构）",
                                  institution_id=institution.id)
            db.session.add(body)
    audit.record("staff", staff.id, f"assessor_application_{application.status}", "institution",
                 application.institution_id, ip, reason=application.reason)
    return staff_accounts.first_login(body, staff, ip) if body is not None else None


@use_case()
def assign_body(staff: Staff, institution: Institution, body: AssessmentBody, ip: str | None) -> None:
    if institution.id not in institution_ids(staff) or body.province_id != institution.province_id:
        raise DomainError("该机构不在您的管辖范围内。")
    institution.assessment_body_id = body.id
    audit.record("staff", staff.id, "assign_assessment_body", "institution", institution.id, ip, body=body.name)


def progress(staff: Staff) -> tuple[list[str], list[tuple[Institution, dict[str, int], int]]]:
    """Counts per status per institution in scope (one grouped query), and the status labels."""
    ids = institution_ids(staff)
    institutions = list(db.session.scalars(select(Institution).where(Institution.id.in_(ids)).order_by(Institution.id)))
    counts: dict[int, dict[str, int]] = {i.id: {} for i in institutions}
    physicians: dict[int, int] = {institution_id: number for institution_id, number in db.session.execute(
        select(Physician.institution_id, func.count(Physician.id)).where(Physician.institution_id.in_(ids))
        .group_by(Physician.institution_id)).all() if institution_id is not None}
    cycle_ids = select(Cycle.id).where(Cycle.is_current.is_(True))
    for institution_id, status, count in db.session.execute(
            select(Physician.institution_id, Registration.status, func.count(Registration.id))
            .join(Registration, Registration.physician_id == Physician.id)
            .where(Physician.institution_id.in_(ids), Registration.cycle_id.in_(cycle_ids))
            .group_by(Physician.institution_id, Registration.status)):
        counts[institution_id][status] = count
    statuses = [s.value for s in Status if s != Status.NOT_OPEN]
    rows = []
    for institution in institutions:
        enrolled = sum(counts[institution.id].values())
        per_status = {label(s): counts[institution.id].get(s, 0) for s in statuses}
        per_status[label(None)] = physicians.get(institution.id, 0) - enrolled
        rows.append((institution, per_status, physicians.get(institution.id, 0)))
    return [label(None)] + [label(s) for s in statuses], rows

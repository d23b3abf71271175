"""What each staff member may see and act on.

- institution staff: their institution's physicians and registrations;
- assessment-body staff: the institutions assigned to their body;
- health-authority staff: the institutions under their authority and every authority below it.
Every console query starts from `institution_ids(staff)`; a record outside it is a 404.
"""
from __future__ import annotations

from sqlalchemy import select

from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.models import HealthAuthority, Institution, Physician, Registration, Staff
from wechat_app.models.enums import Role


def authority_tree() -> dict[int | None, list[int]]:
    """Each authority's id under its parent's (None: the provinces'), in one query."""
    children: dict[int | None, list[int]] = {}
    for authority_id, parent_id in db.session.execute(select(HealthAuthority.id, HealthAuthority.parent_id)):
        children.setdefault(parent_id, []).append(authority_id)
    return children


def authority_ids(root_id: int, tree: dict[int | None, list[int]] | None = None) -> set[int]:
    """The authority and all below it (district under city under province); `tree` (authority_tree)
    when the caller walks several roots."""
    children = authority_tree() if tree is None else tree
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def own_institution(staff: Staff) -> Institution:
    """The institution an institution's staff member acts for; other staff have none."""
    if staff.institution is None:
        raise DomainError("该功能仅限医疗卫生机构账号使用。", status=403)
    return staff.institution


def own_authority(staff: Staff) -> HealthAuthority:
    """The health authority an authority's staff member acts for; other staff have none."""
    if staff.health_authority is None:
        raise DomainError("该功能仅限卫生健康行政部门账号使用。", status=403)
    return staff.health_authority


def own_province_id(staff: Staff) -> int:
    """The province whose bank, papers and arrangements this staff member works on."""
    if staff.role == Role.ASSESSOR and staff.assessment_body is not None:
        return staff.assessment_body.province_id
    if staff.role == Role.AUTHORITY:
        return own_authority(staff).province_id
    if staff.role == Role.INSTITUTION:
        return own_institution(staff).province_id
    raise DomainError("您没有权限执行此操作。", status=403)


READ_ONLY_MATERIAL = "题库、试卷和培训课程由考核机构或省级卫生健康行政部门维护，您只能查看。"


def check_edits_material(staff: Staff) -> None:
    """The province's exam and training material (bank, papers, courses) is kept by its assessment
    bodies and its provincial authority (the root of its tree); a city or district authority applies
    it and reads it — an edit there would change every paper of the province (issue 20)."""
    if staff.role == Role.ASSESSOR and staff.assessment_body is not None:
        return
    if staff.role == Role.AUTHORITY and staff.health_authority is not None and staff.health_authority.parent_id is None:
        return
    raise DomainError(READ_ONLY_MATERIAL, status=403)


def institution_ids(staff: Staff) -> set[int]:
    if staff.role == Role.INSTITUTION:
        return {staff.institution_id} if staff.institution_id else set()
    if staff.role == Role.ASSESSOR:
        return set(db.session.scalars(select(Institution.id).where(
            Institution.assessment_body_id == staff.assessment_body_id)))
    if staff.role == Role.AUTHORITY:
        return set(db.session.scalars(select(Institution.id).where(
            Institution.health_authority_id.in_(authority_ids(own_authority(staff).id)))))
    return set()


def physician_in_scope(staff: Staff, physician_id: int) -> Physician | None:
    physician = db.session.get(Physician, physician_id)
    if physician is None or physician.institution_id not in institution_ids(staff):
        return None
    return physician


def registration_in_scope(staff: Staff, registration_id: int) -> Registration | None:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.physician.institution_id not in institution_ids(staff):
        return None
    return registration

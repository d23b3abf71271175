"""我要报名 use cases: save a step (draft), submit (snapshot), and 免考申请. One transaction each."""
from __future__ import annotations

import copy
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, func, select

from wechat_app import clock, pii
from wechat_app.domain import eligibility, wizard
from wechat_app.domain.cycles import Window
from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import mask, mask_phone, stated_in
from wechat_app.domain.registration import Action, Actor, Status, apply, check
from wechat_app.domain.transaction import unit_of_work
from wechat_app.domain.uploads import FILE_FIELDS, store_image
from wechat_app.extensions import db
from wechat_app.models import Department, Exemption, Physician, Registration, RegistrationSnapshot, Upload


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    data: bytes


def context_for(registration: Registration) -> wizard.Context:
    physician, cycle = registration.physician, registration.cycle
    departments = db.session.execute(
        select(Department.id, Department.name, Department.subject_codes)
        .where(Department.institution_id == physician.institution_id, Department.enabled.is_(True))
        .order_by(Department.id)).all()
    return wizard.Context(
        id_number_18=physician.id_number_18, departments={str(d.id): list(d.subject_codes or []) for d in departments},
        period_start=cycle.period_start, period_end=cycle.period_end, cutoff=cycle.cutoff_date,
        rules=cycle.province.procedure_rules or {}, department_names={str(d.id): d.name for d in departments})


def initial_draft(physician: Physician) -> dict:
    """The form starts from what the institution registered, so the physician confirms, not retypes."""
    stated = stated_in(physician.id_number_18)  # the ID number states gender and birth date
    gender, born = stated if stated else (physician.gender, physician.birth_date)
    day = lambda value: f"{value:%Y-%m-%d}" if value else ""  # noqa: E731
    return {
        "1": {"gender": gender or "", "birth": day(born), "ethnicity": physician.ethnicity or "",
              "education": physician.education or "", "email": physician.email or ""},
        "2": {"department": str(physician.department_id or ""), "specialties": list(physician.specialties or []),
              "level": physician.level or "", "category": physician.category or "",
              "scope": physician.practice_scope or "", "title": physician.title or "",
              "title_date": day(physician.title_date), "post": physician.post or "", "post_date": day(physician.post_date),
              "certificate_number": physician.certificate_number or "", "certificate_date": day(physician.certificate_date)},
    }


def draft_of(registration: Registration) -> dict:
    return registration.draft or initial_draft(registration.physician)


def editable(registration: Registration) -> bool:
    return registration.status in (Status.OPEN, Status.DRAFT, Status.REJECTED)


def save_step(registration: Registration, step: int, data: dict, files: dict[str, list[IncomingFile]],
              actor: Actor) -> dict[str, str]:
    """Keep what was typed for `step` (even incomplete) plus any new uploads; returns upload errors.
    Raises DomainError when the registration cannot be edited now.

    Two saves of the same draft at once (the autosave and 保存, or two open pages) meet the version
    check: the later one is merged again, uploads included, on top of what the earlier one stored."""
    try:
        with unit_of_work():
            return _save_step(registration, step, data, files, actor)
    except DomainError as exc:
        if exc.status != 409:
            raise
    db.session.refresh(registration)
    with unit_of_work("内容正在其他页面保存，请刷新页面后重试。"):
        return _save_step(registration, step, data, files, actor)


def _save_step(registration: Registration, step: int, data: dict, files: dict[str, list[IncomingFile]],
               actor: Actor) -> dict[str, str]:
    check(registration, Action.SAVE, actor)
    draft = copy.deepcopy(draft_of(registration))
    key = str(step)
    kept = draft.get(key, {})
    merged = {**kept, **data}
    errors = {}
    for (file_step, field), (kind, limit) in FILE_FIELDS.items():
        if file_step != key:
            continue
        current = list(kept.get(field) or [])
        for incoming in files.get(field, []):
            try:
                upload = store_image(registration.physician_id, kind, incoming.filename, incoming.data)
            except DomainError as exc:
                errors[field] = str(exc)
                continue
            current = ([upload.id] if limit == 1 else current + [upload.id])[-limit:]
        removed = set(data.get(f"remove_{field}", []))
        merged[field] = [upload_id for upload_id in current if str(upload_id) not in removed]
        merged.pop(f"remove_{field}", None)
    draft[key] = merged
    registration.draft = draft
    apply(registration, Action.SAVE, actor)
    db.session.flush()  # the version check happens here, inside the unit of work
    return errors


SNAPSHOT_ID_NUMBER, SNAPSHOT_PHONE = "registration_snapshots.id_number", "registration_snapshots.phone"


def sealed_identity(physician: Physician) -> dict:
    """Who submitted, as the snapshot keeps it. The ID number and phone are part of the record,
    sealed like the physician's own columns (wechat_app/pii.py); pages show the masked forms."""
    id_number = physician.id_number_18 or physician.id_number
    return {"name": physician.name, "id_type": physician.id_type,
            "id_number_sealed": pii.seal(id_number, SNAPSHOT_ID_NUMBER), "id_number_masked": mask(id_number),
            "phone_sealed": pii.seal(physician.phone, SNAPSHOT_PHONE) if physician.phone else None,
            "phone_masked": mask_phone(physician.phone),
            "institution": physician.institution.name if physician.institution else None}


def snapshot_data(registration: Registration, draft: dict, found: list[eligibility.Condition]) -> dict:
    return {
        "identity": sealed_identity(registration.physician),
        "steps": copy.deepcopy(draft),
        "conditions": [{"number": c.number, "text": c.text, "holds": c.holds, "why": c.why} for c in found],
    }


def submit(registration: Registration, actor: Actor) -> RegistrationSnapshot:
    """提交信息: every step valid → status to 待医疗卫生机构审核 and an immutable snapshot."""
    action = Action.RESUBMIT if registration.status == Status.REJECTED else Action.SUBMIT
    check(registration, action, actor)
    draft = draft_of(registration)
    ctx = context_for(registration)
    invalid = wizard.first_invalid_step(draft, ctx, clock.today())
    if invalid:
        step, errors = invalid
        raise DomainError(f"第{step}步（{wizard.STEPS[step]}）还有未完成的内容。", fields=errors, step=step)
    found = wizard.conditions(draft, ctx)
    number = (db.session.scalar(select(func.count(RegistrationSnapshot.id))
                                .where(RegistrationSnapshot.registration_id == registration.id)) or 0) + 1
    procedure = draft["5"]["procedure"]
    snapshot = RegistrationSnapshot(registration_id=registration.id, number=number, procedure=procedure,
                                    data=snapshot_data(registration, draft, found), submitted_at=clock.now())
    # A double-tapped 提交 (or a review) got there first: one submission, not two. The loser meets
    # either the snapshot's unique number or the registration's version check.
    with unit_of_work("报名信息已提交，请勿重复提交。"):
        apply(registration, action, actor)
        registration.procedure = procedure
        registration.category, registration.level = draft["2"].get("category"), draft["2"].get("level")
        registration.submitted_at = snapshot.submitted_at
        db.session.add(snapshot)
    return snapshot


def latest_snapshot(registration: Registration) -> RegistrationSnapshot | None:
    return db.session.scalar(latest_snapshot_query(registration))


def latest_snapshot_query(registration: Registration):
    return (select(RegistrationSnapshot).where(RegistrationSnapshot.registration_id == registration.id)
            .order_by(RegistrationSnapshot.number.desc()).limit(1))


def latest_snapshot_and_department(registration: Registration,
                                   institution_id: int | None) -> tuple[RegistrationSnapshot | None, dict[str, str]]:
    """`latest_snapshot` with the name of the department it states (of `institution_id`), in one
    query: what the status page shows ({department id: name}, empty when there is none)."""
    stated = RegistrationSnapshot.data["steps"]["2"]["department"].as_string()
    row = db.session.execute(latest_snapshot_query(registration).add_columns(Department.id, Department.name).outerjoin(
        Department, and_(cast(Department.id, String) == stated, Department.institution_id == institution_id))).first()
    if row is None:
        return None, {}
    snapshot, department_id, name = row
    return snapshot, ({str(department_id): name} if department_id is not None else {})


def uploads_of(physician_id: int, ids: list[int]) -> list[Upload]:
    if not ids:
        return []
    rows = db.session.scalars(select(Upload).where(Upload.physician_id == physician_id, Upload.id.in_(ids))).all()
    return sorted(rows, key=lambda u: ids.index(u.id))


# --- 免考申请 ---------------------------------------------------------------------------------------

def exemption_refusal(registration: Registration | None, today=None) -> str | None:
    """Why this physician cannot apply for 免考 now (None: they can)."""
    if registration is None:
        return "未开通报名，请联系医疗卫生机构。"
    window = Window("exemption", "免考申请", registration.cycle.exemption_start, registration.cycle.exemption_end)
    if not window.is_open(today):
        span = f"{window.start:%Y-%m-%d} ~ {window.end:%Y-%m-%d}" if window.start and window.end else "尚未公布"
        return f"不在免考申请时间内（{span}）。"
    past_the_test = {
        Status.PASSED: "您的考核结果已发布（考核合格），无需申请免考。",
        Status.FAILED: "您的考核结果已发布（考核不合格），本周期不能再申请免考。",
        Status.MAKEUP: "您已列入待补考名单，请参加补考，本周期不能再申请免考。",
        Status.EXEMPT: "您的免考申请已审核通过，无需再次申请。",
    }
    if registration.status in past_the_test:
        return past_the_test[Status(registration.status)]
    if registration.status != Status.AWAITING_TEST:
        return "报名信息经医疗卫生机构审核、考核机构复核通过后才能申请免考。"
    return None


def existing_exemption(registration: Registration | None) -> Exemption | None:
    if registration is None:
        return None
    return db.session.scalar(select(Exemption).where(Exemption.registration_id == registration.id))


def apply_for_exemption(registration: Registration, category: str, explanation: str,
                        files: list[IncomingFile], physician_id: int) -> Exemption:
    """免考申请: stored, or DomainError with the problems by field."""
    refusal = exemption_refusal(registration) or (
        "您已提交免考申请，请等待审核结果。" if existing_exemption(registration) is not None else None)
    if refusal:
        raise DomainError(refusal, fields={"category": refusal})
    errors = {}
    if category not in wizard.EXEMPTION_CATEGORIES:
        errors["category"] = "请选择免考事由。"
    if not 10 <= len(explanation.strip()) <= 1000:
        errors["explanation"] = "情况说明应为10-1000字。"
    if not files:
        errors["evidence"] = "请上传证明材料（如专业技术资格证、规培合格证）。"
    if errors:
        raise DomainError("；".join(errors.values()), fields=errors)
    with unit_of_work():
        evidence = []
        for incoming in files[:5]:
            try:
                evidence.append(store_image(physician_id, "exemption", incoming.filename, incoming.data).id)
            except DomainError as exc:
                raise DomainError(exc.message, fields={"evidence": exc.message}) from None
        application = Exemption(registration_id=registration.id, category=category,
                                explanation=explanation.strip(), evidence=evidence)
        db.session.add(application)
    return application



"""Audit rows, added to the caller's transaction (the use case commits them with its change), and
the audit log as people read it.

Each row is stamped with the region it belongs to when it is written: the institution of its object
(or of its actor), and for actions above institutions the health authority whose region they touch
(a province-wide action belongs to the province's root authority). An authority reads the rows of
its institutions and of its own subtree of authorities, nothing of another region.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, String, cast, or_, select

from wechat_app.extensions import db
from wechat_app.models import (
    AssessmentBody,
    AuditLog,
    Cycle,
    Department,
    HealthAuthority,
    Institution,
    Physician,
    Registration,
    Staff,
)
from wechat_app.models.enums import ExamRound, Role

ACTIONS = {
    "staff_login": "登录管理后台", "staff_create": "创建后台账号", "account_locked": "密码错误次数过多，账号锁定",
    "wechat_bind": "绑定微信", "wechat_unbind": "解除微信绑定", "password_change": "修改密码",
    "phone_bind": "绑定手机", "password_reset_sms": "短信找回密码",
    "physician_create": "新增医师", "physician_import": "导入医师", "physician_transfer_out": "调离医师",
    "physician_transfer_in": "调入医师", "physician_reset_password": "重置医师密码",
    "physician_unbind_phone": "解绑医师手机", "enroll": "开通报名",
    "department_save": "保存科室", "department_enable": "启用科室", "department_disable": "停用科室",
    "department_delete": "删除科室", "cycle_update": "修改考核时间安排",
    "assessor_apply": "申请成为考核机构", "assessor_application_approved": "考核机构申请审核通过",
    "assessor_application_rejected": "考核机构申请审核不通过", "assign_assessment_body": "指定考核机构",
    "export_physicians": "导出医师列表", "export_progress": "导出本院医师考核进度", "export_registrations": "导出报名情况",
    "review_institution_approve": "报名审核通过", "review_institution_reject": "报名审核驳回",
    "review_assessor_approve": "报名复核通过", "review_assessor_reject": "报名复核驳回",
    "exemption_approved": "免考审核通过", "exemption_rejected": "免考审核不通过",
    "questions_import": "导入题库", "question_retire": "停用题目", "question_edit": "修改题目（新版本）", "question_restore": "重新启用题目", "paper_create": "创建试卷",
    "arrangement_create": "创建考试安排", "arrangement_publish": "发布考试安排",
    "face_check_approved": "人脸审核通过", "face_check_rejected": "人脸审核驳回",
    "results_publish": "发布考核结果", "results_absentees": "标记缺考", "makeup_confirm": "确认待补考名单",
    "export_results": "导出考核结果", "export_audit": "导出操作日志", "export_results_filing": "导出考核结果备案表（完整证件号码）", "course_create": "创建培训课程", "course_lesson_add": "上传课程视频",
    "course_textbook_add": "上传电子教材", "course_mock_add": "添加模拟试卷", "course_publish": "发布课程",
    "course_unpublish": "下架课程", "export_course_progress": "导出课程学习情况",
    "seal_update": "设置公章", "seal_remove": "删除公章",
    "sms_fallback_on": "开启短信补发", "staff_activate": "启用后台账号", "staff_deactivate": "停用后台账号",
    "staff_reset_password": "重置后台账号密码", "institution_create": "新建医疗卫生机构", "sms_fallback_off": "关闭短信补发",
}
DETAIL_NAMES = {"reason": "原因", "count": "人数", "rows": "行数", "name": "名称", "body": "考核机构", "role": "角色",
                "first_login": "首次登录", "replaced": "替换原绑定", "work": "工作成绩", "ethics": "职业道德",
                "round": "轮次", "paper": "试卷", "arrangement": "考试安排", "question": "题目", "course": "课程", "full_id": "完整证件号码",
                "skipped": "跳过重复", "questions_replaced": "替换原题"}
# Values stored as codes, shown as people read them (issue 23: "轮次：regular" in the log)
DETAIL_VALUES = {"round": {r.value: r.label for r in ExamRound}}


def record(actor_type: str, actor_id: object, action: str, target_type: str | None = None,
           target_id: object = None, ip: str | None = None, **detail) -> None:
    institution_id, authority_id = region_of(target_type, target_id)
    if institution_id is None and authority_id is None:
        institution_id, authority_id = region_of(actor_type, actor_id)
    db.session.add(AuditLog(actor_type=actor_type, actor_id=None if actor_id is None else str(actor_id),
                            action=action, target_type=target_type,
                            target_id=None if target_id is None else str(target_id), ip=ip, detail=detail,
                            institution_id=institution_id, authority_id=authority_id))


def region_of(kind: str | None, key: object) -> tuple[int | None, int | None]:
    """(institution id, health authority id) of an object or actor; rows usually in the session."""
    if key is None or not str(key).isdigit():
        return None, None
    model = {"physician": Physician, "registration": Registration, "institution": Institution,
             "department": Department, "staff": Staff, "cycle": Cycle}.get(kind or "")
    row = db.session.get(model, int(str(key))) if model else None
    if isinstance(row, Physician):
        return row.institution_id or row.left_institution_id, None
    if isinstance(row, Registration):
        return row.physician.institution_id, None
    if isinstance(row, Institution):
        return row.id, None
    if isinstance(row, Department):
        return row.institution_id, None
    if isinstance(row, Cycle):
        return None, province_authority(row.province_id)
    if isinstance(row, Staff):
        if row.institution_id:
            return row.institution_id, None
        if row.health_authority_id:
            return None, row.health_authority_id
        return None, province_authority(row.assessment_body.province_id) if row.assessment_body else None
    return None, None


def province_authority(province_id: int) -> int | None:
    return db.session.scalar(select(HealthAuthority.id).where(HealthAuthority.province_id == province_id,
                                                              HealthAuthority.parent_id.is_(None)))


def visible_to(query: Select, institution_ids: set[int], authority_ids: set[int]) -> Select:
    return query.where(or_(AuditLog.institution_id.in_(institution_ids), AuditLog.authority_id.in_(authority_ids)))


@dataclass(frozen=True)
class Filters:
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    actor: str = ""  # a part of the name of the staff member or physician who acted


def searched(institution_ids: set[int], authority_ids: set[int], filters: Filters) -> Select:
    """The region's rows, newest first, by action, date range and who acted."""
    query = visible_to(select(AuditLog).order_by(AuditLog.id.desc()), institution_ids, authority_ids)
    if filters.action in ACTIONS:
        query = query.where(AuditLog.action == filters.action)
    if filters.since:
        query = query.where(AuditLog.created_at >= datetime.combine(filters.since, time.min))
    if filters.until:
        query = query.where(AuditLog.created_at < datetime.combine(filters.until + timedelta(days=1), time.min))
    words = filters.actor.strip()[:40]
    if words:
        staff = select(cast(Staff.id, String)).where(Staff.name.contains(words, autoescape=True))
        physicians = select(cast(Physician.id, String)).where(Physician.name.contains(words, autoescape=True))
        query = query.where(or_((AuditLog.actor_type == "staff") & AuditLog.actor_id.in_(staff),
                                (AuditLog.actor_type == "physician") & AuditLog.actor_id.in_(physicians)))
    return query


@dataclass(frozen=True)
class Line:
    """One audit row as a person reads it."""

    time: datetime
    actor: str
    action: str
    target: str
    ip: str
    detail: str


def readable(rows: list[AuditLog]) -> list[Line]:
    """Names instead of ids, Chinese instead of codes: a few batched queries for the whole page."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        for kind, key in ((row.actor_type, row.actor_id), (row.target_type, row.target_id)):
            if kind and key and key.isdigit():
                wanted.setdefault(kind, set()).add(int(key))
    names = {kind: describe(kind, ids) for kind, ids in wanted.items()}

    def name(kind: str | None, key: str | None) -> str:
        if kind in ("system", "wechat"):
            return "系统" if kind == "system" else "微信"
        return names.get(kind or "", {}).get(int(key), f"已删除（{key}）") if key and key.isdigit() else ""

    return [Line(row.created_at, name(row.actor_type, row.actor_id), ACTIONS.get(row.action, row.action),
                 name(row.target_type, row.target_id), row.ip or "", detail_text(row.detail or {})) for row in rows]


def describe(kind: str, ids: set[int]) -> dict[int, str]:
    if kind == "staff":
        return {s.id: f"{s.name}（{Role(s.role).label}·{organisation(s)}）"
                for s in db.session.scalars(select(Staff).where(Staff.id.in_(ids)))}
    if kind == "physician":
        return {p.id: f"医师 {p.name}" + (f"（{p.institution.name}）" if p.institution else "")
                for p in db.session.scalars(select(Physician).where(Physician.id.in_(ids)))}
    if kind == "registration":
        return {r.id: f"{r.physician.name} 的报名（{r.cycle.name}）"
                for r in db.session.scalars(select(Registration).where(Registration.id.in_(ids)))}
    named: dict[str, type[Institution] | type[Department] | type[Cycle] | type[AssessmentBody]] = {
        "institution": Institution, "department": Department, "cycle": Cycle, "assessment_body": AssessmentBody}
    model = named.get(kind)
    if model is None:
        return {}
    prefix = {"institution": "", "department": "科室 ", "cycle": "考核周期 ", "assessment_body": ""}[kind]
    rows: list[Institution | Department | Cycle | AssessmentBody] = list(db.session.scalars(select(model).where(model.id.in_(ids))))
    return {row.id: prefix + row.name for row in rows}


def organisation(staff: Staff) -> str:
    org = staff.institution or staff.assessment_body or staff.health_authority
    return org.name if org else ""


def detail_text(detail: dict) -> str:
    def value(v) -> str:
        return "是" if v is True else "否" if v is False else str(v)
    return "；".join(f"{DETAIL_NAMES.get(k, k)}：{DETAIL_VALUES.get(k, {}).get(v, value(v))}"
                    for k, v in detail.items() if v not in (None, ""))

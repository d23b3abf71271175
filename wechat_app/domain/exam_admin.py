"""The console's side of exams: papers (the rules that assemble one), 考试安排 (a paper for a target
and a window), publishing (the 考试通知 to everyone it targets), a preview, and the reminders
(the day before a window opens, and on its last day to those who have not finished).

The assessment body arranges the 正式 round for its institutions; the authority (定考办) arranges
the 补考 round for its province after confirming the 待补考名单 (domain/results.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select

from wechat_app import clock
from wechat_app.domain import audit, exams, notifications
from wechat_app.domain.authority import owns_cycles
from wechat_app.domain.errors import DomainError
from wechat_app.domain.notifications import Addressee
from wechat_app.domain.scopes import check_edits_material, own_province_id
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    Cycle,
    Institution,
    Paper,
    Physician,
    Registration,
    Staff,
    WeChatUser,
)
from wechat_app.models.enums import ExamRound, QuestionPool, Role, Status

PROCEDURES = ("简易程序", "一般程序")
RULE_LINE = re.compile(r"^\s*(A1|A2|A3|A4|B1|X)\s+(\S+)\s+(\d{1,3})\s+(\d{1,2})\s*$", re.IGNORECASE)


def parse_rules(text: str) -> list[dict]:
    """One rule a line: 题型 知识点 题数 每题分值 (知识点 “-” for any), e.g. "A1 医学人文 20 2"."""
    rules, problems = [], []
    for number, line in enumerate((text or "").strip().splitlines(), start=1):
        match = RULE_LINE.match(line)
        if not match:
            problems.append(f"第{number}行应为“题型 知识点 题数 每题分值”，如“A1 医学人文 20 2”")
            continue
        kind, topic, count, points = match.groups()
        rules.append({"kind": kind.upper(), "count": int(count), "points": int(points), "topic": None if topic == "-" else topic})
    if problems or not rules:
        raise DomainError("；".join(problems) or "请填写组卷规则。", fields={"rules": "；".join(problems)})
    return rules


@use_case()
def create_paper(staff: Staff, title: str, rules_text: str, pass_mark: int | None, duration: int | None,
                 ip: str | None) -> Paper:
    """试卷 are the assessment bodies' (the authority arranges its 补考 on one of them, issue 23)."""
    if staff.role != Role.ASSESSOR:
        raise DomainError("试卷由考核机构组卷，卫生健康行政部门安排补考时选用已有试卷。", status=403)
    check_edits_material(staff)
    rules = parse_rules(rules_text)
    total = sum(rule["count"] * rule["points"] for rule in rules)
    if not title:
        raise DomainError("请填写试卷名称。")
    if db.session.scalar(select(Paper.id).where(Paper.province_id == own_province_id(staff), Paper.title == title)):
        raise DomainError(f"已有名为“{title}”的试卷，请换一个名称（考试安排按名称选择试卷）。")
    if pass_mark is None or not 0 < pass_mark <= total:
        raise DomainError(f"合格分应在1到总分{total}之间。")
    if duration is None or not 10 <= duration <= 300:
        raise DomainError("考试时长应为10到300分钟。")
    paper = Paper(province_id=own_province_id(staff), title=title, rules=rules, pass_mark=pass_mark,
                  duration_minutes=duration)
    # Refused now, with the rule that cannot be filled, rather than when physicians open it
    exams.assemble(paper, paper.province_id, None, 1, QuestionPool.EXAM)
    db.session.add(paper)
    db.session.flush()
    audit.record("staff", staff.id, "paper_create", "staff", staff.id, ip, paper=paper.id)
    return paper


@dataclass(frozen=True)
class ArrangementInput:
    paper_id: int | None
    name: str
    round: str
    procedure: str
    category: str | None
    level: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    attempts: int | None
    away_budget: int | None = None  # 切屏 allowed before the paper is handed in (None: counted only)


def check_input(staff: Staff, data: ArrangementInput) -> Paper:
    check_edits_material(staff)
    paper = db.session.get(Paper, data.paper_id or 0)
    if paper is None or paper.province_id != own_province_id(staff):
        raise DomainError("请选择试卷。")
    if data.round not in set(ExamRound):
        raise DomainError("请选择正式考试或补考。")
    if (staff.role == Role.AUTHORITY) != (data.round == ExamRound.MAKEUP):
        raise DomainError("正式考试由考核机构安排，补考由卫生健康行政部门安排。", status=403)
    if staff.role == Role.AUTHORITY and not owns_cycles(staff):
        raise DomainError("补考安排由省级卫生健康行政部门发布，您只能查看。", status=403)
    if data.procedure not in PROCEDURES:
        raise DomainError("请选择考核程序。")
    if not data.name:
        raise DomainError("请填写考试名称。")
    if data.starts_at is None or data.ends_at is None or data.ends_at <= data.starts_at:
        raise DomainError("请填写考试开始和结束时间，结束须晚于开始。")
    if data.attempts is None or not 1 <= data.attempts <= 50:
        raise DomainError("可考次数应为1到50次。")
    return paper


def within_test_window(cycle: Cycle, data: ArrangementInput) -> None:
    """正式考试 inside the cycle's 测评 window, as the province published it (issue 23, defect 7: one
    outside it was sat while the physicians' home said 测评 未开始). 补考 comes after it."""
    if data.starts_at is None or data.ends_at is None:
        return
    if data.round == ExamRound.REGULAR:
        if cycle.test_start is None or cycle.test_end is None:
            raise DomainError("本周期尚未设置测评时间，请先由省级卫生健康行政部门在【考核周期】中设置。")
        if data.starts_at.date() < cycle.test_start or data.ends_at.date() > cycle.test_end:
            raise DomainError(f"正式考试须安排在本周期测评时间（{cycle.test_start:%Y-%m-%d}至{cycle.test_end:%Y-%m-%d}）内，"
                              "请调整考试时间。")
    elif cycle.test_start is not None and data.starts_at.date() < cycle.test_start:
        raise DomainError(f"补考须安排在本周期测评开始（{cycle.test_start:%Y-%m-%d}）之后。")


@use_case()
def create_arrangement(staff: Staff, cycle: Cycle, data: ArrangementInput, ip: str | None) -> Arrangement:
    paper = check_input(staff, data)
    # Every refusal before anything is written
    exams.assemble(paper, cycle.province_id, data.category, 1, QuestionPool.EXAM)  # refuses a paper the bank cannot fill
    within_test_window(cycle, data)
    arrangement = Arrangement(
        cycle_id=cycle.id, paper_id=paper.id, name=data.name, round=data.round, procedure=data.procedure,
        category=data.category or None, level=data.level or None, starts_at=data.starts_at, ends_at=data.ends_at,
        attempts_allowed=data.attempts, away_budget=data.away_budget, created_by=staff.id,
        assessment_body_id=staff.assessment_body_id if staff.role == Role.ASSESSOR else None)
    db.session.add(arrangement)
    db.session.flush()
    audit.record("staff", staff.id, "arrangement_create", "cycle", cycle.id, ip, arrangement=arrangement.id)
    return arrangement


def visible(staff: Staff, cycle: Cycle) -> list[Arrangement]:
    """The arrangements a staff member sees: a body its own and the province's 补考 (its physicians
    sit it); an authority all of its province's."""
    query = select(Arrangement).where(Arrangement.cycle_id == cycle.id).order_by(Arrangement.starts_at, Arrangement.id)
    if staff.role == Role.ASSESSOR:
        query = query.where((Arrangement.assessment_body_id == staff.assessment_body_id)
                            | (Arrangement.assessment_body_id.is_(None) & (Arrangement.round == ExamRound.MAKEUP)))
    return list(db.session.scalars(query))


def can_see(staff: Staff, arrangement: Arrangement) -> bool:
    """Reading an arrangement (its preview, its progress): one `visible` lists, in the staff member's province."""
    if arrangement.paper.province_id != own_province_id(staff):
        return False
    if staff.role == Role.ASSESSOR:
        return arrangement.assessment_body_id in (staff.assessment_body_id, None) and (
            arrangement.assessment_body_id is not None or arrangement.round == ExamRound.MAKEUP)
    return staff.role == Role.AUTHORITY


def owned(staff: Staff, arrangement: Arrangement) -> bool:
    """Changing an arrangement (publishing it): the body that made it; the provincial authority its 补考."""
    if staff.role == Role.ASSESSOR:
        return arrangement.assessment_body_id == staff.assessment_body_id
    return staff.role == Role.AUTHORITY and arrangement.assessment_body_id is None \
        and owns_cycles(staff, arrangement.paper.province_id)


def targeted(arrangement: Arrangement, unfinished_only: bool = False) -> list[tuple[int, Addressee]]:
    """The registrations an arrangement is for, now (`exams.arrangements_for`'s rule, in SQL: one
    query whatever their number), each with whom its notices go to; `unfinished_only`: those who
    have not handed in a paper of it."""
    status = Status.MAKEUP if arrangement.round == ExamRound.MAKEUP else Status.AWAITING_TEST
    query = (select(Registration.id, Physician.id, WeChatUser.openid, Physician.phone)
             .join(Physician, Registration.physician_id == Physician.id)
             .outerjoin(WeChatUser, WeChatUser.physician_id == Physician.id)
             .where(Registration.cycle_id == arrangement.cycle_id, Registration.status == status,
                    Registration.procedure == arrangement.procedure))
    if arrangement.category is not None:
        query = query.where(func.coalesce(Registration.category, Physician.category) == arrangement.category)
    if arrangement.level is not None:
        query = query.where(func.coalesce(Registration.level, Physician.level) == arrangement.level)
    if arrangement.assessment_body_id is not None:
        query = query.join(Institution, Physician.institution_id == Institution.id).where(
            Institution.assessment_body_id == arrangement.assessment_body_id)
    if unfinished_only:
        query = query.where(~exists().where(Attempt.physician_id == Physician.id,
                                            Attempt.arrangement_id == arrangement.id,
                                            Attempt.submitted_at.is_not(None)))
    return [(registration_id, Addressee(physician_id, openid, phone))
            for registration_id, physician_id, openid, phone in db.session.execute(query.order_by(Registration.id))]


def notice_fields(arrangement: Arrangement, note: str) -> dict[str, str]:
    """考试通知 / 考试提醒: a `time` field holds one time (WeChat refuses a range with 47003), so the
    window's end goes into the last line."""
    return {"thing1": arrangement.name, "time2": f"{arrangement.starts_at:%Y年%m月%d日 %H:%M}",
            "thing3": f"{arrangement.ends_at:%m月%d日%H:%M}截止，{note}"}


@use_case("该考试安排正在由他人发布，请刷新后查看。")
def publish(staff: Staff, arrangement: Arrangement, ip: str | None) -> notifications.Reach:
    """发布: the physicians it targets see it under 参加考试 and get the 考试通知 (once each)."""
    if not owned(staff, arrangement):
        raise DomainError("该考试安排不在您的管辖范围内。", status=404)
    if arrangement.published_at is not None:
        raise DomainError("该考试安排已发布。", status=409)
    arrangement.published_at = clock.now()
    db.session.flush()
    people = targeted(arrangement)
    fields = notice_fields(arrangement, f"可考{arrangement.attempts_allowed}次")
    sms_fallback = notifications.sms_fallback_in(arrangement.paper.province_id)
    notifications.queue_templates("exam_notice", "/m/exams", (
        (addressee, f"exam-notice:{arrangement.id}:{registration_id}", fields) for registration_id, addressee in people),
        sms_fallback=sms_fallback, batch=batches(arrangement)[0][1])
    audit.record("staff", staff.id, "arrangement_publish", "cycle", arrangement.cycle_id, ip,
                 arrangement=arrangement.id, count=len(people))
    return notifications.reach((addressee for _, addressee in people), sms_fallback)


def batches(arrangement: Arrangement) -> list[tuple[str, str]]:
    """(what, batch) of the notices an arrangement sends: its 考试通知 and its two 考试提醒."""
    return [("考试通知", f"exam-notice:{arrangement.id}"), ("考前一天提醒", reminder_batch(arrangement, "eve")),
            ("最后一天提醒", reminder_batch(arrangement, "last"))]


def reminder_batch(arrangement: Arrangement, kind: str) -> str:
    return f"exam-reminder:{arrangement.id}:{kind}"


def remind(now: datetime | None = None) -> int:
    """考试提醒: the day before a window opens, to everyone it targets; on its last day, to those
    who have not finished a paper. Each reminder is sent once and recorded on the arrangement, in its
    own transaction: the job runs every minute, and a minute with nothing due is one query."""
    now = now or clock.now()
    due = db.session.scalars(select(Arrangement).where(
        Arrangement.published_at.is_not(None), Arrangement.ends_at > now,
        Arrangement.starts_at <= now + timedelta(days=1),
        or_(Arrangement.eve_reminded_at.is_(None), Arrangement.last_day_reminded_at.is_(None)))).all()
    queued = 0
    for arrangement in due:
        eve = now < arrangement.starts_at
        last_day = not eve and arrangement.ends_at.date() == now.date()
        if (eve and arrangement.eve_reminded_at is None) or (last_day and arrangement.last_day_reminded_at is None):
            queued += send_reminder(arrangement, now, eve)
    return queued


def send_reminder(arrangement: Arrangement, now: datetime, eve: bool) -> int:
    kind = "eve" if eve else "last"
    with unit_of_work():
        fields = notice_fields(arrangement, "明天开始" if eve else "今天最后一天")
        queued = notifications.queue_templates("exam_reminder", "/m/exams", (
            (addressee, f"exam-reminder:{arrangement.id}:{registration_id}:{kind}", fields)
            for registration_id, addressee in targeted(arrangement, unfinished_only=not eve)),
            sms_fallback=notifications.sms_fallback_in(arrangement.paper.province_id),
            batch=reminder_batch(arrangement, kind))
        if eve:
            arrangement.eve_reminded_at = now
        else:
            arrangement.last_day_reminded_at = now
    return queued

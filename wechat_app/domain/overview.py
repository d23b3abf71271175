"""概况: the cycle as a health authority (or an assessment body, or an institution) oversees it — the
funnel from 未开通 to the result, pass rates, 免考, the face checks waiting for staff, how many notices
reached their physician, and the registrations and sittings day by day; drilled down region by region
(the province sees its cities, a city its districts, a district its institutions). An institution also
sees each of its physicians: registration, papers, result and training (`physicians_progress`).

Every figure is a grouped query over the institutions in scope, whatever their number. The funnel of a
large scope (`LIST_COUNT_KEPT_ABOVE` physicians or more: a pass over a province's 100,000 is most of the
page's cost) is kept for a minute, as a large list's count is (domain/paging.py).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from wechat_app import clock
from wechat_app.domain import audit, exam_admin, paging, physicians, results, spreadsheets
from wechat_app.domain.registration import Status, label
from wechat_app.domain.scopes import authority_ids, authority_tree, institution_ids, own_authority, own_institution
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    Cycle,
    Enrolment,
    FaceCheck,
    HealthAuthority,
    Institution,
    LessonProgress,
    Notification,
    Physician,
    Registration,
    RegistrationSnapshot,
    Staff,
)
from wechat_app.models.enums import ExamRound, FaceVerdict, Role

# The funnel's stages, in order, and the statuses each gathers (未开通: no registration at all; 已考:
# 等待测评 with a paper of this cycle handed in, the result not yet published).
STAGES: list[tuple[str, tuple[Status, ...]]] = [
    ("未开通", ()),
    ("报名中", (Status.OPEN, Status.DRAFT, Status.REJECTED)),
    ("待审核", (Status.PENDING_INSTITUTION,)),
    ("待复核", (Status.PENDING_ASSESSOR,)),
    ("等待测评", (Status.AWAITING_TEST,)),
    ("已考", ()),
    ("免考", (Status.EXEMPT,)),
    ("合格", (Status.PASSED,)),
    ("不合格", (Status.FAILED,)),
    ("待补考", (Status.MAKEUP,)),
]
DAYS = 30  # the time series' length


@dataclass
class Figures:
    """One region's (or institution's) figures."""

    name: str
    physicians: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    sat: int = 0  # physicians who handed in a formal paper this cycle

    @property
    def decided(self) -> int:
        return sum(self.stages.get(s, 0) for s in ("合格", "不合格", "待补考"))

    @property
    def pass_rate(self) -> float | None:
        return round(100 * self.stages.get("合格", 0) / self.decided, 1) if self.decided else None


@dataclass
class Overview:
    title: str
    total: Figures
    rows: list[tuple[Figures, int | None]]  # a row and the region id to drill into (None: an institution)
    face_backlog: int
    delivery: tuple[int, int, int]  # notices of this cycle's fan-outs: total, reached by WeChat, reached by SMS
    series: list[tuple[str, int, int]]  # day, registrations submitted, papers handed in
    kept: bool = False  # the funnel is the one counted in the last minute


def stage_of(status: str | None) -> str:
    for name, statuses in STAGES:
        if status in statuses:
            return name
    return "未开通"


def figures_by_institution(ids: set[int], cycle: Cycle) -> dict[int, Figures]:
    """Two grouped queries: every physician with this cycle's registration, if any (none: 未开通),
    and the papers of this cycle handed in (who has sat; 等待测评 who has is 已考)."""
    found = {i: Figures("") for i in ids}
    if not ids:
        return found
    for institution_id, status, number in db.session.execute(
            select(Physician.institution_id, Registration.status, func.count(Physician.id))
            .outerjoin(Registration, (Registration.physician_id == Physician.id) & (Registration.cycle_id == cycle.id))
            .where(Physician.institution_id.in_(ids))
            .group_by(Physician.institution_id, Registration.status)):
        figures = found[institution_id]
        figures.physicians += number
        stage = stage_of(status)
        figures.stages[stage] = figures.stages.get(stage, 0) + number
    for institution_id, status, number in db.session.execute(
            select(Physician.institution_id, Registration.status, func.count(func.distinct(Attempt.physician_id)))
            .select_from(Attempt).join(Arrangement, Attempt.arrangement_id == Arrangement.id)
            .join(Physician, Attempt.physician_id == Physician.id)
            .join(Registration, (Registration.physician_id == Physician.id) & (Registration.cycle_id == cycle.id))
            .where(Arrangement.cycle_id == cycle.id, Attempt.submitted_at.is_not(None),
                   Physician.institution_id.in_(ids))
            .group_by(Physician.institution_id, Registration.status)):
        found[institution_id].sat += number
        if status == Status.AWAITING_TEST:  # handed in, the result still to come
            found[institution_id].stages["等待测评"] -= number
            found[institution_id].stages["已考"] = number
    return found


def summed(name: str, parts: list[Figures]) -> Figures:
    total = Figures(name, sum(p.physicians for p in parts), {}, sum(p.sat for p in parts))
    for stage, _ in STAGES:
        total.stages[stage] = sum(p.stages.get(stage, 0) for p in parts)
    return total


def region_of(staff: Staff, region_id: int | None) -> HealthAuthority | None:
    """The region a staff member looks at: an authority's own, or one below it it asked for (never
    one outside its tree)."""
    if staff.role != Role.AUTHORITY:
        return None
    own = own_authority(staff)
    if region_id and region_id in authority_ids(own.id):
        return db.session.get(HealthAuthority, region_id)
    return own


def overview(staff: Staff, cycle: Cycle, region_id: int | None = None) -> Overview:
    region = region_of(staff, region_id)
    ids = institution_ids(staff)
    if region is not None:
        ids &= set(db.session.scalars(select(Institution.id).where(
            Institution.health_authority_id.in_(authority_ids(region.id)))))
    per_institution, kept = kept_figures(ids, cycle)
    institutions = {i.id: i for i in db.session.scalars(select(Institution).where(Institution.id.in_(ids)))}
    for institution_id, figures in per_institution.items():
        figures.name = institutions[institution_id].name
    rows: list[tuple[Figures, int | None]] = []
    children = list(db.session.scalars(select(HealthAuthority).where(HealthAuthority.parent_id == region.id)
                                       .order_by(HealthAuthority.id))) if region is not None else []
    if region is not None and children:
        tree = authority_tree()  # one query for every child's subtree
        for child in children:
            below = authority_ids(child.id, tree)
            rows.append((summed(child.name, [f for i, f in per_institution.items()
                                             if institutions[i].health_authority_id in below]), child.id))
        direct = [f for i, f in per_institution.items() if institutions[i].health_authority_id == region.id]
        rows += [(f, None) for f in direct]
    else:
        rows = [(f, None) for f in sorted(per_institution.values(), key=lambda f: f.name)]
    title = region.name if region is not None else (staff.assessment_body.name if staff.assessment_body
                                                      else staff.institution.name if staff.institution else "")
    return Overview(title, summed("合计", list(per_institution.values())), rows, face_backlog(ids, cycle),
                    delivery(ids, cycle), series(ids, cycle), kept)


def kept_figures(ids: set[int], cycle: Cycle) -> tuple[dict[int, Figures], bool]:
    """`figures_by_institution`, kept for a minute when the scope holds `LIST_COUNT_KEPT_ABOVE`
    physicians or more (paging.kept_for_a_minute); True when these are the kept ones."""
    above = paging.kept_above()
    if not above:
        return figures_by_institution(ids, cycle), False
    key = f"overview:{cycle.id}:" + hashlib.sha256(repr(sorted(ids)).encode()).hexdigest()
    value, kept = paging.kept_for_a_minute(
        key, lambda: json.dumps({i: (f.physicians, f.stages, f.sat) for i, f in figures_by_institution(ids, cycle).items()}),
        lambda value: sum(n for n, _, _ in json.loads(value).values()) >= above)
    return {int(i): Figures("", n, stages, sat) for i, (n, stages, sat) in json.loads(value).items()}, kept


def face_backlog(ids: set[int], cycle: Cycle) -> int:
    if not ids:
        return 0
    return db.session.scalar(select(func.count(FaceCheck.id)).join(Physician, FaceCheck.physician_id == Physician.id)
                             .join(Arrangement, FaceCheck.arrangement_id == Arrangement.id)
                             .where(Physician.institution_id.in_(ids), Arrangement.cycle_id == cycle.id,
                                    FaceCheck.verdict == FaceVerdict.REVIEW)) or 0


def delivery(ids: set[int], cycle: Cycle) -> tuple[int, int, int]:
    """This cycle's fan-outs (考试通知, 提醒, 考核结果) to physicians in scope: notices, reached by WeChat,
    reached by SMS in their place."""
    if not ids:
        return 0, 0, 0
    batches = [batch for arrangement in db.session.scalars(select(Arrangement).where(Arrangement.cycle_id == cycle.id))
               for _, batch in exam_admin.batches(arrangement)] + [results.result_batch(cycle, r) for r in ExamRound]
    counts: Counter[str] = Counter()
    for channel, status, number in db.session.execute(
            select(Notification.channel, Notification.status, func.count(Notification.id))
            .join(Physician, Notification.physician_id == Physician.id)
            .where(Notification.batch.in_(batches), Physician.institution_id.in_(ids))
            .group_by(Notification.channel, Notification.status)):
        if channel == "template":
            counts["total"] += number
        if status == "sent":
            counts[channel] += number
    return counts["total"], counts["template"], counts["sms"]


def series(ids: set[int], cycle: Cycle, days: int = DAYS) -> list[tuple[str, int, int]]:
    """The last `days` days: registrations first submitted, formal papers handed in."""
    today = clock.today()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min)
    submitted: Counter[date] = Counter()
    handed_in: Counter[date] = Counter()
    if ids:
        for (moment,) in db.session.execute(
                select(RegistrationSnapshot.submitted_at).join(Registration, RegistrationSnapshot.registration_id == Registration.id)
                .join(Physician, Registration.physician_id == Physician.id)
                .where(RegistrationSnapshot.number == 1, Registration.cycle_id == cycle.id,
                       Physician.institution_id.in_(ids), RegistrationSnapshot.submitted_at >= start)):
            submitted[moment.date()] += 1
        for (moment,) in db.session.execute(
                select(Attempt.submitted_at).join(Physician, Attempt.physician_id == Physician.id)
                .join(Arrangement, Attempt.arrangement_id == Arrangement.id)
                .where(Arrangement.cycle_id == cycle.id, Physician.institution_id.in_(ids), Attempt.submitted_at >= start)):
            handed_in[moment.date()] += 1
    return [(f"{day:%m-%d}", submitted[day], handed_in[day]) for day in (first + timedelta(days=n) for n in range(days))]


@dataclass(frozen=True)
class PhysicianProgress:
    """One physician of an institution in this cycle: where the registration stands, the papers
    handed in and the best score, and the training (courses chosen, lessons finished, 学时)."""

    physician: Physician
    registration: Registration | None
    papers: int
    best_score: int | None
    courses: int
    lessons_done: int
    credited_seconds: int

    @property
    def stage(self) -> str:
        status = self.registration.status if self.registration else None
        return "已考" if status == Status.AWAITING_TEST and self.papers else stage_of(status)


def progress_query(institution_id: int, cycle: Cycle, words: str):
    """An institution's own physicians with their registration of this cycle (searched by name or ID number)."""
    query = (select(Physician, Registration)
             .outerjoin(Registration, (Registration.physician_id == Physician.id) & (Registration.cycle_id == cycle.id))
             .where(Physician.institution_id == institution_id).options(joinedload(Physician.department))
             .order_by(Physician.id))
    return query.where(physicians.matching(words)) if words.strip() else query


def physicians_progress(institution_id: int, cycle: Cycle, words: str, number: int) -> paging.Page:
    """An institution's own physicians, a page at a time, each with their registration, exam and
    training status: the page, then one grouped query each for the papers and the training."""
    page = paging.paginate(progress_query(institution_id, cycle, words), number, rows_as_tuples=True)
    return replace(page, rows=progress_of(page.rows, cycle))


def progress_of(pairs, cycle: Cycle) -> list[PhysicianProgress]:
    """(physician, registration) pairs with their papers and training, in three grouped queries."""
    ids = [physician.id for physician, _ in pairs]
    papers = {physician_id: (count, best) for physician_id, count, best in db.session.execute(
        select(Attempt.physician_id, func.count(Attempt.id), func.max(Attempt.score))
        .join(Arrangement, Attempt.arrangement_id == Arrangement.id)
        .where(Attempt.physician_id.in_(ids), Arrangement.cycle_id == cycle.id, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.physician_id))}
    courses: dict[int, int] = dict(db.session.execute(
        select(Enrolment.physician_id, func.count(Enrolment.id))
        .where(Enrolment.physician_id.in_(ids)).group_by(Enrolment.physician_id)).tuples().all())
    lessons = {physician_id: (done or 0, seconds or 0) for physician_id, done, seconds in db.session.execute(
        select(LessonProgress.physician_id, func.sum(case((LessonProgress.done.is_(True), 1), else_=0)),
               func.sum(LessonProgress.credited_seconds))
        .where(LessonProgress.physician_id.in_(ids)).group_by(LessonProgress.physician_id))}
    return [PhysicianProgress(physician, registration, *papers.get(physician.id, (0, None)),
                              courses.get(physician.id, 0), *lessons.get(physician.id, (0, 0)))
            for physician, registration in pairs]


PROGRESS_HEADER = ("姓名", "证件号码", "科室", "本周期状态", "进度", "已交卷", "最高分", "已选课程", "已学完课时", "学时")


@use_case()
def progress_workbook(staff: Staff, cycle: Cycle, words: str, ip: str | None) -> bytes:
    """本院医师考核进度 as .xlsx, every row the search finds (ID numbers masked, as on the page), recorded
    like any export of personal data. An institution's physicians are hundreds to a few thousand: one read."""
    institution = own_institution(staff)
    rows = progress_of(db.session.execute(progress_query(institution.id, cycle, words)).all(), cycle)
    audit.record("staff", staff.id, "export_progress", "institution", institution.id, ip, rows=len(rows))
    return spreadsheets.export("本院医师考核进度", PROGRESS_HEADER, [
        (row.physician.name, row.physician.masked_id_number,
         row.physician.department.name if row.physician.department else "",
         label(row.registration.status if row.registration else None), row.stage, row.papers,
         "" if row.best_score is None else row.best_score, row.courses, row.lessons_done,
         round(row.credited_seconds / 3600, 1)) for row in rows])


def workbook(view: Overview) -> bytes:
    """The overview as .xlsx: the regions (or institutions) with their funnel, then the day-by-day series."""
    header = ("地区/机构", "医师数", *[name for name, _ in STAGES], "已参加测评", "合格率%")
    rows = [(f.name, f.physicians, *[f.stages.get(name, 0) for name, _ in STAGES], f.sat,
             "" if f.pass_rate is None else f.pass_rate) for f, _ in view.rows + [(view.total, None)]]
    rows += [(), ("日期", "报名提交", "交卷")] + [tuple(day) for day in view.series]
    return spreadsheets.export("概况", header, rows)

"""考核结果 as the assessment body checks them before 发布 and the authorities read them after: one
row per physician with the institution, the procedure, the three dimensions, the best score of each
paper, the attempts, the face checks refused or sent to staff, the photos that did not match and the
切屏 — a page at a time, each page's figures in a few grouped queries whatever its length.

The 备案 export (医师法 第四十二条: the entrusted body reports the results to the health authority
for 备案) carries full ID numbers; it is the assessment body's, and recorded in the audit log. Every
other list and export shows them masked.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from wechat_app.domain import audit, exams, paging, physicians, reviews, spreadsheets
from wechat_app.domain.errors import DomainError
from wechat_app.domain.results import (
    Best,
    Decision,
    best_attempts,
    best_per_paper,
    candidates_query,
    decide_among,
    ready,
)
from wechat_app.domain.scopes import institution_ids
from wechat_app.domain.transaction import unit_of_work
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    Cycle,
    ExamCapture,
    FaceCheck,
    Institution,
    Physician,
    Registration,
    Result,
    Staff,
)
from wechat_app.models.enums import CaptureVerdict, ExamRound, FaceVerdict, Role

DOUBTFUL_CHECKS = (FaceVerdict.REFUSED, FaceVerdict.REVIEW, FaceVerdict.REJECTED)
DOUBTFUL_PHOTOS = (CaptureVerdict.MISMATCH, CaptureVerdict.NO_FACE)


@dataclass(frozen=True)
class Filters:
    words: str = ""  # a name or an ID number
    institution_id: int | None = None
    procedure: str = ""


@dataclass(frozen=True)
class Sitting:
    """What one physician did in the papers of the round."""

    scores: list[tuple[str, Best | None]]  # (paper, best attempt over its sessions) for each paper to sit
    attempts: int
    doubtful_checks: int
    doubtful_photos: int
    away: int


@dataclass(frozen=True)
class Row:
    registration: Registration
    sitting: Sitting
    decision: Decision | None  # what 发布 would record; None until every paper's window is over
    result: Result | None = None  # after 发布
    no_paper: bool = False  # no published paper covers the physician yet
    ratings: tuple[str | None, str | None] = (None, None)  # 工作成绩, 职业道德 as the institution rated them


def filtered(query: Select, filters: Filters) -> Select:
    if filters.words.strip():
        query = query.where(physicians.matching(filters.words))
    if filters.institution_id:
        query = query.where(Registration.institution_id == filters.institution_id)
    if filters.procedure in ("简易程序", "一般程序"):
        query = query.where(Registration.procedure == filters.procedure)
    return query


def per_physician(query: Select) -> dict[int, int]:
    """(physician id, a count or sum) grouped by physician, as a dict."""
    first = query.selected_columns[0]
    return {physician_id: int(value or 0) for physician_id, value in db.session.execute(query.group_by(first))}


def sittings(registrations: list[Registration], papers_of_round: list[Arrangement],
             best: dict[tuple[int, int], Best]) -> dict[int, Sitting]:
    """Each registration's sitting, in four grouped queries for the lot; `best`: their best attempts at
    the round's papers (results.best_attempts), which the caller also decides from."""
    people = [r.physician_id for r in registrations]
    paper_ids = [a.id for a in papers_of_round]
    if not people or not paper_ids:
        return {r.id: Sitting([], 0, 0, 0, 0) for r in registrations}
    mine = (Attempt.physician_id.in_(people), Attempt.arrangement_id.in_(paper_ids))
    attempts = per_physician(select(Attempt.physician_id, func.count(Attempt.id)).where(*mine))
    away = per_physician(select(Attempt.physician_id, func.sum(Attempt.away_count)).where(*mine))
    checks = per_physician(select(FaceCheck.physician_id, func.count(FaceCheck.id)).where(
        FaceCheck.physician_id.in_(people), FaceCheck.arrangement_id.in_(paper_ids),
        FaceCheck.verdict.in_([v.value for v in DOUBTFUL_CHECKS])))
    photos = per_physician(select(Attempt.physician_id, func.count(ExamCapture.id))
                           .join(Attempt, ExamCapture.attempt_id == Attempt.id)
                           .where(*mine, ExamCapture.verdict.in_([v.value for v in DOUBTFUL_PHOTOS])))
    found = {}
    for registration in registrations:
        papers = exams.covering(papers_of_round, registration)
        person = registration.physician_id
        titles = {a.paper_id: a.paper.title for a in papers}
        found[registration.id] = Sitting([(titles[paper_id], attempt) for paper_id, attempt in
                                          best_per_paper(person, papers, best).items()], attempts.get(person, 0),
                                         checks.get(person, 0), photos.get(person, 0), away.get(person, 0))
    return found


def pending(staff: Staff, cycle: Cycle, exam_round: ExamRound, filters: Filters, number: int) -> paging.Page:
    """The registrations 待发布 this round, a page of Rows with what 发布 would decide for each."""
    # In registration order: by institution was a sort of every candidate (96 → 57 ms at 100,000); the
    # institution is a filter
    query = filtered(candidates_query(staff, cycle, exam_round), filters).options(
        contains_eager(Registration.physician).joinedload(Physician.institution)).order_by(Registration.id)
    page = paging.paginate(query, number)
    registrations: list[Registration] = page.rows
    papers_of_round = exams.published_arrangements(cycle.id, exam_round)
    best = best_attempts([r.physician_id for r in registrations], [a.id for a in papers_of_round])
    sat = sittings(registrations, papers_of_round, best)
    rows = []
    for registration in registrations:
        papers = exams.covering(papers_of_round, registration)
        rated = reviews.ratings(registration)
        decision = decide_among(registration, rated, papers, best) if ready(registration, rated[1], papers) else None
        rows.append(Row(registration, sat[registration.id], decision, no_paper=decision is None and not papers,
                        ratings=rated))
    return replace(page, rows=rows)


def published_query(staff: Staff, cycle: Cycle, filters: Filters) -> Select:
    query = (select(Result).join(Registration, Result.registration_id == Registration.id)
             .join(Physician, Registration.physician_id == Physician.id)
             .where(Registration.cycle_id == cycle.id, Registration.institution_id.in_(institution_ids(staff)))
             .options(contains_eager(Result.registration).contains_eager(Registration.physician)
                      .joinedload(Physician.institution)))
    return filtered(query, filters).order_by(Physician.institution_id, Physician.id, Result.id)


def published(staff: Staff, cycle: Cycle, filters: Filters, number: int) -> paging.Page:
    """The results published this cycle in scope, a page of Rows."""
    page = paging.paginate(published_query(staff, cycle, filters), number)
    results: list[Result] = page.rows
    by_round: dict[str, list[Arrangement]] = {r: exams.published_arrangements(cycle.id, ExamRound(r)) for r in ExamRound}
    sat: dict[tuple[str, int], Sitting] = {}
    for exam_round in ExamRound:
        mine = [r.registration for r in results if r.round == exam_round]
        best = best_attempts([r.physician_id for r in mine], [a.id for a in by_round[exam_round]])
        sat |= {(exam_round.value, key): value for key, value in sittings(mine, by_round[exam_round], best).items()}
    rows = [Row(r.registration, sat[(r.round, r.registration_id)], None, r) for r in results]
    return replace(page, rows=rows)


FILING_HEADER = ("医疗卫生机构", "姓名", "证件号码", "考核程序", "轮次", "工作成绩", "职业道德", "业务水平", "测评成绩",
                 "考核结果", "评定依据", "发布时间")


def filing_export(staff: Staff, cycle: Cycle, ip: str | None) -> bytes:
    """The 备案 table the assessment body sends the health authority: every published result in its
    scope with full ID numbers (the authority matches them to its registrations). The body's alone,
    and recorded as such in the audit log."""
    if staff.role != Role.ASSESSOR:
        raise DomainError("备案表由考核机构导出报送卫生健康行政部门。", status=403)
    rows = db.session.scalars(published_query(staff, cycle, Filters())).all()
    data = spreadsheets.export("考核结果备案", FILING_HEADER, [
        (r.registration.physician.institution.name if r.registration.physician.institution else "",
         r.registration.physician.name, r.registration.physician.id_number_18 or r.registration.physician.id_number,
         r.registration.procedure or "", ExamRound(r.round).label, r.work or "", r.ethics or "", r.skill or "",
         "" if r.score is None else r.score, r.overall, r.rule, f"{r.published_at:%Y-%m-%d %H:%M}") for r in rows])
    with unit_of_work():
        audit.record("staff", staff.id, "export_results_filing", "cycle", cycle.id, ip, rows=len(rows), full_id=True)
    return data


def institutions_in(staff: Staff) -> list[Institution]:
    return list(db.session.scalars(select(Institution).where(Institution.id.in_(institution_ids(staff)))
                                   .order_by(Institution.name)))


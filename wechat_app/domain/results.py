"""考核结果: the rule that decides a registration's result, publishing results (which moves the
registration through the state machine and queues the 考核结果 notice), 缺考, the 待补考名单, and
the public verification of a printed 考核结果通知书.

The rule (医师定期考核管理办法 第十七条/第十九条; reference/domain.md §3.2 and item 11): the result is
合格 only when 工作成绩, 职业道德 and 业务水平 are each 合格. 业务水平 is 合格 when every paper the
physician had to sit was passed (the best attempt counts), or when 免考 was granted; a physician who
sat none of them is 缺考, and 缺考 counts as 不合格. A physician whose 职业道德 was rated 不合格 sits
no test and is 不合格.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Integer, Select, func, insert, select
from sqlalchemy.orm import joinedload

from wechat_app import clock
from wechat_app.domain import audit, exams, notifications, reviews, spreadsheets
from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import mask, mask_name
from wechat_app.domain.registration import Action, Actor, apply, apply_all
from wechat_app.domain.scopes import institution_ids
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    AssessmentBody,
    Attempt,
    Cycle,
    Physician,
    Registration,
    Result,
    Staff,
    WeChatUser,
)
from wechat_app.models.enums import ExamRound, Rating, Role, Status

ABSENT = "缺考"
EXEMPTED = "免考"
NOT_SAT = "未参加"
# Who is decided in each round: the 正式 round takes those waiting for the test and the exempted,
# the 补考 round those on the confirmed 待补考名单.
DECIDED_IN = {ExamRound.REGULAR: (Status.AWAITING_TEST, Status.EXEMPT), ExamRound.MAKEUP: (Status.MAKEUP,)}


@dataclass(frozen=True)
class Decision:
    work: str | None
    ethics: str | None
    skill: str
    overall: Rating
    rule: str
    score: int | None


@dataclass(frozen=True)
class Best:
    """A physician's best attempt at one paper: its score, and whether it passed."""

    score: int
    passed: bool


def skill_of(registration: Registration, papers: list[Arrangement],
             best: dict[tuple[int, int], Best]) -> tuple[str, int | None]:
    """业务水平: 合格 / 不合格 / 缺考 / 免考, and the score that decided it, from the papers the physician
    had to sit and the best attempts, (physician, arrangement) → Best."""
    if registration.status == Status.EXEMPT:
        return EXEMPTED, None
    mine = list(best_per_paper(registration.physician_id, papers, best).values())
    if all(attempt is None for attempt in mine):  # no paper, or none sat
        return ABSENT, None
    passed = all(attempt is not None and attempt.passed for attempt in mine)
    total = sum(attempt.score for attempt in mine if attempt is not None)
    return (Rating.PASS.value if passed else Rating.FAIL.value), total


def best_per_paper(physician_id: int, papers: list[Arrangement],
                   best: dict[tuple[int, int], Best]) -> dict[int, Best | None]:
    """Paper id → the physician's best attempt over its sessions: two arrangements of one paper for one
    target are two sittings (场次) of it, either of which counts, not two papers to pass."""
    found: dict[int, Best | None] = {}
    for arrangement in papers:
        attempt = best.get((physician_id, arrangement.id))
        kept = found.get(arrangement.paper_id)
        if kept is None or (attempt is not None and (attempt.passed, attempt.score) > (kept.passed, kept.score)):
            found[arrangement.paper_id] = attempt if attempt is not None else kept
    return found


def best_attempts(physician_ids: list[int], arrangement_ids: list[int]) -> dict[tuple[int, int], Best]:
    """The best scored attempt of each (physician, arrangement), in one grouped query. A paper passes
    at its pass mark, so the best attempt passed exactly when any did."""
    if not physician_ids or not arrangement_ids:
        return {}
    rows = db.session.execute(select(Attempt.physician_id, Attempt.arrangement_id, func.max(Attempt.score),
                                     func.max(func.coalesce(Attempt.passed, False).cast(Integer)))
                              .where(Attempt.arrangement_id.in_(arrangement_ids), Attempt.physician_id.in_(physician_ids),
                                     Attempt.score.is_not(None))
                              .group_by(Attempt.physician_id, Attempt.arrangement_id))
    return {(physician_id, arrangement_id): Best(score, bool(passed))
            for physician_id, arrangement_id, score, passed in rows}


def decide(registration: Registration, exam_round: ExamRound) -> Decision:
    """The result of one registration (what `publish` decides for many)."""
    papers = exams.arrangements_for(registration, exam_round)
    best = best_attempts([registration.physician_id], [arrangement.id for arrangement in papers])
    return decide_among(registration, reviews.ratings(registration), papers, best)


def decide_among(registration: Registration, ratings: tuple[str | None, str | None], papers: list[Arrangement],
                 best: dict[tuple[int, int], Best]) -> Decision:
    work, ethics = ratings
    if work is None or ethics is None:  # every approval rates both (reviews.check_decision)
        return Decision(work, ethics, NOT_SAT, Rating.FAIL, "工作成绩、职业道德未经医疗卫生机构评定，考核不合格。", None)
    if ethics == Rating.FAIL:
        return Decision(work, ethics, NOT_SAT, Rating.FAIL, "职业道德评定为不合格，不参加业务水平测评，考核不合格。", None)
    skill, score = skill_of(registration, papers, best)
    if work == Rating.FAIL:
        return Decision(work, ethics, skill, Rating.FAIL, "工作成绩评定为不合格，考核不合格。", score)
    if skill == ABSENT:
        return Decision(work, ethics, skill, Rating.FAIL, "未参加业务水平测评，缺考视为不合格。", score)
    if skill == Rating.FAIL:
        return Decision(work, ethics, skill, Rating.FAIL, "业务水平测评成绩未达到合格分数线，考核不合格。", score)
    why = "免于业务水平测评，" if skill == EXEMPTED else ""
    return Decision(work, ethics, skill, Rating.PASS, f"工作成绩、职业道德合格，{why}业务水平合格，考核合格。", score)


def ready(registration: Registration, ethics: str | None, papers: list[Arrangement]) -> bool:
    """A result waits for every paper's window to end (an attempt may still be running), unless
    the physician has no test (免考, or 职业道德 不合格) — and for a paper to be published at all: a
    physician no paper covers yet is not 缺考 (a 补考 published before its arrangement marked the
    whole 待补考名单 absent)."""
    if registration.status == Status.EXEMPT or ethics == Rating.FAIL:
        return True
    now = clock.now()
    return bool(papers) and all(arrangement.ends_at <= now for arrangement in papers)


def candidates_query(staff: Staff, cycle: Cycle, exam_round: ExamRound) -> Select:
    statuses = [status.value for status in DECIDED_IN[exam_round]]
    return (select(Registration).join(Physician, Registration.physician_id == Physician.id)
            .where(Registration.cycle_id == cycle.id, Registration.status.in_(statuses),
                   Registration.institution_id.in_(institution_ids(staff))))


def why_nothing_published(staff: Staff, cycle: Cycle, exam_round: ExamRound, absentees_only: bool) -> str:
    """What to tell the body when 发布 (or 标记缺考) found nothing to do (issue 23: "已发布0名" said nothing)."""
    waiting = db.session.scalar(select(func.count()).select_from(candidates_query(staff, cycle, exam_round).subquery()))
    if not waiting:
        return f"没有待发布{exam_round.label}考核结果的医师。"
    if absentees_only:
        return f"{waiting}名待发布的医师中没有缺考的医师（考试时间未结束的，结束后再标记）。"
    return (f"{waiting}名医师待发布，但其考试时间尚未结束或尚无覆盖其的已发布考试安排，考试结束后才能发布"
            "（免考及职业道德不合格的医师可随时发布）。")


def candidates(staff: Staff, cycle: Cycle, exam_round: ExamRound) -> list[Registration]:
    """Registrations of the institutions in this staff member's scope awaiting a result this round."""
    return list(db.session.scalars(candidates_query(staff, cycle, exam_round).order_by(Registration.id)))


CHUNK = 1000  # registrations decided and committed together: a province's 100,000 in 100 transactions


def chunks_of(staff: Staff, cycle: Cycle, exam_round: ExamRound) -> Iterator[list[Registration]]:
    """The candidates CHUNK at a time, by id (keyset: each chunk is read after the last one committed),
    each with its physician and institution loaded in the same query."""
    last = 0
    while True:
        chunk = list(db.session.scalars(
            candidates_query(staff, cycle, exam_round).where(Registration.id > last)
            .options(joinedload(Registration.physician).joinedload(Physician.institution))
            .order_by(Registration.id).limit(CHUNK)).unique())
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def record_all(staff: Staff, cycle: Cycle, exam_round: ExamRound, decided: list[tuple[Registration, Decision]]) -> None:
    """The result rows, the transitions they drive (the state machine's `apply_all`) and the notices,
    in the caller's transaction: a constant number of statements for the lot."""
    if not decided:
        return
    db.session.execute(insert(Result).execution_options(render_nulls=True), [
        {"registration_id": registration.id, "round": exam_round.value, "work": decision.work, "ethics": decision.ethics,
         "skill": decision.skill, "overall": decision.overall.value, "rule": decision.rule, "score": decision.score,
         "token": secrets.token_urlsafe(24), "revoked": False, "published_by": staff.id, "published_at": clock.now()}
        for registration, decision in decided])
    apply_all([(registration, Action.PASS if decision.overall == Rating.PASS else Action.FAIL, decision.rule)
               for registration, decision in decided], Actor(Role.ASSESSOR, staff.id))
    openids = dict(db.session.execute(select(WeChatUser.physician_id, WeChatUser.openid).where(
        WeChatUser.physician_id.in_([registration.physician_id for registration, _ in decided]))).tuples().all())
    notifications.queue_templates("assessment_result", "/m/results", (
        (notifications.Addressee(registration.physician_id, openids.get(registration.physician_id),
                                 registration.physician.phone),
         f"result:{registration.id}:{exam_round.value}",
         {"thing1": cycle.name, "phrase2": decision.overall.value, "thing3": decision.rule})
        for registration, decision in decided),
        sms_fallback=notifications.sms_fallback_in(cycle.province_id), batch=result_batch(cycle, exam_round))


def result_batch(cycle: Cycle, exam_round: ExamRound) -> str:
    """The notices of 发布考核结果 of one round, for its delivery report."""
    return f"result:{cycle.id}:{exam_round.value}"


def publish(staff: Staff, cycle: Cycle, exam_round: ExamRound, ip: str | None, absentees_only: bool = False) -> int:
    """发布考核结果 for everyone in scope whose papers' windows are over (or, for 缺考, only those
    who sat none of them — which puts them on the 待补考名单). Returns how many were published.

    This cycle's papers past their deadline are submitted first, each in its own transaction
    (exams.submit). The results are then decided and recorded CHUNK registrations at a time, each
    chunk one transaction of a constant number of statements: a publication interrupted half-way
    leaves the rest 待发布, and publishing again finishes it."""
    if staff.role != Role.ASSESSOR:
        raise DomainError("考核结果由考核机构发布。", status=403)
    exams.submit_overdue(cycle_id=cycle.id)
    papers_of_cycle = exams.published_arrangements(cycle.id, exam_round)
    published = 0
    for chunk in chunks_of(staff, cycle, exam_round):
        with unit_of_work("考核结果正在由他人发布，请刷新后查看。"):
            best = best_attempts([registration.physician_id for registration in chunk],
                                 [arrangement.id for arrangement in papers_of_cycle])
            decided = []
            for registration in chunk:
                papers = exams.covering(papers_of_cycle, registration)
                rated = reviews.ratings(registration)
                if not ready(registration, rated[1], papers):
                    continue
                decision = decide_among(registration, rated, papers, best)
                if absentees_only and decision.skill != ABSENT:
                    continue
                decided.append((registration, decision))
            record_all(staff, cycle, exam_round, decided)
            published += len(decided)
    with unit_of_work():
        audit.record("staff", staff.id, "results_absentees" if absentees_only else "results_publish", "cycle",
                     cycle.id, ip, round=exam_round.value, count=published)
        return published


def makeup_list(staff: Staff, cycle: Cycle) -> list[Registration]:
    """待补考名单: 考核不合格 in the 正式 round, in this staff member's region."""
    return list(db.session.scalars(select(Registration).join(Physician, Registration.physician_id == Physician.id)
                                   .where(Registration.cycle_id == cycle.id, Registration.status == Status.FAILED,
                                          Physician.institution_id.in_(institution_ids(staff)))
                                   .order_by(Registration.id)))


@use_case("待补考名单正在由他人确认，请刷新后查看。")
def confirm_makeup_list(staff: Staff, cycle: Cycle, ip: str | None) -> int:
    """The 定考办 confirms the 待补考名单: each moves to 待补考 and may sit the 补考 arrangement."""
    if staff.role != Role.AUTHORITY:
        raise DomainError("待补考名单由卫生健康行政部门确认。", status=403)
    rows = makeup_list(staff, cycle)
    for registration in rows:
        apply(registration, Action.MAKEUP, Actor(Role.AUTHORITY, staff.id), reason="列入待补考名单")
    audit.record("staff", staff.id, "makeup_confirm", "cycle", cycle.id, ip, count=len(rows))
    return len(rows)


EXPORT_HEADER = ("医疗卫生机构", "姓名", "证件号码", "轮次", "工作成绩", "职业道德", "业务水平", "测评成绩", "考核结果",
                 "评定依据", "发布时间")


def export(staff: Staff, cycle: Cycle, ip: str | None) -> bytes:
    """考核结果 of the institutions in scope (ID numbers masked), recorded like every export."""
    rows = db.session.execute(select(Result, Physician).join(Registration, Result.registration_id == Registration.id)
                              .join(Physician, Registration.physician_id == Physician.id)
                              .where(Registration.cycle_id == cycle.id, Registration.institution_id.in_(institution_ids(staff)))
                              .order_by(Physician.institution_id, Physician.id, Result.id)).all()
    data = spreadsheets.export("考核结果", EXPORT_HEADER, [
        (p.institution.name if p.institution else "", p.name, p.masked_id_number, ExamRound(r.round).label, r.work or "",
         r.ethics or "", r.skill or "", "" if r.score is None else r.score, r.overall, r.rule,
         f"{r.published_at:%Y-%m-%d %H:%M}") for r, p in rows])
    with unit_of_work():
        audit.record("staff", staff.id, "export_results", "cycle", cycle.id, ip, rows=len(rows))
    return data


def results_of(registration: Registration) -> list[Result]:
    return list(db.session.scalars(select(Result).where(Result.registration_id == registration.id)
                                   .order_by(Result.published_at)))


def notice_number(result: Result) -> str:
    """The 编号 printed on the 考核结果通知书 and shown when its QR code is scanned, to match the two."""
    return f"DK{result.published_at:%Y}{result.id:08d}"


def issuer_of(result: Result) -> AssessmentBody | None:
    """The 考核机构 that published the result (the body of the staff member who did), else the one the
    physician's institution is assigned to."""
    publisher = db.session.get(Staff, result.published_by) if result.published_by else None
    if publisher is not None and publisher.assessment_body is not None:
        return publisher.assessment_body
    institution = result.registration.physician.institution
    return institution.assessment_body if institution else None


@dataclass(frozen=True)
class Verified:
    """What the public verification page may show: the notice's 编号 and institution to match a printed
    notice, and nothing that identifies the physician beyond the masked forms."""

    number: str
    name: str
    id_number: str
    institution: str
    cycle: str
    overall: str
    published_on: str


def verify(token: str) -> Verified | None:
    """A printed notice's QR token: its result, or None for a forged, unknown or revoked token."""
    if not token or len(token) > 40:
        return None
    result = db.session.scalar(select(Result).where(Result.token == token))
    if result is None or result.revoked:
        return None
    physician = result.registration.physician
    return Verified(notice_number(result), mask_name(physician.name), mask(physician.id_number_18 or physician.id_number),
                    physician.institution.name if physician.institution else "—", result.registration.cycle.name,
                    result.overall, f"{result.published_at:%Y-%m-%d}")


def progress(staff: Staff, arrangement: Arrangement) -> dict[str, int]:
    """Live progress of one arrangement in this staff member's scope."""
    ids = institution_ids(staff)
    attempts = list(db.session.scalars(select(Attempt).join(Physician, Attempt.physician_id == Physician.id)
                                       .where(Attempt.arrangement_id == arrangement.id,
                                              Physician.institution_id.in_(ids))))
    people = {a.physician_id for a in attempts}
    finished = {a.physician_id for a in attempts if a.submitted_at is not None}
    passing = {a.physician_id for a in attempts if a.passed}
    return {"started": len(people), "finished": len(finished), "passing": len(passing)}

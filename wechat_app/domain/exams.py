"""参加考试: which papers a physician must sit, and the engine that runs an attempt — assembling a
paper from the bank, shuffling it per attempt, saving every answer as it is given, a deadline kept
on the server, submission (by the physician, or by the clock) and scoring.

Rules (DESIGN.md §4.1, reference/domain.md §3.4): 简易程序 sit the 公共知识医学人文测评卷, 一般程序 the
综合试卷 of their 执业类别 and 级别; only 报名完成-等待测评 (or 待补考 for the 补考 round) may start one;
a physician whose 职业道德 was rated 不合格 has no test. The attempt count goes down when an attempt
starts. A question is scored right only when the options given are exactly its answer (X included:
a partial answer scores 0, the national papers' rule).
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import joinedload

from wechat_app import clock
from wechat_app.domain import face_checks, reviews, wrong_book
from wechat_app.domain.errors import DomainError
from wechat_app.domain.transaction import unit_of_work, use_case
from wechat_app.domain.uploads import store_image
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    AttemptAnswer,
    ExamCapture,
    MockPaper,
    Paper,
    Physician,
    Question,
    Registration,
)
from wechat_app.models.enums import ExamRound, QuestionKind, QuestionPool, Rating, Status

WAITING = "等待考试开始....."
GROUPED = (QuestionKind.A3, QuestionKind.A4, QuestionKind.B1)  # questions that share a case or options
TAKEN = "试卷正在其他页面提交，请刷新后查看。"


@dataclass(frozen=True)
class Target:
    """What decides a physician's papers: the procedure chosen, 执业类别 and 级别 as registered."""

    procedure: str | None
    category: str | None
    level: str | None
    assessment_body_id: int | None


def target_of(registration: Registration) -> Target:
    """As submitted (the registration's columns), before that as drafted, else as the institution
    keeps the physician. `exam_admin.targeted` is the same rule in SQL, for submitted registrations."""
    physician = registration.physician
    institution = physician.institution
    category, level = registration.category, registration.level
    if category is None or level is None:  # the draft is large and loaded when read: only before submission
        practice = (registration.draft or {}).get("2", {})
        category = category or practice.get("category") or physician.category
        level = level or practice.get("level") or physician.level
    return Target(registration.procedure, category, level, institution.assessment_body_id if institution else None)


def round_for(registration: Registration) -> ExamRound:
    return ExamRound.MAKEUP if registration.status == Status.MAKEUP else ExamRound.REGULAR


def arrangements_for(registration: Registration, exam_round: ExamRound | None = None) -> list[Arrangement]:
    """The published arrangements this registration must sit in `exam_round` (its current one)."""
    return covering(published_arrangements(registration.cycle_id, exam_round or round_for(registration)), registration)


def published_arrangements(cycle_id: int, exam_round: ExamRound) -> list[Arrangement]:
    """A cycle's published arrangements of one round, with their papers: a handful per province."""
    return list(db.session.scalars(published_statement(), {"cycle_id": cycle_id, "round": exam_round.value}))


@lru_cache(maxsize=1)
def published_statement():
    """`published_arrangements`' query, for a cycle_id and a round (built once per process)."""
    return (select(Arrangement).where(Arrangement.cycle_id == bindparam("cycle_id"),
                                      Arrangement.round == bindparam("round"), Arrangement.published_at.is_not(None))
            .options(joinedload(Arrangement.paper)).order_by(Arrangement.starts_at, Arrangement.id))


def covering(arrangements: list[Arrangement], registration: Registration) -> list[Arrangement]:
    """Those of `arrangements` that are for this registration: its procedure, 执业类别, 级别 and
    assessment body (an arrangement without a category, level or body is for all of them).
    exam_admin.targeted is the same rule in SQL."""
    target = target_of(registration)
    return [arrangement for arrangement in arrangements
            if arrangement.procedure == target.procedure
            and arrangement.category in (None, target.category) and arrangement.level in (None, target.level)
            and arrangement.assessment_body_id in (None, target.assessment_body_id)]


def no_test_reason(registration: Registration | None) -> str | None:
    """Why this registration has no paper to sit now, or None."""
    if registration is None:
        return "您未参加本考核周期，请联系主要执业机构开通报名。"
    if registration.status == Status.EXEMPT:
        return "您的免考申请已审核通过，本周期免于业务水平测评，无需参加考试。"
    if reviews.ratings(registration)[1] == Rating.FAIL:  # 职业道德 不合格: no test
        return "您的职业道德评定为不合格，本周期不参加测评，考核结果为不合格。"
    if registration.status in (Status.PASSED, Status.FAILED):
        return "本周期测评已结束，请在【考核结果】查看。"
    if registration.status not in (Status.AWAITING_TEST, Status.MAKEUP):
        return "报名审核通过（报名完成-等待测评）后才能参加考试。"
    return None


# --- the cards of /m/exams ----------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    arrangement: Arrangement
    attempts_left: int
    ongoing: Attempt | None
    best: Attempt | None
    refusal: str | None  # why 进入测评 is disabled, or None


def attempts_of(physician_id: int, arrangement_id: int) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(
        Attempt.physician_id == physician_id, Attempt.arrangement_id == arrangement_id).order_by(Attempt.number)))


def cards(registration: Registration, now: datetime) -> list[Card]:
    """The cards with their papers and this physician's attempts: one query however many."""
    attempts_by: dict[Arrangement, list[Attempt]] = {}
    for arrangement, attempt in db.session.execute(arrangements_with_attempts(), {
            "cycle_id": registration.cycle_id, "round": round_for(registration).value,
            "physician_id": registration.physician_id}):
        attempts_by.setdefault(arrangement, [])
        if attempt is not None:
            attempts_by[arrangement].append(attempt)
    found = []
    for arrangement in covering(list(attempts_by), registration):
        attempts = attempts_by[arrangement]
        ongoing = next((a for a in attempts if a.submitted_at is None and a.deadline > now), None)
        scored = [a for a in attempts if a.score is not None]
        best = max(scored, key=lambda a: a.score or 0) if scored else None
        left = max(arrangement.attempts_allowed - len(attempts), 0)
        found.append(Card(arrangement, left, ongoing, best, None if ongoing else start_refusal(arrangement, left, now)))
    return found


@lru_cache(maxsize=1)
def arrangements_with_attempts():
    """`published_arrangements` with one physician's attempts of each (built once per process)."""
    return (published_statement().add_columns(Attempt)
            .outerjoin(Attempt, and_(Attempt.arrangement_id == Arrangement.id,
                                     Attempt.physician_id == bindparam("physician_id")))
            .order_by(Attempt.number))


def start_refusal(arrangement: Arrangement, attempts_left: int, now: datetime) -> str | None:
    if now < arrangement.starts_at:
        return WAITING
    if now >= arrangement.ends_at:
        return f"考试已于{arrangement.ends_at:%Y-%m-%d %H:%M}结束。"
    if attempts_left <= 0:
        return "可考次数已用完。"
    return None


# --- assembling a paper -------------------------------------------------------------------------

@dataclass(frozen=True)
class Drawable:
    """What assembling a paper needs of a question: not its text. A rule's pool is hundreds of rows
    read for every attempt started (2,000 at 09:00), so they are read as plain rows, not entities."""

    id: int
    kind: str
    group_key: str | None
    keys: tuple[str, ...]  # its options' keys, as stored


def units_for(rule: dict, province_id: int, category: str | None, pool: QuestionPool) -> list[list[Drawable]]:
    """The active questions of one pool of the bank a rule may draw, as units: one question, or a
    group that shares a case (A3/A4) or options (B1) and is drawn whole."""
    query = select(Question.id, Question.kind, Question.group_key, Question.options).where(
        Question.province_id == province_id, Question.kind == rule["kind"], Question.pool == pool.value,
        Question.retired.is_(False)).order_by(Question.id)
    if rule.get("topic"):
        query = query.where(Question.topic == rule["topic"])
    if rule.get("category") or category:
        wanted = rule.get("category") or category
        query = query.where((Question.category.is_(None)) | (Question.category == wanted))
    units: dict[str, list[Drawable]] = {}
    for question_id, kind, group_key, options in db.session.execute(query):
        question = Drawable(question_id, kind, group_key, tuple(option["key"] for option in options))
        key = question.group_key if rule["kind"] in GROUPED and question.group_key else f"q{question.id}"
        units.setdefault(key, []).append(question)
    return list(units.values())


def draw(rule: dict, units: list[list[Drawable]], rng: random.Random, pool: QuestionPool) -> list[list[Drawable]]:
    rng.shuffle(units)
    chosen, count = [], 0
    for unit in units:
        if count >= rule["count"]:
            break
        unit = unit[: rule["count"] - count]
        chosen.append(unit)
        count += len(unit)
    if count < rule["count"]:
        raise DomainError(f"{pool.value}题库中{rule['kind']}型题{'（' + rule['topic'] + '）' if rule.get('topic') else ''}"
                          f"只有{count}道，不足{rule['count']}道（还差{rule['count'] - count}道），无法组卷。")
    return chosen


@dataclass(frozen=True)
class Drawn:
    question_ids: list[int]
    option_orders: dict[str, str]
    points: dict[str, int]


def assemble(paper: Paper, province_id: int, category: str | None, seed: int, pool: QuestionPool) -> Drawn:
    """The paper for one attempt from one pool of the bank (考试 for a formal or 补考 paper, 练习 for a
    mock paper): the same seed always gives the same paper (resume, review)."""
    rng = random.Random(seed)
    units: list[list[Drawable]] = []
    points: dict[str, int] = {}
    for rule in paper.rules:
        for unit in draw(rule, units_for(rule, province_id, category, pool), rng, pool):
            units.append(unit)
            points |= {str(q.id): int(rule.get("points", 1)) for q in unit}
    rng.shuffle(units)
    questions = [q for unit in units for q in unit]
    orders = {}
    for question in questions:
        keys = list(question.keys)
        if question.kind != QuestionKind.B1:  # B1's options are shared by its group: one order for all
            rng.shuffle(keys)
        orders[str(question.id)] = "".join(keys)
    return Drawn([q.id for q in questions], orders, points)


# --- an attempt ---------------------------------------------------------------------------------

def ongoing_attempt(physician_id: int, arrangement_id: int, now: datetime) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.physician_id == physician_id, Attempt.arrangement_id == arrangement_id,
        Attempt.submitted_at.is_(None), Attempt.deadline > now))


def check_may_start(registration: Registration, arrangement: Arrangement, now: datetime) -> None:
    problem = no_test_reason(registration)
    if problem:
        raise DomainError(problem, status=403)
    if arrangement not in arrangements_for(registration):
        raise DomainError("该试卷不是您本周期需要参加的考试。", status=403)
    used = db.session.scalar(select(func.count(Attempt.id)).where(
        Attempt.physician_id == registration.physician_id, Attempt.arrangement_id == arrangement.id)) or 0
    refusal = start_refusal(arrangement, arrangement.attempts_allowed - used, now)
    if refusal:
        raise DomainError("考试尚未开始，请在考试时间内进入。" if refusal == WAITING else refusal, status=403)
    if not face_checks.cleared(registration.physician_id, arrangement.id, now):
        raise DomainError("请先完成人脸验证。", status=403)


def start(registration: Registration, arrangement: Arrangement) -> Attempt:
    """进入测评 after the face check: the ongoing attempt (resumed, same paper and order), or a new
    one, which uses up one of the attempts allowed. Two taps at once make one attempt."""
    now = clock.now()
    with unit_of_work("考试已在其他页面开始，请刷新后继续。"):
        ongoing = ongoing_attempt(registration.physician_id, arrangement.id, now)
        if ongoing is not None:
            return ongoing
        check_may_start(registration, arrangement, now)
        number = (db.session.scalar(select(func.max(Attempt.number)).where(
            Attempt.physician_id == registration.physician_id, Attempt.arrangement_id == arrangement.id)) or 0) + 1
        seed = secrets.randbelow(2**31)
        drawn = assemble(arrangement.paper, registration.cycle.province_id, target_of(registration).category, seed,
                         QuestionPool.EXAM)
        deadline = min(now + timedelta(minutes=arrangement.paper.duration_minutes), arrangement.ends_at)
        attempt = Attempt(arrangement_id=arrangement.id, paper_id=arrangement.paper_id, physician_id=registration.physician_id,
                          registration_id=registration.id, number=number, seed=seed, question_ids=drawn.question_ids,
                          option_orders=drawn.option_orders, points=drawn.points, started_at=now, deadline=deadline)
        db.session.add(attempt)
        db.session.flush()
        clearance = face_checks.clearance(registration.physician_id, arrangement.id, now)
        if clearance is not None:
            clearance.attempt_id = attempt.id  # used: the next attempt needs a check of its own
        return attempt


@dataclass(frozen=True)
class Shown:
    """A question as the page shows it: never its answer or explanation before submission."""

    number: int
    id: int
    kind: str
    shared: str | None
    stem: str
    options: list[tuple[str, str, str]]  # (letter shown, option key, text)
    multiple: bool


def shown_questions(attempt: Attempt) -> list[Shown]:
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    shown = []
    for number, question_id in enumerate(attempt.question_ids, start=1):
        question = questions[question_id]
        texts = {option["key"]: option["text"] for option in question.options}
        order = attempt.option_orders[str(question_id)]
        shown.append(Shown(number, question_id, question.kind, question.shared, question.stem,
                           [(chr(ord("A") + i), key, texts[key]) for i, key in enumerate(order)],
                           question.kind == QuestionKind.X))
    return shown


def answers_of(attempt: Attempt) -> dict[int, AttemptAnswer]:
    return {a.question_id: a for a in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}


def own_attempt(attempt_id: int, physician: Physician) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.physician_id != physician.id:
        raise DomainError("试卷不存在。", status=404)
    return attempt


def normalized(question: Question, given: str) -> str:
    keys = {option["key"] for option in question.options}
    chosen = sorted(set((given or "").upper()))
    if not set(chosen) <= keys:
        raise DomainError("答案选项不正确。")
    if question.kind != QuestionKind.X and len(chosen) > 1:
        raise DomainError("本题为单选题，只能选择一个答案。")
    return "".join(chosen)


SUBMITTED = "试卷已提交，不能再修改答案。"


def hold_open(attempt: Attempt) -> bool:
    """Lock the attempt's row for this transaction if it is still open; False once it is submitted.

    The row as loaded may be stale: a 交卷 in another tab (or the deadline job) may commit between
    loading it and writing. On PostgreSQL `FOR UPDATE` waits for such a commit and checks the
    condition again after the wait, so an answer and a submission of one attempt are serialised:
    nothing is stored after 交卷, nothing saved before it is left unscored (issue 20). (SQLite, the
    embedded default, has no row locks: there the check is as of the statement.)"""
    return db.session.scalar(select(Attempt.id).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
                             .with_for_update()) is not None


TIME_UP = "考试时间已到，试卷已自动提交。"


def save_answer(attempt: Attempt, question_id: int, given: str, flagged: bool) -> AttemptAnswer:
    """`keep_answer` for an attempt already loaded."""
    return keep_answer(attempt.id, attempt.physician_id, question_id, given, flagged)


def keep_answer(attempt_id: int, physician_id: int, question_id: int, given: str, flagged: bool) -> AttemptAnswer:
    """Keep one answer as given (and its 标记) to the physician's attempt. Past the deadline the paper
    is submitted instead. Autosave is the hot path of a sitting (make bench, "answer"): one round trip
    loads the attempt held open (`hold_open`, folded in: FOR UPDATE OF exam_attempts, so a 交卷
    committing meanwhile is waited for and seen), the question, and this attempt's answer to it."""
    overdue = False
    with unit_of_work("答案正在保存，请稍后重试。"):
        found = db.session.execute(
            select(Attempt, Question, AttemptAnswer).select_from(Attempt)
            .outerjoin(Question, Question.id == question_id)
            .outerjoin(AttemptAnswer, (AttemptAnswer.attempt_id == Attempt.id) & (AttemptAnswer.question_id == question_id))
            .where(Attempt.id == attempt_id, Attempt.physician_id == physician_id)
            .with_for_update(of=Attempt).execution_options(populate_existing=True)).first()
        if found is None:
            raise DomainError("试卷不存在。", status=404, missing=True)
        attempt, question, row = found
        if attempt.submitted_at is not None:
            raise DomainError(SUBMITTED, status=409, submitted=True)
        if clock.now() >= attempt.deadline:
            submit(attempt, by="deadline")  # joins this unit of work, which commits it
            overdue = True
        elif question is None or question_id not in attempt.question_ids:
            raise DomainError("该题不在本试卷中。", status=404)
        else:
            if row is None:
                row = AttemptAnswer(attempt_id=attempt.id, question_id=question_id)
                db.session.add(row)
            row.given, row.flagged, row.saved_at = normalized(question, given), bool(flagged), clock.now()
    if overdue:
        raise DomainError(TIME_UP, status=409, submitted=True)
    return row


def is_right(given: str, question: Question | None) -> bool:
    """An answer scores exactly when it is the question's answer, every key of it and no other (X included)."""
    return question is not None and bool(given) and given == "".join(sorted(question.answer))


def marked(attempt: Attempt) -> dict[int, bool]:
    """Question id → answered right (exactly its answer) for every question answered."""
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    return {question_id: is_right(answer.given, questions.get(question_id))
            for question_id, answer in answers_of(attempt).items()}


def scored(attempt: Attempt) -> int:
    return sum(attempt.points.get(str(question_id), 1) for question_id, right in marked(attempt).items() if right)


@use_case(TAKEN)
def submit(attempt: Attempt, by: str = "physician") -> Attempt:
    """交卷 (or the clock's submission at the deadline): scored on the server, once."""
    if attempt.submitted_at is not None:
        return attempt
    if not hold_open(attempt):  # submitted elsewhere since it was loaded
        db.session.refresh(attempt)
        return attempt
    attempt.submitted_at = min(clock.now(), attempt.deadline)
    attempt.submitted_by = by
    right = marked(attempt)
    attempt.score = sum(attempt.points.get(str(question_id), 1) for question_id, ok in right.items() if ok)
    attempt.passed = attempt.score >= attempt.paper.pass_mark
    if attempt.mock_paper_id is not None:  # practice: what was missed goes into the course's 错题本
        mock = db.session.get(MockPaper, attempt.mock_paper_id)
        if mock is not None:
            wrong_book.record_attempt(attempt, mock.course_id, right)
    db.session.flush()
    return attempt


def submit_overdue(now: datetime | None = None, cycle_id: int | None = None) -> int:
    """Submit every attempt whose deadline has passed (the worker and `flask exams close` call it),
    or only those of one cycle's arrangements; the answers saved until then count."""
    now = now or clock.now()
    query = select(Attempt).where(Attempt.submitted_at.is_(None), Attempt.deadline <= now)
    if cycle_id is not None:
        query = query.where(Attempt.arrangement_id.in_(select(Arrangement.id).where(Arrangement.cycle_id == cycle_id)))
    overdue = list(db.session.scalars(query))
    for attempt in overdue:
        submit(attempt, by="deadline")
    return len(overdue)


# --- invigilation of a formal paper: photos at random moments, 切屏 -------------------------------

CAPTURE_EARLY = 5  # seconds: a photo may arrive this much before its moment (clocks differ)


def capture_moments(attempt: Attempt) -> list[int]:
    """When the page takes its photos: 2 or 3 moments (seconds after the start) between a tenth and
    nine tenths of the time, drawn from the attempt's own seed — the same on every reload, different
    for every attempt. A mock paper has none."""
    if attempt.arrangement_id is None:
        return []
    length = max(int((attempt.deadline - attempt.started_at).total_seconds()), 60)
    rng = random.Random(attempt.seed ^ 0x5F3759DF)
    return sorted(rng.randint(length // 10, length * 9 // 10) for _ in range(rng.choice((2, 3))))


def captured_slots(attempt: Attempt) -> set[int]:
    return set(db.session.scalars(select(ExamCapture.slot).where(ExamCapture.attempt_id == attempt.id)))


@use_case("照片正在保存，请稍后重试。")
def keep_capture(attempt: Attempt, slot: int, frame: bytes) -> ExamCapture:
    """One photo of the paper's page, kept for the verifier worker (judged later, not now). A slot
    that is not the attempt's, not yet due, or already taken is refused."""
    moments = capture_moments(attempt)
    if not 0 <= slot < len(moments):
        raise DomainError("拍照时间不正确。", status=404)
    now = clock.now()
    if now < attempt.started_at + timedelta(seconds=moments[slot] - CAPTURE_EARLY):
        raise DomainError("拍照时间不正确。", status=409)
    if not hold_open(attempt):
        raise DomainError(SUBMITTED, status=409)
    upload = store_image(attempt.physician_id, "face", "capture.jpg", frame)
    capture = ExamCapture(attempt_id=attempt.id, slot=slot, frame_upload_id=upload.id, taken_at=now)
    db.session.add(capture)
    db.session.flush()
    return capture


@dataclass(frozen=True)
class Away:
    count: int
    budget: int | None
    submitted: bool


@use_case("正在记录，请稍后重试。")
def left_page(attempt: Attempt) -> Away:
    """切屏: the page was left (another app, another tab). Counted on the attempt; past the
    arrangement's budget the paper is handed in as it stands."""
    if not hold_open(attempt):
        return Away(attempt.away_count, None, True)
    attempt.away_count = (attempt.away_count or 0) + 1
    budget = attempt.arrangement.away_budget if attempt.arrangement is not None else None
    over = budget is not None and attempt.away_count > budget
    if over:
        submit(attempt, by="away")
    db.session.flush()
    return Away(attempt.away_count, budget, over)


def unanswered(attempt: Attempt) -> list[int]:
    """The numbers (as shown) of questions without an answer, for 交卷's confirmation."""
    return to_check(attempt)[0]


def to_check(attempt: Attempt) -> tuple[list[int], list[int]]:
    """For 交卷's confirmation, the numbers (as shown) of the questions without an answer and of those
    the physician 标记ed (to look at again), from one read of the answers."""
    answers = answers_of(attempt)
    numbered = list(enumerate(attempt.question_ids, start=1))
    empty = [number for number, question_id in numbered
             if question_id not in answers or not answers[question_id].given]
    flagged = [number for number, question_id in numbered
               if question_id in answers and answers[question_id].flagged]
    return empty, flagged


def answers_shown_from(attempt: Attempt) -> datetime | None:
    """When the right answers of a submitted attempt may be shown: a mock paper's at once (练习
    questions), a formal paper's only once its arrangement's window has closed — while it is open
    the same 考试 questions are still being sat by others, and by this physician on a next attempt."""
    if attempt.submitted_at is None:
        return None
    if attempt.arrangement is None:
        return attempt.submitted_at
    return attempt.arrangement.ends_at


def review_of(attempt: Attempt, now: datetime) -> list[tuple[Shown, str, str, str | None]]:
    """After submission (and for a formal paper after its window): every question with the answer
    given, the right one and the explanation, in the letters the physician saw."""
    shown_from = answers_shown_from(attempt)
    if shown_from is None:
        raise DomainError("交卷后才能查看答案。", status=403)
    if now < shown_from:
        raise DomainError(f"考试结束后（{shown_from:%Y-%m-%d %H:%M}）可查看答案与解析。", status=403)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    answers = answers_of(attempt)
    rows = []
    for shown in shown_questions(attempt):
        letter = {key: shown_letter for shown_letter, key, _ in shown.options}
        given = answers.get(shown.id)
        question = questions[shown.id]
        rows.append((shown, "".join(sorted(letter[k] for k in (given.given if given else ""))),
                     "".join(sorted(letter[k] for k in question.answer)), question.explanation))
    return rows

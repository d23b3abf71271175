"""Demo sittings (`flask seed-demo --sittings N`, `make run` asks for 300): N more physicians of the demo
hospital registered through the use cases (submission, both reviews) and each sitting the morning's
医学人文测评卷 — started, answered and handed in through the exam use cases, as a phone would — so that
考核结果, 概况 and 试题分析 show real numbers. Each physician answers with an ability of their own
against each question's difficulty (a logistic model), so the statistics look like a cohort's, and a few
questions are flawed as real ones are (`flaw`), so 试题分析 has items to flag. Not in the tests' demo:
it is the console's picture, not a fixture.
"""
from __future__ import annotations

import math
import random
import zlib
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from wechat_app import clock
from wechat_app.domain import exams, item_analysis
from wechat_app.domain.demo import GIVEN, SURNAMES
from wechat_app.domain.demo_registrations import registered
from wechat_app.domain.idnumbers import check_character, stated_in
from wechat_app.domain.registration import Status
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import Arrangement, Cycle, Department, FaceCheck, Institution, Physician, Question, Registration

SESSION_NAME = "医学人文测评卷（第一场）"
FIRST_SERIAL = 1001


def candidate_number(serial: int) -> str:
    """A valid 18-character number in 长沙市天心区, born between 1965 and 1997."""
    first17 = f"430103{date(1965, 1, 1) + timedelta(days=serial * 37 % 11700):%Y%m%d}{serial % 1000:03d}"
    return first17 + check_character(first17)


def chance(ability: float, difficulty: float) -> float:
    """P(right) for an ability and a difficulty on the same scale (logistic, discrimination 1.2)."""
    return 1 / (1 + math.exp(-1.2 * (ability - difficulty)))


def hardness(question: Question) -> float:
    """The demo bank rates every question 难度 3; a cohort finds some easy and some hard. A fixed
    spread by question, from −1.6 (nearly everyone right) to +1.6; a few far too hard (`flaw`)."""
    return 3.2 if flaw(question) == "too hard" else (fingerprint(question) * 7 % 9 - 4) * 0.4


def fingerprint(question: Question) -> int:
    """A number of the question's own (its stem's CRC): the same questions are easy or flawed
    whatever ids a database gave them."""
    return zlib.crc32(question.stem.encode())


def flaw(question: Question) -> str | None:
    """What a real bank has and 试题分析 is for, in one question of nineteen each: a key the strong
    candidates disagree with (a miskeyed or ambiguous item: negative discrimination), a distractor no
    one falls for, a question almost no one gets right."""
    return {0: "miskeyed", 16: "idle distractor", 6: "too hard"}.get(fingerprint(question) % 19)


def answer(question: Question, ability: float, rng: random.Random) -> str:
    """What a physician of `ability` gives: right with the logistic model's chance, else a wrong
    option (the first, likeliest distractor half the time). A miskeyed question's right answer is
    chosen by the weaker, and the strong pick its first distractor."""
    keys = [o["key"] for o in question.options]
    right = "".join(sorted(question.answer))
    wrong = [k for k in keys if k not in question.answer] or keys
    if flaw(question) == "idle distractor" and len(wrong) > 1:
        wrong = wrong[:-1]
    if flaw(question) == "miskeyed":  # the strong mostly pick the first distractor, as if it were the key
        if rng.random() < chance(-ability, -0.3):
            return right
        return wrong[0] if rng.random() < 0.8 else rng.choice(wrong)
    if rng.random() < chance(ability, hardness(question)):
        return right
    return wrong[0] if rng.random() < 0.5 else rng.choice(wrong)


@use_case()
def seed_sittings(count: int) -> int:
    """Once: the morning session (yesterday 08:00–12:00, inside the cycle's 测评 window) and `count`
    physicians who sat it. Returns how many papers were handed in."""
    if db.session.scalar(select(Arrangement.id).where(Arrangement.name == SESSION_NAME)) is not None:
        return 0
    hospital = db.session.scalars(select(Institution).where(Institution.name == "长沙市天心区人民医院")).one()
    cycle = db.session.scalars(select(Cycle).where(Cycle.is_current.is_(True),
                                                   Cycle.province_id == hospital.province_id)).one()
    template = db.session.scalars(select(Arrangement).where(Arrangement.cycle_id == cycle.id,
                                                            Arrangement.procedure == "简易程序").limit(1)).one()
    yesterday = clock.today() - timedelta(days=1)
    session = Arrangement(cycle_id=cycle.id, paper_id=template.paper_id, assessment_body_id=template.assessment_body_id,
                          name=SESSION_NAME, procedure="简易程序", attempts_allowed=1,
                          starts_at=datetime.combine(yesterday, time(8)), ends_at=datetime.combine(yesterday, time(12)),
                          published_at=datetime.combine(yesterday, time(7)))
    db.session.add(session)
    departments = list(db.session.scalars(select(Department).where(Department.institution_id == hospital.id)))
    rng = random.Random(20261205)
    password_hash = db.session.scalar(select(Physician.password_hash).where(Physician.institution_id == hospital.id).limit(1))
    handed_in = 0
    try:
        for serial in range(FIRST_SERIAL, FIRST_SERIAL + count):
            clock.freeze(None)  # registered today; the paper is sat in yesterday's session (sit)
            id18 = candidate_number(serial)
            stated = stated_in(id18)
            if stated is None:
                raise AssertionError("candidate numbers are valid")
            gender, born = stated
            physician = Physician(name=f"{SURNAMES[serial % len(SURNAMES)]}{GIVEN[(serial // 7) % len(GIVEN)]}（考生{serial}号）",
                                  gender=gender, id_number=id18, birth_date=born,
                                  institution_id=hospital.id, department_id=departments[serial % len(departments)].id,
                                  level="执业医师", category="临床", practice_scope="内科专业", title="主治医师",
                                  certificate_number=f"1104302{serial:08d}", certificate_date=date(2005 + serial % 15, 7, 1),
                                  password_hash=password_hash, must_change_password=True, phone=f"1990010{serial:04d}")
            db.session.add(physician)
            db.session.flush()
            registered(physician, cycle, Status.AWAITING_TEST, "简易程序", serial)
            registration = db.session.scalars(select(Registration).where(Registration.physician_id == physician.id)).one()
            handed_in += sit(registration, session, rng)
    finally:
        clock.freeze(None)
    now = clock.now()
    item_analysis.store(session, item_analysis.compute(session), now)
    return handed_in


def sit(registration: Registration, session: Arrangement, rng: random.Random) -> int:
    """Face cleared, the paper started at a moment of the morning, answered, handed in."""
    started = session.starts_at + timedelta(minutes=rng.randrange(0, 150))
    clock.freeze(started)
    db.session.add(FaceCheck(arrangement_id=session.id, physician_id=registration.physician_id, verdict="matched",
                             created_at=started))
    db.session.flush()
    attempt = exams.start(registration, session)
    ability = rng.gauss(1.0, 0.7)  # a cohort that mostly passes
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    for question_id in attempt.question_ids:
        given = answer(questions[question_id], ability, rng)
        if rng.random() < 0.97:  # a few left unanswered
            exams.save_answer(attempt, question_id, given, False)
    clock.freeze(started + timedelta(minutes=rng.randrange(20, 55)))
    exams.submit(attempt)
    return 1

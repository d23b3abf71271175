"""Demo data: idempotent, valid ID numbers in every stored form, a live current cycle."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from stdnum.iso7064 import mod_11_2

from wechat_app import clock
from wechat_app.domain.cycles import current_cycle, windows
from wechat_app.domain.demo import seed_demo
from wechat_app.domain.idnumbers import to_15, to_18
from wechat_app.models import Cycle, Faq, Institution, Physician, Province


def test_seed_is_idempotent(db):
    first = seed_demo()
    assert seed_demo() == first
    assert first["physicians"] == 50 and first["faqs"] == 11 and first["provinces"] == 2


def test_id_numbers_are_valid_with_legacy_and_x_forms(db):
    seed_demo()
    physicians = db.session.scalars(select(Physician)).all()
    assert all(mod_11_2.is_valid(p.id_number_18) for p in physicians)
    legacy = [p for p in physicians if len(p.id_number) == 15]
    assert legacy and all(to_18(p.id_number) == p.id_number_18 for p in legacy)
    assert any(p.id_number_18.endswith("X") for p in physicians)


def test_id_number_forms():
    assert to_18("110105491231002") == "11010519491231002X"
    assert to_15("11010519491231002X") == "110105491231002"


def test_one_institution_has_no_assessment_body(db):
    seed_demo()
    assert db.session.scalar(select(func.count(Institution.id)).where(Institution.assessment_body_id.is_(None))) == 1


def test_current_cycle_is_live_around_today(db):
    clock.freeze(datetime(2026, 11, 29, 10, 0))
    seed_demo()
    hunan = db.session.scalar(select(Province).where(Province.name == "湖南"))
    states = {w.label: w.state(clock.today()).label for w in windows(current_cycle(hunan.id))}
    assert states == {"医师报名": "进行中", "报名审核": "进行中", "免考申请": "进行中", "免考审核": "进行中", "测评": "进行中"}


def test_seed2026_schedule_keeps_the_seed_dates(db):
    seed_demo(schedule="seed2026")
    cycle = db.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    assert (str(cycle.registration_start), str(cycle.registration_end)) == ("2026-04-13", "2026-05-06")
    assert (str(cycle.test_start), str(cycle.test_end)) == ("2026-05-11", "2026-05-20")


def test_seed_demo_command_if_empty(app, db):
    runner = app.test_cli_runner()
    assert "physicians 50" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert "left as it is" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert db.session.scalar(select(func.count(Faq.id))) == 11


def test_submitted_demo_registrations_went_through_the_use_cases(demo):
    """Each demo registration past 已开通报名 holds what a real one holds at that point: a complete
    submission (snapshot, 提交时间, the uploaded pictures), the events of the table, the reviews."""
    from wechat_app.domain import face_checks
    from wechat_app.domain.submission import latest_snapshot
    from wechat_app.models import Registration, RegistrationEvent, Review, Upload

    trails = {"pending_institution": ["enroll", "save", "submit"],
              "pending_assessor": ["enroll", "save", "submit", "institution_approve"],
              "awaiting_test": ["enroll", "save", "submit", "institution_approve", "assessor_approve"]}
    seen = set()
    for registration in demo.session.scalars(select(Registration).where(Registration.status.in_(list(trails)))):
        seen.add(registration.status)
        snapshot = latest_snapshot(registration)
        assert snapshot is not None and registration.submitted_at == snapshot.submitted_at
        steps = snapshot.data["steps"]
        assert steps["5"]["procedure"] == registration.procedure and len(steps["2"]["certificate_pages"]) == 2
        photo = face_checks.registration_photo(registration)
        assert photo is not None and demo.session.get(Upload, photo.id).physician_id == registration.physician_id
        events = demo.session.scalars(select(RegistrationEvent.action).where(
            RegistrationEvent.registration_id == registration.id).order_by(RegistrationEvent.id)).all()
        assert events == trails[registration.status]
        reviews = demo.session.scalars(select(Review).where(Review.registration_id == registration.id)).all()
        assert [r.stage for r in reviews] == [e.split("_")[0] for e in events if e.endswith("_approve")]
        assert all(r.snapshot_id == snapshot.id and r.decision == "approve" for r in reviews)
    assert seen == set(trails)


def test_every_demo_question_passes_the_bank_s_own_rules(demo):
    """The console edits a question in the import's terms: a demo question the import would refuse
    (once, an A1 with three options) could never be corrected there."""
    from wechat_app.domain.question_bank import row_question, values_of
    from wechat_app.models import Question

    refused = []
    for question in demo.session.scalars(select(Question)):
        try:
            row_question(values_of(question), question.province_id)
        except ValueError as exc:
            refused.append((question.id, question.stem[:20], str(exc)))
    assert refused == [], refused


def test_demo_sittings_are_sat_through_the_use_cases_and_analysed(db):
    """`flask seed-demo --sittings N` (make run: 300): papers handed in, scored, analysed; once."""
    from wechat_app.domain.demo_sittings import SESSION_NAME, seed_sittings
    from wechat_app.models import Arrangement, Attempt, ItemAnalysis

    seed_demo()
    assert seed_sittings(40) == 40
    session = db.session.scalar(select(Arrangement).where(Arrangement.name == SESSION_NAME))
    attempts = db.session.scalars(select(Attempt).where(Attempt.arrangement_id == session.id)).all()
    assert len(attempts) == 40 and all(a.submitted_at and a.score is not None for a in attempts)
    assert len({a.score for a in attempts}) > 3  # a cohort, not forty copies
    analysis = db.session.get(ItemAnalysis, session.id)
    assert session.ends_at <= clock.now() and analysis.attempts == 40
    flagged = [item for item in analysis.data["items"] if item["flags"]]
    assert flagged and len(flagged) <= len(analysis.data["items"]) * 2 / 3  # something to flag, not everything
    assert seed_sittings(12) == 0


@pytest.mark.parametrize("kind", ["miskeyed", "idle distractor", "too hard", None])
def test_the_demo_cohort_answers_a_flawed_question_as_a_cohort_would(monkeypatch, kind):
    """What 试题分析 is to find in the demo (`demo_sittings.flaw`): a miskeyed question is got right
    by the weaker physicians rather than the stronger, no one picks an idle distractor, almost no one
    gets a far too hard question right; a sound one is got right more often by the stronger."""
    import random

    from wechat_app.domain import demo_sittings
    from wechat_app.models import Question

    monkeypatch.setattr(demo_sittings, "flaw", lambda question: kind)
    question = Question(stem="题干", kind="A1", answer="A", options=[{"key": k, "text": k} for k in "ABCDE"])
    rng = random.Random(7)
    abilities = [rng.gauss(1.0, 0.7) for _ in range(2000)]
    given = [demo_sittings.answer(question, ability, rng) for ability in abilities]
    ranked = sorted(zip(abilities, given, strict=True))
    weak, strong = ranked[:600], ranked[-600:]
    share = lambda group: sum(1 for _, g in group if g == "A") / len(group)  # noqa: E731
    if kind == "miskeyed":
        assert share(weak) > share(strong) + 0.1
    elif kind == "idle distractor":
        assert "E" not in given and {"B", "C", "D"} <= set(given)
    elif kind == "too hard":
        assert sum(1 for g in given if g == "A") / len(given) < 0.2
    else:
        assert share(strong) > share(weak) + 0.1 and {"B", "C", "D", "E"} <= set(given)

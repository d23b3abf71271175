"""The exam engine: papers per procedure, assembly and shuffling, starting (window, attempts, face
check), saving answers, the server's deadline, scoring per question type."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tests.helpers import clear_face, ready_for_exam, wait_for
from wechat_app import clock
from wechat_app.domain import exams
from wechat_app.domain.errors import DomainError
from wechat_app.models import Arrangement, Attempt, AttemptAnswer, Physician, Question
from wechat_app.models.enums import QuestionKind, QuestionPool


@pytest.fixture
def simple(demo):
    registration = ready_for_exam(demo, "简易程序")
    (arrangement,) = exams.arrangements_for(registration)
    return registration, arrangement


def started(demo, registration, arrangement) -> Attempt:
    clear_face(demo, registration, arrangement)
    return exams.start(registration, arrangement)


def answer_key(attempt: Attempt) -> dict[int, str]:
    return {q.id: q.answer for q in exams.db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}


def test_the_demo_bank_has_every_kind_and_enough_questions(demo):
    kinds = dict(demo.session.execute(select(Question.kind, func.count()).group_by(Question.kind)).all())
    assert sum(kinds.values()) >= 200
    assert {"A1", "A2", "A3", "A4", "B1", "X"} <= set(kinds)


def test_each_procedure_gets_its_paper(demo):
    simple = ready_for_exam(demo, "简易程序")
    general = ready_for_exam(demo, "一般程序")
    assert [a.paper.title for a in exams.arrangements_for(simple)] == ["公共知识医学人文测评卷"]
    assert [a.paper.title for a in exams.arrangements_for(general)] == ["专业知识业务水平临床测评试卷"]  # 临床, not 口腔


def test_ethics_fail_and_exempt_have_no_test(demo):
    failed_ethics = ready_for_exam(demo, ethics="不合格")
    assert "职业道德评定为不合格" in exams.no_test_reason(failed_ethics)
    exempt = ready_for_exam(demo, status="exempt")
    assert "免考" in exams.no_test_reason(exempt)
    assert "报名审核通过" in exams.no_test_reason(ready_for_exam(demo, status="pending_assessor"))


def test_the_same_seed_gives_the_same_paper_and_groups_stay_together(demo, simple):
    registration, arrangement = simple
    one = exams.assemble(arrangement.paper, registration.cycle.province_id, "临床", 7, QuestionPool.EXAM)
    assert one == exams.assemble(arrangement.paper, registration.cycle.province_id, "临床", 7, QuestionPool.EXAM)
    other = exams.assemble(arrangement.paper, registration.cycle.province_id, "临床", 8, QuestionPool.EXAM)
    assert one.question_ids != other.question_ids
    assert len(one.question_ids) == sum(rule["count"] for rule in arrangement.paper.rules)
    questions = {q.id: q for q in demo.session.scalars(select(Question).where(Question.id.in_(one.question_ids)))}
    groups = [questions[i].group_key for i in one.question_ids if questions[i].group_key]
    positions = {key: [n for n, i in enumerate(one.question_ids) if questions[i].group_key == key] for key in groups}
    assert all(p == list(range(p[0], p[0] + len(p))) for p in positions.values())  # consecutive
    b1 = [i for i in one.question_ids if questions[i].kind == QuestionKind.B1]
    assert all(one.option_orders[str(i)] == "ABCDE" for i in b1)  # shared options keep their order


def test_a_bank_too_small_is_refused_by_name(demo, simple):
    registration, arrangement = simple
    arrangement.paper.rules = [{"kind": "A4", "count": 9}]
    with pytest.raises(DomainError, match="A4型题只有3道，不足9道"):
        exams.assemble(arrangement.paper, registration.cycle.province_id, None, 1, QuestionPool.EXAM)


def test_start_needs_the_window_the_face_and_attempts(demo, simple):
    registration, arrangement = simple
    with pytest.raises(DomainError, match="请先完成人脸验证"):
        exams.start(registration, arrangement)
    clear_face(demo, registration, arrangement)
    arrangement.starts_at = clock.now() + timedelta(hours=1)
    demo.session.commit()
    with pytest.raises(DomainError, match="考试尚未开始"):
        exams.start(registration, arrangement)
    arrangement.starts_at, arrangement.ends_at = clock.now() - timedelta(days=2), clock.now() - timedelta(minutes=1)
    demo.session.commit()
    with pytest.raises(DomainError, match="考试已于"):
        exams.start(registration, arrangement)
    arrangement.ends_at, arrangement.attempts_allowed = clock.now() + timedelta(days=1), 1
    demo.session.commit()
    first = exams.start(registration, arrangement)
    assert exams.start(registration, arrangement).id == first.id  # resumed, not a second attempt
    exams.submit(first)
    with pytest.raises(DomainError, match="可考次数已用完"):
        exams.start(registration, arrangement)


def test_the_deadline_is_the_duration_or_the_window_end(demo, simple):
    registration, arrangement = simple
    attempt = started(demo, registration, arrangement)
    assert attempt.deadline == attempt.started_at + timedelta(minutes=arrangement.paper.duration_minutes)
    arrangement.ends_at = clock.now() + timedelta(minutes=5)
    exams.submit(attempt)
    assert started(demo, registration, arrangement).deadline == arrangement.ends_at


def test_answers_are_checked_saved_once_and_scored(demo, simple):
    registration, arrangement = simple
    attempt = started(demo, registration, arrangement)
    key = answer_key(attempt)
    kinds = {q.id: q.kind for q in demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    single = next(i for i in attempt.question_ids if kinds[i] == "A1")
    multiple = next(i for i in attempt.question_ids if kinds[i] == "X")
    with pytest.raises(DomainError, match="只能选择一个答案"):
        exams.save_answer(attempt, single, "AB", False)
    with pytest.raises(DomainError, match="答案选项不正确"):
        exams.save_answer(attempt, single, "Z", False)
    with pytest.raises(DomainError, match="不在本试卷"):
        exams.save_answer(attempt, 10**9, "A", False)
    wrong = next(k for k in "ABCD" if k != key[single])
    exams.save_answer(attempt, single, wrong, True)
    exams.save_answer(attempt, single, key[single].lower(), False)  # changed: one row, the last answer
    exams.save_answer(attempt, multiple, key[multiple][:-1], False)  # X partly right: 0
    assert len(exams.answers_of(attempt)) == 2
    exams.submit(attempt)
    assert attempt.score == attempt.points[str(single)]
    assert attempt.passed is False and attempt.submitted_by == "physician"
    with pytest.raises(DomainError, match="试卷已提交"):
        exams.save_answer(attempt, single, "A", False)


def test_all_right_passes_and_the_full_x_answer_counts(demo, simple):
    registration, arrangement = simple
    attempt = started(demo, registration, arrangement)
    for question_id, answer in answer_key(attempt).items():
        exams.save_answer(attempt, question_id, answer, False)
    exams.submit(attempt)
    assert attempt.score == arrangement.paper.total == 100 and attempt.passed


def test_after_the_deadline_an_answer_submits_the_paper(demo, simple):
    registration, arrangement = simple
    attempt = started(demo, registration, arrangement)
    first = attempt.question_ids[0]
    exams.save_answer(attempt, first, answer_key(attempt)[first][0], False)
    clock.freeze(attempt.deadline + timedelta(seconds=1))
    with pytest.raises(DomainError, match="考试时间已到"):
        exams.save_answer(attempt, attempt.question_ids[1], "A", False)
    assert attempt.submitted_by == "deadline" and attempt.submitted_at == attempt.deadline
    assert attempt.score is not None


def test_overdue_attempts_are_submitted_by_the_clock(demo, simple):
    registration, arrangement = simple
    attempt = started(demo, registration, arrangement)
    assert exams.submit_overdue() == 0
    clock.freeze(attempt.deadline)
    assert exams.submit_overdue() >= 1  # ours, and the demo's sitting that started a moment earlier
    assert demo.session.get(Attempt, attempt.id).submitted_by == "deadline"


def test_unanswered_lists_the_numbers_shown(demo, simple):
    registration, arrangement = simple
    attempt = started(demo, registration, arrangement)
    exams.save_answer(attempt, attempt.question_ids[1], "A" if "A" in attempt.option_orders[str(attempt.question_ids[1])] else "B", False)
    missing = exams.unanswered(attempt)
    assert 2 not in missing and 1 in missing and len(missing) == len(attempt.question_ids) - 1


def test_an_arrangement_of_another_assessment_body_is_not_offered(demo, simple):
    from wechat_app.models import AssessmentBody

    registration, arrangement = simple
    other = AssessmentBody(name="株洲市医学会", province_id=registration.cycle.province_id)
    demo.session.add(other)
    demo.session.flush()
    arrangement.assessment_body_id = other.id
    demo.session.commit()
    assert exams.arrangements_for(registration) == []
    assert demo.session.scalar(select(func.count(Arrangement.id))) >= 3


# --- races (issue 20): two connections on one attempt ------------------------------------------

def submitted_elsewhere(demo, attempt: Attempt):
    """Another tab's 交卷, committed through its own connection."""
    with demo.engine.begin() as other:
        other.execute(update(Attempt).where(Attempt.id == attempt.id).values(
            submitted_at=clock.now(), submitted_by="physician", score=0, passed=False,
            version_id=Attempt.version_id + 1))


def test_an_answer_to_a_paper_submitted_in_another_tab_is_refused(demo, simple):
    attempt = started(demo, *simple)
    assert attempt.submitted_at is None  # the row as this request loaded it
    submitted_elsewhere(demo, attempt)
    with pytest.raises(DomainError, match="试卷已提交"):
        exams.save_answer(attempt, attempt.question_ids[0], "A", False)
    assert demo.session.scalar(select(func.count(AttemptAnswer.id)).where(AttemptAnswer.attempt_id == attempt.id)) == 0


def test_a_second_submission_from_a_stale_page_keeps_the_first(demo, simple):
    attempt = started(demo, *simple)
    assert attempt.submitted_at is None
    submitted_elsewhere(demo, attempt)
    assert exams.submit(attempt).submitted_by == "physician" and attempt.score == 0


def on_postgres(demo) -> bool:
    return demo.engine.dialect.name == "postgresql"


def wait_until_blocked(demo) -> None:
    """Until the thread's statement waits on a lock the test holds: a fixed sleep lost the race on a slow CI."""
    def waiting() -> int:
        with demo.engine.connect() as watcher:
            return watcher.scalar(text("SELECT count(*) FROM pg_stat_activity"
                                       " WHERE datname = current_database() AND wait_event_type = 'Lock'"))
    wait_for(waiting, timeout=30)


def test_an_answer_waits_for_a_submission_in_flight_and_is_refused(app, demo, simple):
    if not on_postgres(demo):
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers)")
    attempt = started(demo, *simple)
    attempt_id, question_id = attempt.id, attempt.question_ids[0]
    other = demo.engine.connect()
    held = other.begin()
    other.execute(update(Attempt).where(Attempt.id == attempt_id).values(
        submitted_at=clock.now(), submitted_by="deadline", score=0, passed=False, version_id=Attempt.version_id + 1))
    outcome: dict[str, str] = {}

    def answer():
        with app.app_context():
            mine = demo.session.get(Attempt, attempt_id)  # loaded while the submission is not yet committed
            assert mine.submitted_at is None
            try:
                exams.save_answer(mine, question_id, "A", False)
                outcome["saved"] = "yes"
            except DomainError as exc:
                outcome["refused"] = exc.message

    thread = threading.Thread(target=answer)
    thread.start()
    wait_until_blocked(demo)  # it waits on the row lock until the submission commits
    held.commit()
    other.close()
    thread.join(30)
    assert outcome == {"refused": exams.SUBMITTED}
    assert demo.session.scalar(select(func.count(AttemptAnswer.id)).where(AttemptAnswer.attempt_id == attempt_id)) == 0


def test_two_taps_on_a_mock_paper_start_one_attempt(app, demo):
    from wechat_app.domain import training
    from wechat_app.models import MockPaper

    physician = ready_for_exam(demo).physician
    mock = demo.session.scalar(select(MockPaper).order_by(MockPaper.id))
    training.enrol(physician, mock.course)
    row = dict(mock_paper_id=mock.id, paper_id=mock.paper_id, physician_id=physician.id, number=1, seed=1,
               question_ids=[], option_orders={}, points={}, started_at=clock.now(),
               deadline=clock.now() + timedelta(minutes=30), version_id=1)
    if not on_postgres(demo):  # the index itself: SQLite serialises the two taps' writes
        with demo.engine.begin() as other:
            other.execute(insert(Attempt).values(**row))
        with pytest.raises(IntegrityError), demo.engine.begin() as other:
            other.execute(insert(Attempt).values(**row))
        return
    # The other tap has inserted its attempt and not yet committed: this one sees no ongoing attempt,
    # draws number 1 too, and waits on the index until the other commits.
    other = demo.engine.connect()
    held = other.begin()
    other.execute(insert(Attempt).values(**row))
    physician_id, mock_id = physician.id, mock.id
    outcome: dict[str, str] = {}

    def tap():
        with app.app_context():
            try:
                training.start_mock(demo.session.get(Physician, physician_id), demo.session.get(MockPaper, mock_id))
                outcome["started"] = "yes"
            except DomainError as exc:
                outcome["refused"] = exc.message

    thread = threading.Thread(target=tap)
    thread.start()
    wait_until_blocked(demo)
    held.commit()
    other.close()
    thread.join(30)
    assert outcome == {"refused": "练习已在其他页面开始，请刷新后继续。"}
    assert demo.session.scalar(select(func.count(Attempt.id)).where(Attempt.mock_paper_id == mock_id)) == 1

"""The result rule (each dimension, ethics 不合格 = no test, 缺考, 免考), publishing through the state
machine with its notice, the 待补考名单, and the verification of a printed notice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import clear_face, ready_for_exam
from wechat_app import clock
from wechat_app.domain import exams, results
from wechat_app.domain.errors import DomainError
from wechat_app.models import Notification, Question, RegistrationEvent, Result, Staff
from wechat_app.models.enums import ExamRound, Rating, Status


def staff(demo, username: str) -> Staff:
    return demo.session.scalar(select(Staff).where(Staff.username == username))


def sit(demo, registration, right: bool):
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    if right:
        for question in demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids))):
            exams.save_answer(attempt, question.id, question.answer, False)
    exams.submit(attempt)
    return arrangement


def close_windows(demo, registration):
    for arrangement in exams.arrangements_for(registration, ExamRound.REGULAR):
        arrangement.ends_at = clock.now() - timedelta(minutes=1)
    demo.session.commit()


def test_each_rule(demo):
    passed = ready_for_exam(demo)
    sit(demo, passed, right=True)
    assert results.decide(passed, ExamRound.REGULAR).overall == Rating.PASS
    failed = ready_for_exam(demo)
    sit(demo, failed, right=False)
    decision = results.decide(failed, ExamRound.REGULAR)
    assert (decision.overall, decision.skill, decision.score) == (Rating.FAIL, "不合格", 0)
    absent = results.decide(ready_for_exam(demo), ExamRound.REGULAR)
    assert (absent.overall, absent.skill) == (Rating.FAIL, "缺考") and "缺考视为不合格" in absent.rule
    ethics = results.decide(ready_for_exam(demo, ethics="不合格"), ExamRound.REGULAR)
    assert (ethics.overall, ethics.skill) == (Rating.FAIL, "未参加") and "职业道德评定为不合格" in ethics.rule
    exempt = results.decide(ready_for_exam(demo, status="exempt"), ExamRound.REGULAR)
    assert (exempt.overall, exempt.skill) == (Rating.PASS, "免考")
    work = results.decide(ready_for_exam(demo, work="不合格", status="exempt"), ExamRound.REGULAR)
    assert work.overall == Rating.FAIL and "工作成绩" in work.rule


def test_publishing_moves_each_registration_and_queues_one_notice(demo):
    good, absent = ready_for_exam(demo), ready_for_exam(demo)
    sit(demo, good, right=True)
    assessor = staff(demo, "kaohe")
    with pytest.raises(DomainError, match="考核机构发布"):
        results.publish(staff(demo, "rmyy"), good.cycle, ExamRound.REGULAR, None)
    assert results.publish(assessor, good.cycle, ExamRound.REGULAR, None) == 0  # windows still open
    close_windows(demo, good)
    published = results.publish(assessor, good.cycle, ExamRound.REGULAR, None)
    assert published >= 2
    assert (good.status, absent.status) == (Status.PASSED, Status.FAILED)
    events = demo.session.scalars(select(RegistrationEvent.action).where(RegistrationEvent.registration_id == good.id)).all()
    assert events[-1] == "pass"
    notices = demo.session.scalars(select(Notification).where(Notification.idempotency_key == f"result:{good.id}:regular")).all()
    assert len(notices) == 1 and notices[0].data["phrase2"] == "合格"
    assert results.publish(assessor, good.cycle, ExamRound.REGULAR, None) == 0  # once


def test_absentees_then_the_makeup_list_then_the_makeup_round(demo):
    absent, sat = ready_for_exam(demo), ready_for_exam(demo)
    sit(demo, sat, right=False)
    close_windows(demo, absent)
    assessor, authority = staff(demo, "kaohe"), staff(demo, "txwjj")
    results.publish(assessor, absent.cycle, ExamRound.REGULAR, None, absentees_only=True)
    assert absent.status == Status.FAILED and sat.status == Status.AWAITING_TEST  # only the absent
    with pytest.raises(DomainError, match="卫生健康行政部门确认"):
        results.confirm_makeup_list(assessor, absent.cycle, None)
    assert absent in results.makeup_list(authority, absent.cycle)
    results.confirm_makeup_list(authority, absent.cycle, None)
    assert absent.status == Status.MAKEUP
    assert exams.round_for(absent) == ExamRound.MAKEUP
    assert exams.arrangements_for(absent) == []  # no 补考 arrangement published yet
    assert "测评" not in (exams.no_test_reason(absent) or "")


def test_a_notice_verifies_until_revoked(demo):
    registration = ready_for_exam(demo)
    sit(demo, registration, right=True)
    close_windows(demo, registration)
    results.publish(staff(demo, "kaohe"), registration.cycle, ExamRound.REGULAR, None)
    result = demo.session.scalar(select(Result).where(Result.registration_id == registration.id))
    shown = results.verify(result.token)
    assert shown.overall == "合格" and "*" in shown.name and "*" in shown.id_number
    assert registration.physician.name not in str(shown)
    assert results.verify("forged-token") is None and results.verify("") is None
    result.revoked = True
    demo.session.commit()
    assert results.verify(result.token) is None


def test_no_one_is_absent_from_a_paper_not_yet_arranged(demo):
    """Found with issue 23's results list: 发布补考考核结果 before the 补考 arrangement was published marked
    the whole confirmed 待补考名单 缺考 (考核不合格, final); so did 发布 for a category without a paper yet."""
    absent = ready_for_exam(demo)
    close_windows(demo, absent)
    results.publish(staff(demo, "kaohe"), absent.cycle, ExamRound.REGULAR, None)
    results.confirm_makeup_list(staff(demo, "hnwjw"), absent.cycle, None)
    assert absent.status == Status.MAKEUP
    assert results.publish(staff(demo, "kaohe"), absent.cycle, ExamRound.MAKEUP, None) == 0
    assert absent.status == Status.MAKEUP
    uncovered = ready_for_exam(demo)
    for arrangement in exams.arrangements_for(uncovered):
        arrangement.published_at = None  # no paper for this physician yet
    demo.session.commit()
    results.publish(staff(demo, "kaohe"), uncovered.cycle, ExamRound.REGULAR, None)
    assert uncovered.status == Status.AWAITING_TEST


def test_two_sessions_of_one_paper_are_one_paper_to_pass(demo):
    """Found with the demo's sittings: an arrangement and a second 场次 of the same paper for the same physicians
    counted as two papers, so passing one session and not sitting the other was 不合格."""
    from wechat_app.models import Arrangement

    registration = ready_for_exam(demo)
    (main,) = exams.arrangements_for(registration)
    second = Arrangement(cycle_id=main.cycle_id, paper_id=main.paper_id, assessment_body_id=main.assessment_body_id,
                         name="第二场", procedure=main.procedure, starts_at=main.starts_at, ends_at=main.ends_at,
                         attempts_allowed=1, published_at=main.published_at)
    demo.session.add(second)
    demo.session.commit()
    clear_face(demo, registration, second)
    attempt = exams.start(registration, second)
    for question in demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids))):
        exams.save_answer(attempt, question.id, question.answer, False)
    exams.submit(attempt)
    close_windows(demo, registration)
    assert results.decide(registration, ExamRound.REGULAR).overall == Rating.PASS

"""Fan-outs at a province's scale: 发布 of a 考试安排, 考试提醒 and 发布考核结果 select their physicians and
the notices already queued in SQL and insert in bulk, so the statements they run do not grow with the
number of physicians; a reminder is recorded and not selected again."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.helpers import Statements, many_awaiting
from wechat_app import clock
from wechat_app.domain import exam_admin, exams, results
from wechat_app.models import Arrangement, Notification, Registration, Staff
from wechat_app.models.enums import ExamRound


def new_arrangement(demo, starts_in: timedelta = timedelta(days=3)) -> Arrangement:
    """An unpublished copy of the demo's 简易程序 arrangement (the body's paper), opening `starts_in` from now."""
    model = demo.session.scalar(select(Arrangement).where(Arrangement.procedure == "简易程序",
                                                          Arrangement.assessment_body_id.is_not(None)))
    copy = Arrangement(cycle_id=model.cycle_id, paper_id=model.paper_id, assessment_body_id=model.assessment_body_id,
                       name="批量测评卷", round=model.round, procedure="简易程序", starts_at=clock.now() + starts_in,
                       ends_at=clock.now() + starts_in + timedelta(days=5), attempts_allowed=2)
    demo.session.add(copy)
    demo.session.commit()
    return copy


def staff(demo, username: str) -> Staff:
    return demo.session.scalar(select(Staff).where(Staff.username == username))


def notices(demo, prefix: str) -> list[Notification]:
    return list(demo.session.scalars(select(Notification).where(Notification.idempotency_key.like(f"{prefix}%"))))


def test_publishing_an_arrangement_runs_the_same_statements_for_10_or_40_physicians(demo):
    kaohe = staff(demo, "kaohe")
    cohort = many_awaiting(demo, 10, 5000)
    first, second = new_arrangement(demo), new_arrangement(demo)
    with Statements(demo.engine) as few:
        exam_admin.publish(kaohe, first, None)
    cohort += many_awaiting(demo, 30, 6000)
    with Statements(demo.engine) as many:
        targeted = exam_admin.publish(kaohe, second, None)
    assert few.count == many.count
    sent = {n.physician_id: n for n in notices(demo, f"exam-notice:{second.id}:")}
    assert len(sent) == targeted.total and {r.physician_id for r in cohort} <= set(sent)
    bound = [r for r in cohort if sent[r.physician_id].openid is not None]
    assert 0 < len(bound) < len(cohort)  # the unbound ones are kept (undeliverable), not dropped


def test_targeted_in_sql_is_the_rule_of_arrangements_for(demo):
    many_awaiting(demo, 6, 5100)
    arrangement = new_arrangement(demo)
    arrangement.published_at = clock.now()
    demo.session.commit()
    in_sql = {registration_id for registration_id, _ in exam_admin.targeted(arrangement)}
    waiting = demo.session.scalars(select(Registration).where(Registration.status == "awaiting_test")).all()
    assert in_sql == {r.id for r in waiting if arrangement in exams.arrangements_for(r)}


def test_a_reminder_is_recorded_and_the_next_minute_is_one_query(demo):
    kaohe = staff(demo, "kaohe")
    many_awaiting(demo, 10, 5200)
    first = new_arrangement(demo, timedelta(hours=10))
    exam_admin.publish(kaohe, first, None)
    with Statements(demo.engine) as few:
        queued = exam_admin.remind()
    assert queued >= 10 and first.eve_reminded_at is not None
    with Statements(demo.engine) as idle:
        assert exam_admin.remind() == 0  # recorded: nothing selected again
    assert idle.count == 1
    many_awaiting(demo, 30, 5300)
    second = new_arrangement(demo, timedelta(hours=10))
    exam_admin.publish(kaohe, second, None)
    with Statements(demo.engine) as many:
        assert exam_admin.remind() >= 40
    assert few.count == many.count
    assert len(notices(demo, f"exam-reminder:{second.id}:")) == len(exam_admin.targeted(second))


def test_publishing_results_runs_the_same_statements_for_10_or_40_physicians(demo):
    kaohe = staff(demo, "kaohe")
    for arrangement in demo.session.scalars(select(Arrangement)):
        arrangement.starts_at, arrangement.ends_at = clock.now() - timedelta(days=3), clock.now() - timedelta(hours=1)
    demo.session.commit()
    cycle = demo.session.get(Registration, many_awaiting(demo, 10, 5400)[0].id).cycle
    with Statements(demo.engine) as few:
        first = results.publish(kaohe, cycle, ExamRound.REGULAR, None)
    cohort = many_awaiting(demo, 40, 5500)
    assert cycle.name  # loaded again after the commits, as it was before the first
    with Statements(demo.engine) as many:
        second = results.publish(kaohe, cycle, ExamRound.REGULAR, None)
    assert second == 40 and first >= 10
    assert few.count == many.count
    sent = notices(demo, "result:")
    assert {r.id for r in cohort} <= {int(n.idempotency_key.split(":")[1]) for n in sent}
    assert demo.session.scalar(select(func.count(Registration.id)).where(
        Registration.id.in_([r.id for r in cohort]), Registration.status == "failed")) == 40  # 缺考: 不合格

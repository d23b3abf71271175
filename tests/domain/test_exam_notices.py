"""考试通知, 考试提醒 and 考核结果 notices: the right people, WeChat's field limits, once per event
(also when the job runs again, as after a worker restart)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.helpers import clear_face, ready_for_exam
from wechat_app import clock
from wechat_app.domain import exam_admin, exams
from wechat_app.domain.notifications import LIMITS, field_type
from wechat_app.models import Notification


def keys(demo, prefix: str) -> list[str]:
    return demo.session.scalars(select(Notification.idempotency_key)
                                .where(Notification.idempotency_key.like(f"{prefix}%"))).all()


def test_reminders_the_day_before_and_on_the_last_day_once_each(demo):
    waiting, done = ready_for_exam(demo, "简易程序"), ready_for_exam(demo, "简易程序")
    (arrangement,) = exams.arrangements_for(waiting)
    arrangement.starts_at = clock.now() + timedelta(hours=10)
    arrangement.ends_at = clock.now() + timedelta(days=3)
    demo.session.commit()
    assert exam_admin.remind() >= 2
    exam_admin.remind()  # the job runs again: nothing new
    eve = keys(demo, f"exam-reminder:{arrangement.id}:")
    assert f"exam-reminder:{arrangement.id}:{waiting.id}:eve" in eve and len(eve) == len(set(eve))
    count = len(eve)
    assert exam_admin.remind(clock.now() + timedelta(days=1)) == 0  # between: nothing to say

    clock.freeze(arrangement.ends_at.replace(hour=0, minute=0) + timedelta(minutes=1))
    clear_face(demo, done, arrangement)
    exams.submit(exams.start(done, arrangement))
    exam_admin.remind()
    last = set(keys(demo, f"exam-reminder:{arrangement.id}:")) - set(eve)
    assert f"exam-reminder:{arrangement.id}:{waiting.id}:last" in last
    assert f"exam-reminder:{arrangement.id}:{done.id}:last" not in last  # finished: not reminded
    assert demo.session.scalar(select(func.count(Notification.id))
                               .where(Notification.idempotency_key.like("exam-reminder:%"))) == count + len(last)


def test_every_exam_notice_fits_wechats_limits(demo):
    registration = ready_for_exam(demo, "简易程序")
    (arrangement,) = exams.arrangements_for(registration)
    arrangement.starts_at = clock.now() + timedelta(hours=2)
    demo.session.commit()
    exam_admin.remind()
    for notice in demo.session.scalars(select(Notification).where(Notification.template_key == "exam_reminder",
                                                                  Notification.channel == "template")):
        for name, value in notice.data.items():
            assert len(value) <= LIMITS[field_type(name)], (name, value)
        assert "%2Fm%2Fexams" in notice.url or "/m/exams" in notice.url

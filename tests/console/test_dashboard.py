"""The console's first page: the cycle's progress, and when template messages are paused by
WeChat's daily quota, until when."""
from __future__ import annotations

from sqlalchemy import select

from wechat_app import clock
from wechat_app.domain import notifications, outbox
from wechat_app.models import Physician


def test_the_quota_pause_is_shown_with_the_time_sending_resumes(client, staff, demo):
    physician = demo.session.scalar(select(Physician).order_by(Physician.id))
    notifications.queue_template(physician, "exam_notice", {"thing1": "医学人文测评", "time2": "2026年12月01日 09:00",
                                                            "thing3": "可考2次"}, "/m/exams", "exam:1", openid="oX")
    demo.session.commit()
    staff("rmyy")
    assert "今日配额已用尽" not in client.get("/console/").get_data(as_text=True)
    until = outbox.pause_templates(clock.now())
    page = client.get("/console/").get_data(as_text=True)
    assert f"今日配额已用尽，将于 {until:%Y-%m-%d %H:%M} 继续发送模板消息（待发送 {outbox.backlog().templates} 条" in page

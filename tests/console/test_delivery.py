"""Notice delivery (issue 23, defect 5: 发布 said "已向3名医师发送考试通知" when all 3 were unreachable):
发布 says whom WeChat and SMS reach and who cannot be reached; each fan-out has a delivery report with the
true numbers; the SMS fallback is the province's setting, changed by its provincial authority only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.console.test_exams import post
from tests.helpers import many_awaiting
from wechat_app import clock
from wechat_app.domain import notifications
from wechat_app.models import Arrangement, AuditLog, Notification, Physician, Province
from wechat_app.outbox_worker import run_worker


def new_arrangement(demo) -> Arrangement:
    template = demo.session.scalar(select(Arrangement).where(Arrangement.procedure == "简易程序"))
    arrangement = Arrangement(cycle_id=template.cycle_id, paper_id=template.paper_id, name="送达测评",
                              assessment_body_id=template.assessment_body_id, procedure="简易程序",
                              starts_at=clock.now() + timedelta(days=1), ends_at=clock.now() + timedelta(days=2),
                              attempts_allowed=1)
    demo.session.add(arrangement)
    demo.session.commit()
    return arrangement


def hunan(demo) -> Province:
    return demo.session.scalar(select(Province).where(Province.name == "湖南"))


def test_publishing_tells_the_true_reach_and_the_report_follows_the_outbox(app, client, staff, demo, fake_wechat):
    cohort = many_awaiting(demo, 6, 9100, bound_every=3)  # 2 bound, 4 not; all with a phone
    no_phone = cohort[1].physician
    no_phone.phone = None
    demo.session.commit()
    arrangement = new_arrangement(demo)
    staff("kaohe")
    page = post(client, f"/console/arrangements/{arrangement.id}/publish", {}, "/console/arrangements",
                follow_redirects=True).get_data(as_text=True)
    report = notifications.delivery_report(f"exam-notice:{arrangement.id}")
    notices = demo.session.scalars(select(Notification).where(Notification.batch == f"exam-notice:{arrangement.id}",
                                                              Notification.channel == "template")).all()
    unbound_with_phone = [n for n in notices if n.openid is None and demo.session.get(Physician, n.physician_id).phone]
    bound = [n for n in notices if n.openid]
    assert "已向" not in page and f"考试通知：{len(notices)}名医师，其中微信{len(bound)}人、短信{len(unbound_with_phone)}人" in page
    assert "1人未绑定微信且无法发送短信" in page  # the one without a phone
    assert report.total == len(notices) and report.sms_waiting == len(unbound_with_phone)
    with app.app_context():
        run_worker(drain=True)
    demo.session.expire_all()
    report = notifications.delivery_report(f"exam-notice:{arrangement.id}")
    assert report.sent >= 2 and report.unbound == report.total - report.sent - report.unfollowed - sum(report.failed.values())
    assert report.waiting == 0
    shown = client.get(f"/console/arrangements/{arrangement.id}/delivery").get_data(as_text=True)
    assert f"<td>考试通知</td><td>{report.total}</td><td>{report.sent}</td><td>0</td><td>{report.unbound}</td>" in shown


def test_the_province_turns_the_sms_fallback_off_and_on(client, staff, demo):
    staff("hnwjw")
    page = post(client, "/console/sms-fallback", {"choice": "off"}, "/console/cycles", follow_redirects=True)
    assert "已关闭短信补发" in page.get_data(as_text=True) and hunan(demo).sms_fallback is False
    assert demo.session.scalar(select(AuditLog).where(AuditLog.action == "sms_fallback_off")) is not None
    cohort = many_awaiting(demo, 3, 9200, bound_every=99)  # none bound
    arrangement = new_arrangement(demo)
    staff("kaohe")
    page = post(client, f"/console/arrangements/{arrangement.id}/publish", {}, "/console/arrangements",
                follow_redirects=True).get_data(as_text=True)
    assert "短信0人" in page
    assert not demo.session.scalars(select(Notification).where(Notification.channel == "sms",
                                                               Notification.batch == f"exam-notice:{arrangement.id}")).all()
    assert cohort


@pytest.mark.parametrize("username, status", [("txwjj", 403), ("kaohe", 403), ("rmyy", 403), ("rhzs", 403)])
def test_only_the_provincial_authority_sets_the_sms_fallback(client, staff, demo, username, status):
    staff(username)
    response = post(client, "/console/sms-fallback", {"choice": "off"}, "/console/")
    assert response.status_code == status and hunan(demo).sms_fallback is True


@pytest.mark.parametrize("username", ["rmyy", "rhzs"])
def test_institutions_do_not_read_delivery_reports(client, staff, demo, username):
    arrangement = new_arrangement(demo)
    staff(username)
    assert client.get(f"/console/arrangements/{arrangement.id}/delivery").status_code == 403


def test_a_body_does_not_read_another_bodys_report(client, staff, demo):
    from wechat_app.models import AssessmentBody

    other = AssessmentBody(province_id=hunan(demo).id, name="另一考核办")
    demo.session.add(other)
    demo.session.flush()
    arrangement = new_arrangement(demo)
    arrangement.assessment_body_id = other.id
    demo.session.commit()
    staff("kaohe")
    assert client.get(f"/console/arrangements/{arrangement.id}/delivery").status_code == 404

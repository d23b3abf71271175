"""Reviews: ratings, reasons, deadlines, notices, the missing assessment body, batches, windows."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.helpers import csrf_token, registration_in
from wechat_app import clock
from wechat_app.domain.submission import sealed_identity
from wechat_app.models import (
    Institution,
    Notification,
    Physician,
    Registration,
    RegistrationSnapshot,
    Review,
    WeChatUser,
)


def submitted(db, institution="长沙市天心区人民医院", status="pending_institution", openid="oREVIEW") -> Registration:
    """A demo registration of `institution` in `status`, submitted as the demo submits it (through the
    use cases), its physician following the account as `openid`. The clinic's physicians cannot
    submit (it keeps no departments): there a registration is put in `status` with a snapshot."""
    reg = db.session.scalar(
        select(Registration).join(Physician, Registration.physician_id == Physician.id)
        .join(Institution, Physician.institution_id == Institution.id)
        .where(Registration.status == status, Institution.name == institution,
               Registration.id.in_(select(RegistrationSnapshot.registration_id))).order_by(Registration.id).limit(1))
    if reg is None:
        physician = next(p for p in db.session.scalars(select(Physician)) if p.institution.name == institution)
        reg = registration_in(db, physician, status)
        db.session.add(RegistrationSnapshot(registration_id=reg.id, number=1, procedure="一般程序", data={
            "identity": sealed_identity(reg.physician), "steps": {"1": {"ethnicity": "侗族"}}, "conditions": []}))
    if openid:
        db.session.add(WeChatUser(openid=openid, physician_id=reg.physician_id, subscribed=True))
    db.session.commit()
    return reg


def unsubmitted(db, staff) -> Registration:
    """A registration of `staff`'s institution put in 待审核 without a submission (no demo row is so)."""
    physician = db.session.scalar(select(Physician).where(
        Physician.institution_id == staff.institution_id, ~Physician.id.in_(select(Registration.physician_id)))
        .order_by(Physician.id).limit(1))
    registration = registration_in(db, physician, "pending_institution")
    db.session.commit()
    return registration


def post(client, registration_id, **data):
    token = csrf_token(client.get(f"/console/reviews/{registration_id}").get_data(as_text=True))
    return client.post(f"/console/reviews/{registration_id}", data={"csrf_token": token, **data})


def test_detail_shows_the_snapshot_with_a_masked_id(client, staff, demo):
    reg = submitted(demo)
    staff("rmyy")
    page = client.get(f"/console/reviews/{reg.id}").get_data(as_text=True)
    ethnicity = demo.session.scalar(select(RegistrationSnapshot).where(RegistrationSnapshot.registration_id == reg.id)
                                    ).data["steps"]["1"]["ethnicity"]
    assert ethnicity in page and "第1次提交" in page and reg.physician.id_number_18 not in page
    assert reg.physician.id_number_18[:3] + "*" * 11 in page


def test_approval_needs_both_ratings(client, staff, demo):
    reg = submitted(demo)
    staff("rmyy")
    post(client, reg.id, decision="approve", work_rating="合格")
    demo.session.expire_all()
    assert demo.session.get(Registration, reg.id).status == "pending_institution"
    assert "请评定工作成绩和职业道德" in client.get(f"/console/reviews/{reg.id}").get_data(as_text=True)
    post(client, reg.id, decision="approve", work_rating="合格", ethics_rating="合格")
    demo.session.expire_all()
    assert demo.session.get(Registration, reg.id).status == "pending_assessor"
    review = demo.session.scalar(select(Review).where(Review.registration_id == reg.id))
    assert (review.stage, review.decision, review.work_rating, review.ethics_rating) == ("institution", "approve", "合格", "合格")


def test_rejection_needs_a_reason_and_tells_the_physician(client, staff, demo):
    reg = submitted(demo)
    staff("rmyy")
    post(client, reg.id, decision="reject", reason="")
    demo.session.expire_all()
    assert demo.session.get(Registration, reg.id).status == "pending_institution"
    deadline = clock.today() + timedelta(days=5)
    post(client, reg.id, decision="reject", reason="执业证书照片不清晰，请重新上传第二页，且需要包含目前执业机构的注册信息",
         deadline=f"{deadline:%Y-%m-%d}")
    demo.session.expire_all()
    reg = demo.session.get(Registration, reg.id)
    assert (reg.status, reg.rejected_by, reg.resubmit_deadline) == ("rejected", "医疗卫生机构", deadline)
    notice = demo.session.scalar(select(Notification).where(Notification.template_key == "registration_rejected"))
    assert notice.openid == "oREVIEW" and notice.url.endswith("/wechat/oauth/entry?next=/m/registration")
    assert notice.data["thing1"] == "医疗卫生机构驳回"
    assert len(notice.data["thing2"]) == 20 and notice.data["thing2"].endswith("…")  # thing ≤ 20 characters
    assert notice.data["time3"] == f"{deadline:%Y年%m月%d日}"
    page = client.get(f"/console/reviews/{reg.id}").get_data(as_text=True)
    assert "报名审核驳回通知（" in page and "registration_rejected" not in page  # the notice by its Chinese name


def test_assessor_approval_completes_registration_and_notifies(client, staff, demo):
    reg = submitted(demo, status="pending_assessor")
    staff("kaohe")
    post(client, reg.id, decision="approve")
    demo.session.expire_all()
    assert demo.session.get(Registration, reg.id).status == "awaiting_test"
    notice = demo.session.scalar(select(Notification).where(Notification.template_key == "registration_approved"))
    assert notice.data["phrase2"] == "待测评"


def test_assessor_rejection_goes_back_to_the_physician(client, staff, demo):
    reg = submitted(demo, status="pending_assessor")
    staff("kaohe")
    post(client, reg.id, decision="reject", reason="工作成绩评定依据不足")
    demo.session.expire_all()
    reg = demo.session.get(Registration, reg.id)
    assert reg.status == "rejected" and reg.rejected_by == "考核机构"
    assert reg.resubmit_deadline == reg.cycle.registration_end  # the default: end of the 报名 window


def test_institution_without_assessment_body_cannot_review(client, staff, demo):
    reg = submitted(demo, institution="天心区仁和诊所")
    staff("rhzs")
    page = client.get(f"/console/reviews/{reg.id}").get_data(as_text=True)
    assert "当前机构暂未指定考核机构，无法进行此操作，请联系长沙市天心区卫生健康局" in page
    post(client, reg.id, decision="approve", work_rating="合格", ethics_rating="合格")
    demo.session.expire_all()
    assert demo.session.get(Registration, reg.id).status == "pending_institution"


def test_batch_approve(client, staff, demo):
    a = submitted(demo, openid="oA")
    rmyy = staff("rmyy")
    lacking = unsubmitted(demo, rmyy)  # the batch reports it and goes on
    page = client.get("/console/reviews").get_data(as_text=True)
    assert a.physician.name in page and lacking.physician.name in page
    ids = sorted(r.id for r in demo.session.scalars(select(Registration).where(Registration.status == "pending_institution"))
                 if r.physician.institution.name == "长沙市天心区人民医院")
    assert a.id in ids and lacking.id in ids and len(ids) > 2
    client.post("/console/reviews/batch", data={"csrf_token": csrf_token(page), "registration_id": ids})
    demo.session.expire_all()
    assert {demo.session.get(Registration, i).status for i in ids if i != lacking.id} == {"pending_assessor"}
    assert demo.session.get(Registration, lacking.id).status == "pending_institution"
    assert f"批量通过{len(ids) - 1}人。{lacking.physician.name}：该医师尚未提交报名信息。" in \
        client.get("/console/reviews").get_data(as_text=True)


def test_review_outside_the_review_window_is_refused(client, staff, demo):
    reg = submitted(demo)
    staff("rmyy")
    clock.freeze(clock.now() + timedelta(days=(reg.cycle.review_end - clock.today()).days + 1))
    post(client, reg.id, decision="approve", work_rating="合格", ethics_rating="合格")
    demo.session.expire_all()
    assert demo.session.get(Registration, reg.id).status == "pending_institution"
    assert "不在报名审核时间内" in client.get(f"/console/reviews/{reg.id}").get_data(as_text=True)


def test_two_reviewers_cannot_both_win(app, demo):
    """The second reviewer acts on what they loaded: the version check refuses the stale write."""
    from sqlalchemy.orm import Session

    from wechat_app.domain import reviews
    from wechat_app.domain.reviews import Decision, DomainError
    from wechat_app.extensions import db as _db
    from wechat_app.models import Staff

    reg = submitted(demo)
    staff_id = demo.session.scalar(select(Staff.id).where(Staff.username == "rmyy"))
    other = Session(_db.engine)
    stale = other.get(Registration, reg.id)
    stale.status  # loaded at version 1
    reviews.review(demo.session.get(Staff, staff_id), demo.session.get(Registration, reg.id), "institution",
                   Decision(True, "合格", "合格"), None)
    stale.status = "rejected"
    import pytest
    from sqlalchemy.orm.exc import StaleDataError

    with pytest.raises(StaleDataError):
        other.commit()
    other.close()
    assert DomainError


def test_an_exemption_decision_is_confirmed_and_notified(client, staff, demo):
    """免考审核: the console confirms it, the physician gets the 免考 result as a template message."""
    from tests.helpers import csrf_token, ready_for_exam
    from wechat_app.models import Exemption, Notification

    registration = ready_for_exam(demo)
    exemption = Exemption(registration_id=registration.id, category="本周期内晋升上一级专业技术职务", explanation="已晋升副主任医师。",
                          evidence=[])
    demo.session.add(exemption)
    demo.session.commit()
    staff("kaohe")
    token = csrf_token(client.get("/console/exemptions").get_data(as_text=True))
    page = client.post(f"/console/exemptions/{exemption.id}", data={"csrf_token": token, "decision": "approve",
                                                                    "reason": ""}, follow_redirects=True)
    assert f"已通过免考申请：{registration.physician.name}（已通知医师）" in page.get_data(as_text=True)
    notice = demo.session.scalar(select(Notification).where(Notification.idempotency_key == f"exemption-result:{exemption.id}"))
    assert notice.template_key == "exemption_result" and notice.data["phrase2"] == "审核通过"
    assert registration.status == "exempt"


def test_a_registration_without_a_submission_offers_no_approval(client, staff, demo):
    """A 待审核 row without a snapshot (only a fault could leave one): the page says so, offers no 审核通过."""
    registration = unsubmitted(demo, staff("rmyy"))
    page = client.get(f"/console/reviews/{registration.id}").get_data(as_text=True)
    assert "该医师尚未提交报名信息。" in page and 'value="approve"' not in page

"""我要报名 through HTTP: steps with 保存 and 下一步, lists, uploads, preview, submission, snapshots,
rejection and resubmission, double submission, upload access, 免考申请."""
from __future__ import annotations

import copy
import io
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import Statements, csrf_token, enrolled, image_bytes
from wechat_app import clock
from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import stated_in
from wechat_app.domain.registration import Action, Actor, Role, Status, apply
from wechat_app.models import Department, Physician, Registration, RegistrationEvent, RegistrationSnapshot, Upload


def jpeg(name="a.jpg", **kw):
    return (io.BytesIO(image_bytes("JPEG", **kw)), name)


def step_data(physician: Physician, step: int) -> dict:
    department = physician.department
    return {
        1: {"gender": stated_in(physician.id_number_18)[0], "ethnicity": "土家族", "birth": f"{physician.birth_date:%Y-%m-%d}", "education": "大学本科",
            "email": "doc@example.cn", "photo": jpeg()},
        2: {"department": str(department.id), "specialties": department.subject_codes[:1], "title": "主治医师",
            "title_date": "2019-09-01", "post": "", "post_date": "", "level": "执业医师", "resident": "否",
            "residency_passed_on": "", "category": "临床", "scope": "内科专业", "certificate_number": "110430100000001",
            "certificate_date": "2010-07-01", "certificate_kind": "纸质执业证书",
            "certificate_pages": [jpeg("p1.jpg", size=(800, 600)), jpeg("p2.jpg", size=(800, 600))]},
        3: {"filings-count": "0", "education-count": "0", "practice-count": "0"},
        4: {"good_record": "无", "bad_record": "无", "workload": "合格", "patients": "3000"},
        5: {"procedure": "一般程序", "statement": ""},
    }[step]


def snapshots_of(db, physician) -> int:
    return db.session.scalar(select(func.count(RegistrationSnapshot.id)).join(
        Registration, RegistrationSnapshot.registration_id == Registration.id).where(Registration.physician_id == physician.id))


def post_step(client, step: int, data: dict, action: str = "next"):
    token = csrf_token(client.get(f"/m/registration/step/{step}").get_data(as_text=True))
    return client.post(f"/m/registration/step/{step}", data={"csrf_token": token, "action": action, **data},
                       content_type="multipart/form-data")


def fill_all(client, physician):
    for step in range(1, 6):
        response = post_step(client, step, step_data(physician, step))
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]


def submit(client):
    token = csrf_token(client.get("/m/registration/preview").get_data(as_text=True))
    return client.post("/m/registration/submit", data={"csrf_token": token})


@pytest.fixture
def physician(demo, login_as):
    return login_as(enrolled(demo))


def test_not_enrolled_sees_why(client, demo, login_as):
    physician = next(p for p in demo.session.scalars(select(Physician))
                     if demo.session.scalar(select(Registration).where(Registration.physician_id == p.id)) is None)
    physician.must_change_password = False
    demo.session.commit()
    login_as(physician)
    page = client.get("/m/registration")
    assert page.status_code == 403 and "报名关闭" in page.get_data(as_text=True)


def test_full_flow_to_pending_institution(client, demo, physician):
    fill_all(client, physician)
    preview = client.get("/m/registration/preview").get_data(as_text=True)
    assert "土家族" in preview and "一般程序" in preview and "提交信息" in preview and "返回修改" in preview
    assert physician.id_number_18 not in preview
    response = submit(client)
    assert response.headers["Location"] == "/m/registration/done"
    done = client.get("/m/registration/done").get_data(as_text=True)
    assert "个人报名信息提交成功，请耐心等待机构审核。" in done and "一般程序" in done and "提交时间" in done
    assert "已报名-待医疗卫生机构审核" in client.get("/m/").get_data(as_text=True)
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    assert reg.status == "pending_institution" and reg.procedure == "一般程序"
    snapshot = demo.session.scalar(select(RegistrationSnapshot).where(RegistrationSnapshot.registration_id == reg.id))
    assert snapshot.data["steps"]["1"]["ethnicity"] == "土家族"
    actions = demo.session.scalars(select(RegistrationEvent.action).where(RegistrationEvent.registration_id == reg.id)
                                   .order_by(RegistrationEvent.id)).all()
    assert actions == ["enroll", "save", "submit"]  # enrolled by the institution; saves within draft are no transitions
    department = demo.session.get(Department, int(snapshot.data["steps"]["2"]["department"]))
    status = client.get("/m/registration").get_data(as_text=True)
    assert f'<span class="label">科室</span>{department.name}</div>' in status


@pytest.mark.parametrize("stated", ["other institution", "not a number", "missing"])
def test_the_status_page_names_only_a_department_of_the_physicians_institution(client, demo, physician, stated):
    fill_all(client, physician)
    submit(client)
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    snapshot = demo.session.scalar(select(RegistrationSnapshot).where(RegistrationSnapshot.registration_id == reg.id))
    other = demo.session.scalar(select(Department).where(Department.institution_id != physician.institution_id))
    data = copy.deepcopy(snapshot.data)
    if stated == "missing":
        data["steps"]["2"].pop("department")
    else:
        data["steps"]["2"]["department"] = str(other.id) if stated == "other institution" else "1 OR 1=1"
    snapshot.data = data
    demo.session.commit()
    page = client.get("/m/registration")
    assert page.status_code == 200 and '<span class="label">科室</span></div>' in page.get_data(as_text=True)


def test_save_keeps_an_incomplete_step_and_next_explains_each_field(client, demo, physician):
    response = post_step(client, 1, {"gender": "女", "email": "not-an-email"}, action="next")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请上传近期1寸证件照。" in page and "请选择民族。" in page and "请输入正确的电子邮件地址。" in page
    assert 'value="not-an-email"' in page  # nothing typed is lost
    again = client.get("/m/registration/step/1").get_data(as_text=True)
    assert 'value="not-an-email"' in again


def test_birth_date_must_match_the_id_number(client, demo, physician):
    data = {**step_data(physician, 1), "birth": "1901-01-01"}
    assert "出生年月与证件号码不一致" in post_step(client, 1, data).get_data(as_text=True)


def test_scope_must_belong_to_the_category(client, demo, physician):
    post_step(client, 1, step_data(physician, 1))
    data = {**step_data(physician, 2), "category": "口腔", "scope": "内科专业"}
    assert "执业范围与执业类别不符" in post_step(client, 2, data).get_data(as_text=True)
    data = {**step_data(physician, 2), "resident": "是", "scope": ""}
    assert post_step(client, 2, data).status_code == 302  # 规培生: 执业范围 optional


def test_paper_certificate_needs_two_pages_electronic_one(client, demo, physician):
    data = {**step_data(physician, 2), "certificate_pages": [jpeg("p1.jpg", size=(800, 600))]}
    assert "医师执业证书需上传2页" in post_step(client, 2, data).get_data(as_text=True)
    assert post_step(client, 2, {**step_data(physician, 2), "certificate_kind": "电子证照", "certificate_pages": []}
                     ).status_code == 302


def test_institution_without_departments_gets_the_faq_message(client, demo, physician):
    from wechat_app.models import Department

    demo.session.execute(Department.__table__.update().values(enabled=False))
    demo.session.commit()
    page = client.get("/m/registration/step/2").get_data(as_text=True)
    assert "主要执业机构尚未维护科室信息" in page


def test_lists_add_edit_delete(client, demo, physician):
    post_step(client, 3, {"education-count": "0"}, action="add:education")
    page = client.get("/m/registration/step/3").get_data(as_text=True)
    assert 'name="education-0-school"' in page
    data = {"education-count": "1", "education-0-level": "大学本科", "education-0-school": "中南大学湘雅医学院",
            "education-0-major": "临床医学", "education-0-start": "2005-09-01", "education-0-end": "2004-07-01"}
    assert "结束时间不能早于开始时间" in post_step(client, 3, data).get_data(as_text=True)
    data["education-0-end"] = "2010-07-01"
    assert post_step(client, 3, data).status_code == 302
    assert "中南大学湘雅医学院" in client.get("/m/registration/step/3").get_data(as_text=True)
    post_step(client, 3, data, action="delete:education:0")
    assert 'name="education-0-school"' not in client.get("/m/registration/step/3").get_data(as_text=True)


def test_good_record_needs_entries(client, demo, physician):
    data = {**step_data(physician, 4), "good_record": "有"}
    assert "选择“有”时请至少添加一条记录" in post_step(client, 4, data).get_data(as_text=True)


def test_simple_procedure_refused_without_a_condition(client, demo, physician):
    fill_all(client, physician)
    post_step(client, 2, {**step_data(physician, 2), "certificate_date": "2022-01-01", "certificate_pages": []})
    data = {"procedure": "简易程序", "statement": "短", "evidence": [jpeg("e.jpg", size=(800, 600))]}
    page = post_step(client, 5, data).get_data(as_text=True)
    assert "不符合简易程序的任一条件" in page and "个人述职应为50-2000字" in page


def test_simple_procedure_with_twelve_years(client, demo, physician):
    fill_all(client, physician)  # certificate 2010-07-01: 15 years at the 2025-12-31 cut-off, no bad record
    statement = "本人自2010年取得执业证书以来，遵守各项规章制度，认真履行岗位职责，无违反行医准则的情况。" * 2
    assert post_step(client, 5, {"procedure": "简易程序", "statement": statement,
                                 "evidence": [jpeg("e.jpg", size=(800, 600))]}).status_code == 302
    assert "符合" in client.get("/m/registration/step/5").get_data(as_text=True)
    submit(client)
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    assert reg.procedure == "简易程序"


def test_a_bad_upload_is_refused_and_the_rest_is_kept(client, demo, physician):
    data = {**step_data(physician, 1), "photo": (io.BytesIO(b"not an image"), "x.jpg"), "email": "kept@example.cn"}
    page = post_step(client, 1, data).get_data(as_text=True)
    assert "不是有效的jpg或png图片" in page and 'value="kept@example.cn"' in page
    assert demo.session.scalar(select(func.count(Upload.id)).where(Upload.physician_id == physician.id)) == 0


def test_uploads_are_served_only_to_their_owner(app, client, demo, physician, login_as):
    post_step(client, 1, step_data(physician, 1), action="save")
    upload = demo.session.scalar(select(Upload).where(Upload.physician_id == physician.id))
    response = client.get(f"/m/uploads/{upload.id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    other = next(p for p in demo.session.scalars(select(Physician)) if p.id != physician.id)
    other.must_change_password = False
    demo.session.commit()
    login_as(other)
    assert client.get(f"/m/uploads/{upload.id}").status_code == 404
    from flask import g

    g.pop("_login_user", None)  # the test's shared app context remembers the last user
    assert app.test_client().get(f"/m/uploads/{upload.id}").status_code == 302  # anonymous: sign in first


def test_double_tapped_submit_creates_one_submission(client, demo, physician):
    fill_all(client, physician)
    token = csrf_token(client.get("/m/registration/preview").get_data(as_text=True))
    first = client.post("/m/registration/submit", data={"csrf_token": token})
    second = client.post("/m/registration/submit", data={"csrf_token": token})
    assert first.headers["Location"] == second.headers["Location"] == "/m/registration/done"
    assert snapshots_of(demo, physician) == 1


def test_submit_racing_a_review_cannot_both_win(app, client, demo, physician):
    """Two sessions load the same registration; the second writer gets StaleDataError, not a
    silent overwrite (version column)."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    from wechat_app.extensions import db as _db

    fill_all(client, physician)
    submit(client)
    reg_id = demo.session.scalar(select(Registration.id).where(Registration.physician_id == physician.id))
    with app.app_context():
        one, two = Session(_db.engine), Session(_db.engine)
        a, b = one.get(Registration, reg_id), two.get(Registration, reg_id)
        a.status, b.status = "pending_assessor", "rejected"  # as two reviewers' transitions would
        one.commit()
        with pytest.raises(StaleDataError):
            two.commit()
        one.close(), two.close()


def test_two_simultaneous_submits_make_one_submission(app, client, demo, physician):
    from wechat_app.domain import submission
    from wechat_app.extensions import db as _db

    fill_all(client, physician)
    reg_id = demo.session.scalar(select(Registration.id).where(Registration.physician_id == physician.id))
    barrier, outcomes = threading.Barrier(2), []

    def tap():
        with app.app_context():
            reg = _db.session.get(Registration, reg_id)
            reg.physician, reg.cycle  # loaded before the race, as a request would have them
            barrier.wait()
            try:
                submission.submit(reg, Actor(Role.PHYSICIAN, physician.id))
                outcomes.append("submitted")
            except DomainError as exc:
                outcomes.append(str(exc))
    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["submitted", "报名信息已提交，请勿重复提交。"]
    assert snapshots_of(demo, physician) == 1


def test_two_simultaneous_saves_keep_both(app, demo, physician):
    from wechat_app.domain import submission
    from wechat_app.extensions import db as _db

    reg_id = demo.session.scalar(select(Registration.id).where(Registration.physician_id == physician.id))
    barrier, errors = threading.Barrier(2), []

    photo = {"photo": [submission.IncomingFile("me.jpg", image_bytes())]}

    def save(step, data, files=None):
        with app.app_context():
            reg = _db.session.get(Registration, reg_id)
            reg.physician, reg.cycle, reg.draft
            barrier.wait()
            try:
                submission.save_step(reg, step, data, files or {}, Actor(Role.PHYSICIAN, physician.id))
            except Exception as exc:  # noqa: BLE001 — the test reports whatever escaped
                errors.append(exc)
    threads = [threading.Thread(target=save, args=(1, {"email": "a@example.cn"}, photo)),
               threading.Thread(target=save, args=(4, {"workload": "合格"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    demo.session.expire_all()
    draft = demo.session.get(Registration, reg_id).draft
    assert draft["1"]["email"] == "a@example.cn" and draft["4"]["workload"] == "合格"
    assert len(draft["1"]["photo"]) == 1  # the upload survives a retried save too


def test_submission_outside_the_window_is_refused(client, demo, physician):
    fill_all(client, physician)
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    clock.freeze(clock.now().replace(hour=9) + timedelta(days=(reg.cycle.registration_end - clock.today()).days + 1))
    response = submit(client)
    assert response.headers["Location"] == "/m/registration/preview"
    assert "不在医师报名时间内" in client.get("/m/registration/preview").get_data(as_text=True)


def reject(demo, physician, reason="执业证书照片不清晰", deadline=None):
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    apply(reg, Action.INSTITUTION_REJECT, Actor(Role.INSTITUTION, 1), reason=reason)
    reg.rejected_by, reg.reject_reason = "医疗卫生机构", reason
    reg.resubmit_deadline = deadline or reg.cycle.registration_end
    demo.session.commit()
    return reg


def test_rejected_registration_is_fixed_and_resubmitted(client, demo, physician):
    fill_all(client, physician)
    submit(client)
    reject(demo, physician)
    home = client.get("/m/").get_data(as_text=True)
    assert "驳回方：医疗卫生机构" in home and "执业证书照片不清晰" in home and "修改并重新提交" in home
    page = client.get("/m/registration/step/1").get_data(as_text=True)
    assert "执业证书照片不清晰" in page and "土家族" in page  # the form opens with the submitted data
    post_step(client, 1, {**step_data(physician, 1), "email": "fixed@example.cn", "photo": (io.BytesIO(b""), "")})
    assert submit(client).headers["Location"] == "/m/registration/done"
    demo.session.expire_all()
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    assert reg.status == "pending_institution"
    snapshots = demo.session.scalars(select(RegistrationSnapshot).where(RegistrationSnapshot.registration_id == reg.id)
                                     .order_by(RegistrationSnapshot.number)).all()
    assert [s.number for s in snapshots] == [1, 2]
    assert snapshots[0].data["steps"]["1"]["email"] == "doc@example.cn"  # the first submission is unchanged
    assert snapshots[1].data["steps"]["1"]["email"] == "fixed@example.cn"


def test_resubmission_after_the_deadline_is_refused(client, demo, physician):
    fill_all(client, physician)
    submit(client)
    reject(demo, physician, deadline=clock.today())
    clock.freeze(clock.now() + timedelta(days=1))
    assert "重新提交已于" in post_step(client, 1, step_data(physician, 1)).get_data(as_text=True)


def test_autosave_returns_json_and_keeps_the_text(client, demo, physician):
    token = csrf_token(client.get("/m/registration/step/1").get_data(as_text=True))
    response = client.post("/m/registration/step/1", data={"csrf_token": token, "action": "autosave",
                                                          "email": "auto@example.cn"})
    assert response.get_json()["ok"]
    assert 'value="auto@example.cn"' in client.get("/m/registration/step/1").get_data(as_text=True)


def test_page_query_count_does_not_grow_with_entries(app, client, demo, physician):

    from wechat_app.extensions import db as _db

    def queries_for(count: int) -> int:
        data = {"education-count": str(count)}
        for i in range(count):
            data |= {f"education-{i}-level": "大学本科", f"education-{i}-school": f"学校{i}",
                     f"education-{i}-start": "2001-09-01", f"education-{i}-end": "2005-07-01"}
        post_step(client, 3, data, action="save")
        with Statements(_db.engine) as seen:
            client.get("/m/registration/step/3")
            client.get("/m/registration/preview")
        return seen.count

    assert queries_for(1) == queries_for(15)


def test_exemption_application(app, client, demo, login_as):
    login_as(enrolled(demo, Status.AWAITING_TEST))
    page = client.get("/m/exemption").get_data(as_text=True)
    token = csrf_token(page)
    bad = client.post("/m/exemption", data={"csrf_token": token, "category": "本周期内晋升上一级专业技术职务",
                                             "explanation": "短"}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "情况说明应为10-1000字" in bad.get_data(as_text=True)
    good = client.post("/m/exemption", data={
        "csrf_token": token, "category": "本周期内晋升上一级专业技术职务", "explanation": "2024年取得副主任医师资格，附资格证书。",
        "evidence": [jpeg("cert.jpg", size=(800, 600))]}, content_type="multipart/form-data")
    assert good.status_code == 302
    assert "待审核" in client.get("/m/exemption").get_data(as_text=True)
    assert "免考申请：待审核" in client.get("/m/").get_data(as_text=True)


def test_exemption_needs_an_approved_registration_and_the_window(client, demo, physician):
    assert "考核机构复核通过后才能申请免考" in client.get("/m/exemption").get_data(as_text=True)
    reg = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    reg.cycle.exemption_end = clock.today() - timedelta(days=1)
    demo.session.commit()
    assert "不在免考申请时间内" in client.get("/m/exemption").get_data(as_text=True)


@pytest.mark.parametrize("status, told", [
    ("passed", "您的考核结果已发布（考核合格），无需申请免考。"),
    ("failed", "您的考核结果已发布（考核不合格），本周期不能再申请免考。"),
    ("makeup", "您已列入待补考名单，请参加补考，本周期不能再申请免考。"),
    ("exempt", "您的免考申请已审核通过，无需再次申请。"),
])
def test_exemption_says_why_to_a_physician_past_the_test(client, demo, login_as, status, told):
    """Not "审核、复核通过后才能申请" to one whose registration passed both long ago (issue 22, defect 5)."""
    physician = enrolled(demo)
    registration = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    registration.status = status  # where the reviews, the test and the results would have taken it
    demo.session.commit()
    login_as(physician)
    page = client.get("/m/exemption").get_data(as_text=True)
    assert told in page and "复核通过后才能申请免考" not in page


def test_a_field_over_its_length_is_shown_not_saved_and_nothing_typed_is_lost(client, demo, physician):
    post_step(client, 1, {"email": "kept@example.cn"}, action="save")
    response = post_step(client, 1, {"email": "x" * 81 + "@example.cn", "ethnicity": "汉族"}, action="save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "电子邮箱不能超过80个字符。" in page
    assert 'value="汉族"' in page  # shown again as typed
    assert 'value="kept@example.cn"' in client.get("/m/registration/step/1").get_data(as_text=True)


def test_a_list_entry_over_its_length_is_refused_on_its_own_row(client, demo, physician):
    data = {"filings-0-institution": "机构" * 101, "filings-0-department": "", "filings-0-post": ""}
    page = post_step(client, 3, data, action="save").get_data(as_text=True)
    assert 'data-error-for="filings-0-institution"' in page and "备案机构不能超过200个字符。" in page


def test_more_list_entries_than_allowed_are_not_kept(client, demo, physician):
    from wechat_app.domain.wizard import MAX_LIST_ENTRIES

    data = {f"practice-{i}-institution": f"机构{i}" for i in range(MAX_LIST_ENTRIES + 5)}
    assert post_step(client, 3, data, action="save").status_code == 303
    page = client.get("/m/registration/step/3").get_data(as_text=True)
    assert f'name="practice-{MAX_LIST_ENTRIES - 1}-institution"' in page
    assert f'name="practice-{MAX_LIST_ENTRIES}-institution"' not in page


def test_autosave_of_an_overlong_field_answers_json(client, demo, physician):
    token = csrf_token(client.get("/m/registration/step/5").get_data(as_text=True))
    response = client.post("/m/registration/step/5", data={"csrf_token": token, "action": "autosave",
                                                          "statement": "述" * 2001})
    assert response.status_code == 400 and not response.get_json()["ok"]
    assert "个人述职不能超过2000个字符。" in response.get_json()["errors"]["statement"]


def test_exemption_explanation_over_its_length(client, demo, login_as):
    login_as(enrolled(demo, Status.AWAITING_TEST))
    token = csrf_token(client.get("/m/exemption").get_data(as_text=True))
    response = client.post("/m/exemption", data={"csrf_token": token, "category": "其他符合免考规定的情形",
                                                 "explanation": "说" * 1001}, content_type="multipart/form-data")
    assert response.status_code == 400 and "情况说明不能超过1000个字符。" in response.get_data(as_text=True)


def test_gender_and_birth_are_filled_from_the_id_number_and_a_contradiction_is_refused(client, demo, physician):
    stated_gender, born = stated_in(physician.id_number_18)
    page = client.get("/m/registration/step/1").get_data(as_text=True)
    assert f'value="{born:%Y-%m-%d}"' in page
    assert re.search(rf'value="{stated_gender}"\s+checked', page)
    other = "女" if stated_gender == "男" else "男"
    refused = post_step(client, 1, {**step_data(physician, 1), "gender": other}).get_data(as_text=True)
    assert f"性别与证件号码不一致（证件号码显示为{stated_gender}）" in refused


def test_the_final_approval_writes_the_registration_into_the_record_with_its_history(client, demo, physician):
    from wechat_app.domain import record, reviews
    from wechat_app.domain.submission import initial_draft
    from wechat_app.models import PhysicianChange, Staff

    fill_all(client, physician)
    data = {**step_data(physician, 2), "title": "副主任医师", "title_date": "2024-06-01", "post": "科主任",
            "post_date": "2023-01-01", "scope": "外科专业", "certificate_pages": []}
    assert post_step(client, 2, data).status_code == 302
    assert submit(client).status_code == 302
    registration = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
    staff = {s.username: s for s in demo.session.scalars(select(Staff))}
    reviews.review(staff["rmyy"], registration, "institution", reviews.Decision(True, "合格", "合格"), None)
    assert physician.title != "副主任医师"  # not before the registration is final
    reviews.review(staff["kaohe"], registration, "assessor", reviews.Decision(True), None)
    demo.session.refresh(physician)
    assert (physician.title, f"{physician.title_date}", physician.post, physician.practice_scope, physician.ethnicity) == \
        ("副主任医师", "2024-06-01", "科主任", "外科专业", "土家族")
    changes = {c.field: c for c in record.history(physician)}
    assert changes["title"].old_value == "主治医师" and changes["title"].new_value == "副主任医师"
    assert changes["title"].changed_by == staff["kaohe"].id and changes["title"].cycle_id == registration.cycle_id
    assert "gender" not in changes  # the same as the ID number states: nothing changed
    draft = initial_draft(physician)  # the next cycle starts from the record
    assert (draft["2"]["title"], draft["2"]["post"], draft["1"]["ethnicity"]) == ("副主任医师", "科主任", "土家族")
    assert demo.session.scalar(select(func.count(PhysicianChange.id)).where(PhysicianChange.physician_id == physician.id)) \
        == len(changes)


def test_the_change_history_page_is_scoped(client, demo, physician, login_as):
    from wechat_app.models import Staff

    rmyy, rhzs = (demo.session.scalar(select(Staff).where(Staff.username == name)) for name in ("rmyy", "rhzs"))
    login_as(rmyy)
    assert "信息变更记录" in client.get(f"/console/physicians/{physician.id}/history").get_data(as_text=True)
    login_as(rhzs)
    assert client.get(f"/console/physicians/{physician.id}/history").status_code == 404


def test_a_step_page_reads_the_draft_and_the_rules_with_the_physician(app, client, demo, physician):
    """Step 2 with a saved draft and its certificate pages: the physician (with the institution, the
    cycle, its province, the registration and its draft), the departments and the uploads — three
    statements; the draft and the province are not loaded again apart."""
    from flask import g

    from wechat_app.extensions import db as _db

    typed = step_data(physician, 2)
    post_step(client, 2, typed, action="save")
    assert client.get("/m/registration/step/2").status_code == 200  # the first request fills what a process keeps
    # The test's requests share its app context and session; a real request starts with neither.
    g.pop("_login_user", None)
    _db.session.remove()
    with Statements(_db.engine) as seen:
        page = client.get("/m/registration/step/2").get_data(as_text=True)
    assert typed["certificate_number"] in page and '已上传2张' in page
    assert seen.count == 3

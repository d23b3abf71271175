"""The health authority: windows, 考核机构申请 and approval, assigning bodies, progress, audit log;
and the console sign-in."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.helpers import captcha_answer, csrf_token
from wechat_app import clock
from wechat_app.models import AssessmentBody, AssessorApplication, Cycle, Institution, Staff


def test_windows_are_edited_and_checked(client, staff, demo):
    staff("hnwjw")
    cycle = demo.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    t = csrf_token(client.get("/console/cycles").get_data(as_text=True))
    client.post(f"/console/cycles/{cycle.id}", data={"csrf_token": t, "test_start": "2026-12-20", "test_end": "2026-12-10"})
    assert "结束日期不能早于开始日期" in client.get("/console/cycles").get_data(as_text=True)
    client.post(f"/console/cycles/{cycle.id}", data={"csrf_token": t, "test_start": "2026-12-20", "test_end": "2026-12-30"})
    demo.session.expire_all()
    assert str(demo.session.get(Cycle, cycle.id).test_end) == "2026-12-30"


def test_assessor_application_apply_approve_and_assign(client, staff, demo):
    cycle = demo.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    cycle.assessor_apply_start, cycle.assessor_apply_end = clock.today(), clock.today() + timedelta(days=3)
    demo.session.commit()
    staff("rmyy")
    t = csrf_token(client.get("/console/assessor-application").get_data(as_text=True))
    client.post("/console/assessor-application", data={"csrf_token": t, "kind": "医院", "beds": "80", "description": "申请"})
    assert "100张以上床位" in client.get("/console/assessor-application").get_data(as_text=True)
    client.post("/console/assessor-application", data={"csrf_token": t, "kind": "医院", "beds": "320",
                                                        "description": "三级医院，具备考核能力"})
    application = demo.session.scalar(select(AssessorApplication))
    assert application.status == "pending"
    staff("hnwjw")
    t = csrf_token(client.get("/console/assessor-applications").get_data(as_text=True))
    client.post(f"/console/assessor-applications/{application.id}", data={"csrf_token": t, "decision": "approve"})
    body = demo.session.scalar(select(AssessmentBody).where(AssessmentBody.name == "长沙市天心区人民医院（考核机构）"))
    assert body is not None
    clinic = demo.session.scalar(select(Institution).where(Institution.name == "天心区仁和诊所"))
    t = csrf_token(client.get("/console/institutions").get_data(as_text=True))
    client.post(f"/console/institutions/{clinic.id}/assessment-body", data={"csrf_token": t, "body_id": body.id})
    demo.session.expire_all()
    assert demo.session.get(Institution, clinic.id).assessment_body_id == body.id


def test_application_outside_its_window_is_refused(client, staff, demo):
    staff("rmyy")
    t = csrf_token(client.get("/console/assessor-application").get_data(as_text=True))
    client.post("/console/assessor-application", data={"csrf_token": t, "kind": "医院", "beds": "320", "description": "x"})
    assert "不在考核机构申请时间内" in client.get("/console/assessor-application").get_data(as_text=True)


def test_progress_dashboard_counts(client, staff, demo):
    staff("txwjj")
    page = client.get("/console/").get_data(as_text=True)
    for name in ("长沙市天心区人民医院", "天心区坡子街社区卫生服务中心", "天心区仁和诊所", "未指定考核机构",
                 "已报名-待医疗卫生机构审核", "报名完成-等待测评"):
        assert name in page


def test_audit_log_filters(client, staff, demo):
    staff("hnwjw")
    page = client.get("/console/audit", query_string={"action": "staff_login"}).get_data(as_text=True)
    assert "操作日志" in page


def test_console_login_with_captcha_and_lockout(app, client, demo):
    page = client.get("/console/login")
    t = csrf_token(page.get_data(as_text=True))

    def attempt(password, username="rmyy"):
        answer = captcha_answer(app, client)
        return client.post("/console/login", data={"csrf_token": t, "username": username, "password": password,
                                                   "captcha": answer})
    assert "还可尝试4次" in attempt("wrong").get_data(as_text=True)
    for _ in range(3):
        attempt("wrong")
    assert "请15分钟后再试" in attempt("wrong").get_data(as_text=True)
    assert "请15分钟后再试" in attempt("Dkt@2026demo").get_data(as_text=True)
    clock.freeze(clock.now() + timedelta(minutes=16))
    assert attempt("Dkt@2026demo").headers["Location"] == "/console/"
    stale = client.post("/console/login", data={"csrf_token": t, "username": "rmyy", "password": "x", "captcha": ""})
    assert stale.status_code == 400 and "页面已过期" in stale.get_data(as_text=True)  # rotated at sign-in
    t = csrf_token(client.get("/console/login").get_data(as_text=True))
    no_captcha = client.post("/console/login", data={"csrf_token": t, "username": "rmyy", "password": "x", "captcha": ""})
    assert no_captcha.status_code == 400 and "请填写验证码。" in no_captcha.get_data(as_text=True)
    assert Staff


def test_console_login_answers_alike_for_an_unknown_user_and_a_wrong_password(app, client, demo):
    t = csrf_token(client.get("/console/login").get_data(as_text=True))

    def message(username):
        response = client.post("/console/login", data={"csrf_token": t, "username": username, "password": "wrong",
                                                       "captcha": captcha_answer(app, client)})
        page = response.get_data(as_text=True)
        return response.status_code, page[page.index('class="error"'):].split("</")[0]

    assert message("rmyy") == message("nobody-here")  # both: 账号或密码错误，还可尝试4次。
    assert "还可尝试4次" in message("rmyy-unknown")[1]


def test_flask_staff_create(app, demo):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["staff", "create", "--username", "pzj", "--name", "坡子街负责人", "--role", "institution",
                             "--organisation", "天心区坡子街社区卫生服务中心", "--password", "Strong#2026"])
    assert ok.exit_code == 0, ok.output
    assert demo.session.scalar(select(Staff).where(Staff.username == "pzj")).institution.name == "天心区坡子街社区卫生服务中心"
    weak = runner.invoke(args=["staff", "create", "--username", "x1", "--name", "x", "--role", "assessor",
                               "--organisation", "长沙市医学会医师定期考核办公室", "--password", "weak"])
    assert weak.exit_code != 0 and "密码长度不少于8位" in weak.output
    unknown = runner.invoke(args=["staff", "create", "--username", "x2", "--name", "x", "--role", "authority",
                                  "--organisation", "不存在", "--password", "Strong#2026"])
    assert unknown.exit_code != 0 and "没有名为" in unknown.output

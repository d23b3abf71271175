"""机构与账号 (issue 23): the provincial authority creates institutions and console accounts, resets and
deactivates them (a one-time password shown once, sessions ended, every change logged); a city or district
reads; no other role reaches the page; an approved 考核机构 gets its login."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.console.test_exams import post
from wechat_app.domain import staff_accounts
from wechat_app.domain.errors import DomainError
from wechat_app.models import AuditLog, HealthAuthority, Institution, Staff


def shown_password(page: str) -> str:
    return re.search(r'id="password">([A-Za-z0-9]{12})<', page).group(1)


def test_the_province_creates_an_institution_and_its_login_which_signs_in(client, staff, demo):
    staff("hnwjw")
    district = demo.session.scalar(select(HealthAuthority).where(HealthAuthority.level == "区县"))
    page = post(client, "/console/institutions/new", {"name": "天心区新开诊所", "kind": "诊所", "beds": "0",
                                                     "authority": district.id, "body": ""}, "/console/accounts",
                follow_redirects=True).get_data(as_text=True)
    assert "已新建医疗卫生机构：天心区新开诊所" in page
    clinic = demo.session.scalar(select(Institution).where(Institution.name == "天心区新开诊所"))
    page = post(client, "/console/accounts", {"role": "institution", "organisation": clinic.id, "username": "xkzs",
                                              "name": "王五"}, "/console/accounts", follow_redirects=True).get_data(as_text=True)
    password = shown_password(page)
    assert staff_accounts.authenticate("xkzs", password, None).institution_id == clinic.id
    # shown in that response only: not in the session cookie (signed, readable), as a flash would put it
    cookie = client.get_cookie("session")
    session = client.application.session_interface.get_signing_serializer(client.application).loads(cookie.value)
    assert password not in str(session)
    assert password not in client.get("/console/accounts").get_data(as_text=True)  # shown once
    actions = {row.action for row in demo.session.scalars(select(AuditLog))}
    assert {"institution_create", "staff_create"} <= actions


def test_reset_and_deactivate_end_the_old_password_and_sessions(client, staff, demo):
    account = demo.session.scalar(select(Staff).where(Staff.username == "rmyy"))
    version = account.session_version
    staff("hnwjw")
    page = post(client, f"/console/accounts/{account.id}/reset", {}, "/console/accounts",
                follow_redirects=True).get_data(as_text=True)
    new = shown_password(page)
    demo.session.expire_all()
    assert staff_accounts.authenticate("rmyy", new, None).id == account.id
    assert demo.session.get(Staff, account.id).session_version > version
    post(client, f"/console/accounts/{account.id}/deactivate", {}, "/console/accounts")
    demo.session.expire_all()
    assert not demo.session.get(Staff, account.id).active
    with pytest.raises(DomainError):
        staff_accounts.authenticate("rmyy", new, None)
    me = demo.session.scalar(select(Staff).where(Staff.username == "hnwjw"))
    page = post(client, f"/console/accounts/{me.id}/deactivate", {}, "/console/accounts",
                follow_redirects=True).get_data(as_text=True)
    assert "不能停用自己的账号" in page


@pytest.mark.parametrize("bad, message", [
    ({"username": "Bad Name"}, "账号须为3至40位小写字母"), ({"username": "kaohe"}, "账号“kaohe”已存在"),
    ({"role": "physician"}, "请选择账号类型"), ({"organisation": "999999"}, "请选择本省的机构"),
])
def test_a_bad_account_is_refused_with_its_reason(client, staff, demo, bad, message):
    staff("hnwjw")
    clinic = demo.session.scalar(select(Institution).where(Institution.name == "天心区仁和诊所"))
    data = {"role": "institution", "organisation": clinic.id, "username": "goodname", "name": "赵六"} | bad
    page = post(client, "/console/accounts", data, "/console/accounts", follow_redirects=True).get_data(as_text=True)
    assert message in page and demo.session.scalar(select(Staff).where(Staff.username == "goodname")) is None


def test_the_province_does_not_reach_another_provinces_accounts(client, staff, demo):
    from wechat_app.models import Province

    guangxi = demo.session.scalar(select(Province).where(Province.name == "广西"))
    authority = demo.session.scalar(select(HealthAuthority).where(HealthAuthority.province_id == guangxi.id))
    foreign = Staff(username="gxadmin", name="广西管理员", role="authority", health_authority_id=authority.id, password_hash="-")
    demo.session.add(foreign)
    demo.session.commit()
    staff("hnwjw")
    assert "gxadmin" not in client.get("/console/accounts").get_data(as_text=True)
    assert post(client, f"/console/accounts/{foreign.id}/reset", {}, "/console/accounts").status_code == 404
    page = post(client, "/console/accounts", {"role": "authority", "organisation": authority.id, "username": "gx2",
                                              "name": "x"}, "/console/accounts", follow_redirects=True).get_data(as_text=True)
    assert "请选择本省的机构" in page


def test_a_district_reads_and_changes_nothing(client, staff, demo):
    account = demo.session.scalar(select(Staff).where(Staff.username == "rmyy"))
    staff("txwjj")
    page = client.get("/console/accounts").get_data(as_text=True)
    assert 'id="accounts-readonly"' in page and "rmyy" in page and 'id="account-form"' not in page
    for path, data in ((f"/console/accounts/{account.id}/reset", {}), ("/console/accounts", {
            "role": "institution", "organisation": account.institution_id, "username": "dist1", "name": "x"}),
            ("/console/institutions/new", {"name": "区县自建机构", "kind": "诊所", "authority": "1", "body": ""})):
        assert post(client, path, data, "/console/accounts").status_code == 403, path


@pytest.mark.parametrize("username", ["rmyy", "rhzs", "kaohe"])
def test_other_roles_are_refused(client, staff, demo, username):
    staff(username)
    assert client.get("/console/accounts").status_code == 403
    assert post(client, "/console/accounts", {"role": "institution", "organisation": "1", "username": "zz9",
                                              "name": "x"}).status_code == 403


def test_an_approved_assessment_body_gets_its_login(client, staff, demo):
    from wechat_app.domain import authority
    from wechat_app.models import AssessorApplication

    hospital = demo.session.scalar(select(Institution).where(Institution.name == "天心区仁和诊所"))
    application = AssessorApplication(institution_id=hospital.id, cycle_id=1, kind="医院", beds=500, description="申请")
    demo.session.add(application)
    demo.session.commit()
    approver = demo.session.scalar(select(Staff).where(Staff.username == "hnwjw"))
    login = authority.review_application(approver, application, True, "", None)
    assert login is not None
    account, password = login
    assert staff_accounts.authenticate(account.username, password, None).assessment_body.institution_id == hospital.id

"""No role reaches another scope's data: lists, detail pages, uploads, exports and every POST."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.helpers import csrf_token, image_bytes, registration_in
from wechat_app.domain.submission import sealed_identity
from wechat_app.domain.uploads import store_image
from wechat_app.models import (
    AssessmentBody,
    AssessorApplication,
    Cycle,
    Exemption,
    HealthAuthority,
    Institution,
    Physician,
    Province,
    RegistrationSnapshot,
    Staff,
)

FOREIGN_NAME = "韦外省（广西医师）"


@pytest.fixture
def foreign(demo):
    """A Guangxi institution with a submitted registration, an upload, an exemption, an application."""
    db = demo
    guangxi = db.session.scalar(select(Province).where(Province.name == "广西"))
    authority = db.session.scalar(select(HealthAuthority).where(HealthAuthority.province_id == guangxi.id))
    body = AssessmentBody(province_id=guangxi.id, name="广西考核办")
    db.session.add(body)
    db.session.flush()
    institution = Institution(province_id=guangxi.id, health_authority_id=authority.id, assessment_body_id=body.id,
                              name="南宁市第一人民医院")
    db.session.add(institution)
    db.session.flush()
    cycle = Cycle(province_id=guangxi.id, name="广西周期", period_start=date(2023, 1, 1), period_end=date(2025, 12, 31),
                  cutoff_date=date(2025, 12, 31), is_current=True, registration_start=date(2020, 1, 1),
                  registration_end=date(2030, 1, 1), review_start=date(2020, 1, 1), review_end=date(2030, 1, 1))
    db.session.add(cycle)
    template = db.session.scalar(select(Physician))
    physician = Physician(name=FOREIGN_NAME, id_number="450103198001010011", institution_id=institution.id,
                          password_hash=template.password_hash, phone="13900000000")
    db.session.add(physician)
    db.session.flush()
    registration = registration_in(db, physician, "pending_assessor", cycle_id=cycle.id)
    db.session.add(RegistrationSnapshot(registration_id=registration.id, number=1, procedure="一般程序",
                                        data={"identity": sealed_identity(physician), "steps": {}, "conditions": []}))
    upload = store_image(physician.id, "photo", "x.jpg", image_bytes())
    db.session.add(Exemption(registration_id=registration.id, category="其他符合免考规定的情形", explanation="外省申请",
                             evidence=[upload.id]))
    application = AssessorApplication(institution_id=institution.id, cycle_id=cycle.id, kind="医院", beds=500,
                                      description="外省申请")
    db.session.add(application)
    db.session.commit()
    return {"physician": physician.id, "registration": registration.id, "upload": upload.id,
            "institution": institution.id, "application": application.id,
            "exemption": db.session.scalar(select(Exemption.id).where(Exemption.registration_id == registration.id))}


ROLES = ["rmyy", "rhzs", "kaohe", "txwjj", "hnwjw"]


@pytest.mark.parametrize("username", ROLES)
def test_lists_and_exports_never_show_another_scope(client, staff, foreign, username):
    staff(username)
    for path in ("/console/", "/console/reviews", "/console/exemptions", "/console/physicians",
                 "/console/institutions", "/console/assessor-applications"):
        response = client.get(path)
        assert response.status_code in (200, 403), path
        assert FOREIGN_NAME not in response.get_data(as_text=True) and "南宁市第一人民医院" not in response.get_data(as_text=True)
    export = client.post("/console/export/registrations.xlsx",
                         data={"csrf_token": csrf_token(client.get("/console/").get_data(as_text=True))})
    assert export.status_code == 200
    cells = [str(c) for row in load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True) for c in row]
    assert FOREIGN_NAME not in cells


@pytest.mark.parametrize("username", ROLES)
def test_details_uploads_and_posts_outside_the_scope_are_404(client, staff, foreign, username, demo):
    staff(username)
    token = csrf_token(client.get("/console/").get_data(as_text=True))
    assert client.get(f"/console/reviews/{foreign['registration']}").status_code == 404
    assert client.get(f"/console/uploads/{foreign['upload']}").status_code == 404
    posts = [
        (f"/console/reviews/{foreign['registration']}", {"decision": "approve"}),
        (f"/console/reviews/{foreign['registration']}", {"decision": "reject", "reason": "x"}),
        ("/console/reviews/batch", {"registration_id": foreign["registration"]}),
        (f"/console/exemptions/{foreign['exemption']}", {"decision": "approve"}),
        (f"/console/physicians/{foreign['physician']}/reset-password", {}),
        (f"/console/physicians/{foreign['physician']}/unbind-phone", {}),
        (f"/console/physicians/{foreign['physician']}/transfer-out", {"reason": "x"}),
        ("/console/enroll", {"physician_id": foreign["physician"]}),
        (f"/console/institutions/{foreign['institution']}/assessment-body", {"body_id": "1"}),
    ]
    for path, data in posts:
        status = client.post(path, data={"csrf_token": token, **data}).status_code
        assert status in (403, 404), (path, status)
    client.post(f"/console/assessor-applications/{foreign['application']}", data={"csrf_token": token,
                                                                                "decision": "approve"})
    demo.session.expire_all()
    physician = demo.session.get(Physician, foreign["physician"])
    assert physician.phone == "13900000000" and physician.institution_id == foreign["institution"]
    assert demo.session.get(AssessorApplication, foreign["application"]).status == "pending"
    assert demo.session.get(Exemption, foreign["exemption"]).status == "pending"


def test_roles_are_kept_apart(client, staff, demo):
    staff("rmyy")
    assert client.get("/console/cycles").status_code == 403
    assert client.get("/console/audit").status_code == 403
    staff("kaohe")
    assert client.get("/console/departments").status_code == 403
    for username in ("txwjj", "hnwjw"):  # every authority reads the log of its own region
        staff(username)
        assert client.get("/console/audit").status_code == 200


def test_institution_staff_see_only_their_institution(client, staff, demo):
    staff("rhzs")
    page = client.get("/console/physicians").get_data(as_text=True)
    clinic_names = [p.name for p in demo.session.scalars(select(Physician)) if p.institution.name == "天心区仁和诊所"]
    others = [p.name for p in demo.session.scalars(select(Physician)) if p.institution.name != "天心区仁和诊所"]
    assert all(name in page for name in clinic_names) and not any(name in page for name in others)


def test_a_physician_session_is_no_staff_session(client, demo, login_as):
    login_as(demo.session.scalar(select(Physician)))
    response = client.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_anonymous_is_sent_to_the_console_login(client):
    assert "/console/login" in client.get("/console/reviews").headers["Location"]
    assert Staff  # imported for the fixtures' sake


SIDEBAR_LINK = re.compile(r'<a href="(/console/[^"]*)"')


@pytest.mark.parametrize("username", ROLES)
def test_every_sidebar_link_opens_for_its_role(client, staff, demo, username):
    staff(username)
    links = SIDEBAR_LINK.findall(client.get("/console/").get_data(as_text=True))
    assert len(links) >= 3
    for link in links:
        assert client.get(link).status_code == 200, (username, link)


def test_only_the_provincial_authority_changes_the_province_cycle(client, staff, demo, foreign):
    hunan = demo.session.scalar(select(Cycle).where(Cycle.is_current.is_(True), Cycle.name != "广西周期"))
    before = hunan.registration_end
    for username in ("txwjj", "rmyy", "kaohe"):
        staff(username)
        token = csrf_token(client.get("/console/").get_data(as_text=True))
        response = client.post(f"/console/cycles/{hunan.id}", data={"csrf_token": token,
                                                                     "registration_end": "2099-12-31"})
        assert response.status_code == 403, username
    staff("txwjj")
    page = client.get("/console/cycles").get_data(as_text=True)
    assert "仅供查看" in page and 'type="date"' not in page and hunan.name in page
    staff("hnwjw")
    token = csrf_token(client.get("/console/cycles").get_data(as_text=True))
    guangxi = demo.session.scalar(select(Cycle).where(Cycle.name == "广西周期"))
    assert client.post(f"/console/cycles/{guangxi.id}", data={"csrf_token": token,
                                                              "registration_end": "2099-12-31"}).status_code == 404
    demo.session.expire_all()
    assert demo.session.get(Cycle, hunan.id).registration_end == before
    assert demo.session.get(Cycle, guangxi.id).registration_end == date(2030, 1, 1)


def test_the_cycle_editor_refuses_bad_dates_instead_of_emptying_windows(client, staff, demo):
    staff("hnwjw")
    hunan = demo.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    before = (hunan.registration_start, hunan.test_start)
    token = csrf_token(client.get("/console/cycles").get_data(as_text=True))
    for data in ({"registration_start": "2026-13-45"}, {"registration_start": ""}, {"test_start": "x" * 5000},
                 {"registration_start": "2026-05-01", "registration_end": "2026-04-01"}, {"test_end": ""}):
        response = client.post(f"/console/cycles/{hunan.id}", data={"csrf_token": token, **data},
                               follow_redirects=True)
        # a date that is no date is a 400 from the form; a window that does not hold is the editor's flash
        assert response.status_code in (200, 400) and "考核时间安排已保存" not in response.get_data(as_text=True), data
    demo.session.expire_all()
    assert (demo.session.get(Cycle, hunan.id).registration_start, demo.session.get(Cycle, hunan.id).test_start) == before


def test_the_audit_log_is_scoped_to_the_region_and_readable(client, staff, demo, foreign):
    from wechat_app.domain import audit

    guangxi_staff = Staff(username="gxwjw", name="广西管理员", role="authority", password_hash="x",
                          health_authority_id=demo.session.scalar(select(HealthAuthority.id).join(Province)
                                                                  .where(Province.name == "广西")))
    demo.session.add(guangxi_staff)
    demo.session.flush()
    audit.record("staff", guangxi_staff.id, "staff_login", "staff", guangxi_staff.id, "10.9.9.9")
    audit.record("staff", guangxi_staff.id, "physician_reset_password", "physician", foreign["physician"], "10.9.9.9")
    rmyy = demo.session.scalar(select(Staff).where(Staff.username == "rmyy"))
    audit.record("staff", rmyy.id, "physician_transfer_out", "physician",
                 demo.session.scalar(select(Physician.id).where(Physician.institution_id == rmyy.institution_id)),
                 "10.1.1.1", reason="调往外院")
    demo.session.commit()
    for username in ("hnwjw", "txwjj"):
        staff(username)
        page = client.get("/console/audit").get_data(as_text=True)
        assert "10.9.9.9" not in page and "广西管理员" not in page and FOREIGN_NAME not in page, username
        assert "调离医师" in page and "长沙市天心区人民医院" in page and "原因：调往外院" in page
        assert "physician_transfer_out" not in page.split('id="audit"')[1] and "{&#34;" not in page


def test_transfer_in_search_reveals_little_outside_the_province(client, staff, foreign, demo):
    staff("rmyy")
    token = csrf_token(client.get("/console/physicians/transfer-in").get_data(as_text=True))
    page = client.post("/console/physicians/transfer-in/search",
                       data={"csrf_token": token, "id_number": "450103198001010011"}).get_data(as_text=True)
    results = page.split('id="transfer-results"')[1]
    assert "韦**" in results and "外省医疗机构" in results
    assert FOREIGN_NAME not in results and "南宁市第一人民医院" not in results
    assert client.get("/console/physicians/transfer-in", query_string={"id_number": "450103198001010011"}) \
        .get_data(as_text=True).count("韦") == 0  # a GET never searches

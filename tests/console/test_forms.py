"""Console forms refuse what does not fit with a 400 and a Chinese message, and nothing is written."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers import csrf_token
from wechat_app.forms import first_error, flat_errors, length_of
from wechat_app.models import AssessorApplication, Department, Physician, Registration
from wechat_app.models.enums import Status


def post(client, path: str, data: dict, page: str = "/console/"):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_lengths_come_from_the_columns():
    assert length_of(Physician.email) == 80 and length_of(Department.name) == 40 and length_of(12) == 12


def test_nested_errors_are_flattened_to_the_posted_names():
    errors = {"csrf_token": ["The CSRF token is missing."], "email": ["太长"],
              "filings": [{}, {"institution": ["备案机构太长"]}]}
    assert flat_errors(errors) == {"form": "页面已过期，请刷新后重试。", "email": "太长",
                                   "filings-1-institution": "备案机构太长"}
    assert first_error(errors) == "页面已过期，请刷新后重试。"
    assert first_error({"filings": [{}, {"post": ["职务太长"]}]}) == "职务太长"


def test_a_department_name_over_its_column_is_refused(client, staff, demo):
    staff("rmyy")
    before = demo.session.scalar(select(func.count(Department.id)))
    response = post(client, "/console/departments", {"name": "科" * 41, "subject_codes": ["03"]}, "/console/departments")
    assert response.status_code == 400 and "科室名称不能超过40个字符。" in response.get_data(as_text=True)
    assert demo.session.scalar(select(func.count(Department.id))) == before


def test_a_batch_with_a_non_number_is_a_400(client, staff, demo):
    staff("rmyy")
    for bad in ("abc", "0", str(2**40)):
        response = post(client, "/console/reviews/batch", {"registration_id": ["1", bad]}, "/console/reviews")
        assert response.status_code == 400, bad


def test_a_review_reason_over_500_is_refused(client, staff, demo):
    rmyy = staff("rmyy")
    registration = demo.session.scalar(select(Registration).join(Physician, Registration.physician_id == Physician.id)
                                       .where(Physician.institution_id == rmyy.institution_id,
                                              Registration.status == Status.PENDING_INSTITUTION))
    response = post(client, f"/console/reviews/{registration.id}", {"decision": "reject", "reason": "因" * 501},
                    "/console/reviews")
    assert response.status_code == 400 and "原因不能超过500个字符。" in response.get_data(as_text=True)
    demo.session.expire_all()
    assert demo.session.get(Registration, registration.id).status == Status.PENDING_INSTITUTION


def test_an_assessor_application_with_a_negative_bed_count_is_refused(client, staff, demo):
    staff("rmyy")
    response = post(client, "/console/assessor-application", {"kind": "医院", "beds": "-3", "physicians": "10",
                                                              "description": "申请"}, "/console/assessor-application")
    assert response.status_code == 400 and "床位数应为0到10000000的整数。" in response.get_data(as_text=True)
    assert demo.session.scalar(select(func.count(AssessorApplication.id))) == 0

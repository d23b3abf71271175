"""An institution's 科室 and 医师管理: create, transfer, reset, unbind, enroll, Excel in and out."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.helpers import csrf_token
from wechat_app.domain.idnumbers import stated_in
from wechat_app.models import AuditLog, Department, Physician, Registration, Staff


def token(client, path="/console/physicians"):
    return csrf_token(client.get(path).get_data(as_text=True))


def test_departments_create_edit_disable_and_delete_rules(client, staff, demo):
    staff("rmyy")
    t = token(client, "/console/departments")
    client.post("/console/departments", data={"csrf_token": t, "name": "眼科", "subject_codes": ["10"]})
    eye = demo.session.scalar(select(Department).where(Department.name == "眼科"))
    assert eye.subject_codes == ["10"]
    client.post("/console/departments", data={"csrf_token": t, "id": eye.id, "name": "眼科门诊", "subject_codes": ["10", "11"]})
    demo.session.expire_all()
    assert demo.session.get(Department, eye.id).name == "眼科门诊"
    client.post(f"/console/departments/{eye.id}/disable", data={"csrf_token": t})
    demo.session.expire_all()
    assert not demo.session.get(Department, eye.id).enabled
    used = demo.session.scalar(select(Department).where(Department.name == "内科"))
    client.post(f"/console/departments/{used.id}/delete", data={"csrf_token": t})
    assert "不能删除" in client.get("/console/departments").get_data(as_text=True)
    client.post(f"/console/departments/{eye.id}/delete", data={"csrf_token": t})
    assert demo.session.scalar(select(Department).where(Department.id == eye.id)) is None


def new_physician(client, **overrides):
    data = {"name": "刘新", "gender": "女", "id_type": "身份证", "id_number": "11010519491231002x", "category": "临床",
            "practice_scope": "内科专业", "certificate_number": "110430100009999", "qualification_number": "200543110430100099"}
    return client.post("/console/physicians/new", data={"csrf_token": token(client, "/console/physicians/new"),
                                                        **data, **overrides})


def test_new_physician_and_the_existing_one_message(client, staff, demo):
    staff("rmyy")
    assert new_physician(client).status_code == 302
    created = demo.session.scalar(select(Physician).where(Physician.name == "刘新"))
    assert created.id_number_18 == "11010519491231002X" and created.must_change_password
    page = new_physician(client, name="重复").get_data(as_text=True)
    assert "医师已存在，请前往【调入医师】" in page and "刘新" in page
    assert demo.session.scalar(select(func.count(Physician.id)).where(Physician.name == "重复")) == 0


def test_gender_and_birth_date_come_from_the_id_number(client, staff, demo):
    """11010519491231002X: born 1949-12-31, 17th digit 2 (even): 女."""
    staff("rmyy")
    page = new_physician(client, gender="男").get_data(as_text=True)
    assert "性别与证件号码不一致（证件号码显示为女）" in page
    page = new_physician(client, birth_date="1950-01-01").get_data(as_text=True)
    assert "出生日期与证件号码不一致（证件号码显示为1949-12-31）" in page
    assert new_physician(client, gender="").status_code == 302  # left empty: filled from the number
    created = demo.session.scalar(select(Physician).where(Physician.name == "刘新"))
    assert (created.gender, f"{created.birth_date}") == ("女", "1949-12-31")


def test_transfer_out_then_in_by_another_institution(client, staff, demo, login_as):
    staff("rmyy")
    physician = next(p for p in demo.session.scalars(select(Physician)) if p.institution.name == "长沙市天心区人民医院")
    pid, id18 = physician.id, physician.id_number_18
    staff("rhzs")
    page = client.post("/console/physicians/transfer-in/search",
                       data={"csrf_token": token(client), "id_number": id18}).get_data(as_text=True)
    assert "需联系原机构调离后才可调入" in page and "长沙市天心区人民医院" in page
    assert "长沙市天心区卫生健康局" in page  # 管辖关系
    staff("rmyy")
    client.post(f"/console/physicians/{pid}/transfer-out", data={"csrf_token": token(client), "reason": "调往仁和诊所"})
    staff("rhzs")
    page = client.post("/console/physicians/transfer-in/search",
                       data={"csrf_token": token(client), "id_number": id18[:6] + id18[8:17]}).get_data(as_text=True)
    assert "调往仁和诊所" in page and "（已调离）" in page
    client.post("/console/physicians/transfer-in", data={"csrf_token": token(client), "physician_id": pid})
    demo.session.expire_all()
    assert demo.session.get(Physician, pid).institution.name == "天心区仁和诊所"
    actions = set(demo.session.scalars(select(AuditLog.action).where(AuditLog.target_id == str(pid))))
    assert {"physician_transfer_out", "physician_transfer_in"} <= actions


def test_reset_password_and_unbind_phone(client, staff, demo):
    staff("rmyy")
    physician = next(p for p in demo.session.scalars(select(Physician)) if p.institution.name == "长沙市天心区人民医院")
    physician.must_change_password, physician.phone = False, "13712345678"
    demo.session.commit()
    pid = physician.id
    client.post(f"/console/physicians/{pid}/reset-password", data={"csrf_token": token(client)})
    client.post(f"/console/physicians/{pid}/unbind-phone", data={"csrf_token": token(client)})
    demo.session.expire_all()
    physician = demo.session.get(Physician, pid)
    assert physician.must_change_password and physician.phone is None


def test_enroll_selected_and_all(client, staff, demo):
    staff("rmyy")
    hospital = [p for p in demo.session.scalars(select(Physician)) if p.institution.name == "长沙市天心区人民医院"]
    not_enrolled = [p.id for p in hospital
                    if demo.session.scalar(select(Registration).where(Registration.physician_id == p.id)) is None]
    client.post("/console/enroll", data={"csrf_token": token(client), "physician_id": not_enrolled[:1], "scope": "selected"})
    assert demo.session.scalar(select(Registration.status).where(Registration.physician_id == not_enrolled[0])) == "open"
    client.post("/console/enroll", data={"csrf_token": token(client), "scope": "all"})
    enrolled = demo.session.scalar(select(func.count(Registration.id)).where(Registration.physician_id.in_(not_enrolled)))
    assert enrolled == len(not_enrolled)


def workbook(rows) -> bytes:
    from wechat_app.domain.spreadsheets import COLUMNS

    book = Workbook()
    book.active.append(COLUMNS)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = ("王五", "女", "身份证", "110105194912310021"[:17] + "X", "内科", "执业医师", "临床", "内科专业", "110430100000123",
        "2005-07-01", "200543110430100123", "2004-12-01", "主治医师")


def test_import_template_and_a_good_file(client, staff, demo):
    staff("rmyy")
    template = client.get("/console/physicians/template.xlsx")
    header = next(load_workbook(io.BytesIO(template.data)).active.iter_rows(values_only=True))
    assert header[:4] == ("姓名", "性别", "证件类型", "证件号码")
    second = ("赵六", "女", "护照", "E12345678", "", "执业医师", "临床", "内科专业", "110430100000124", "", "200543110430100124",
              "", "")
    response = client.post("/console/physicians/import", data={
        "csrf_token": token(client), "file": (io.BytesIO(workbook([GOOD, second])), "医师.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert demo.session.scalar(select(Physician.department_id).where(Physician.name == "王五")) is not None
    assert demo.session.scalar(select(Physician.id_number).where(Physician.name == "赵六")) == "E12345678"


def test_import_is_all_or_nothing_with_row_errors(client, staff, demo):
    staff("rmyy")
    before = demo.session.scalar(select(func.count(Physician.id)))
    bad = ("", "未知", "身份证", "110105194912310021", "不存在的科室", "", "", "", "", "2005/07/01", "", "", "")
    existing = demo.session.scalar(select(Physician).where(Physician.id_type == "身份证")).id_number_18
    dup = (GOOD[0], stated_in(existing)[0], GOOD[2], existing, *GOOD[4:])
    response = client.post("/console/physicians/import", data={
        "csrf_token": token(client), "file": (io.BytesIO(workbook([GOOD, bad, dup, GOOD])), "医师.xlsx")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "未导入任何数据" in page
    assert "第3行：日期格式应为2005-07-01" in page
    assert "第4行：医师已存在" in page and "第5行" in page and "与第2行证件号码重复" in page
    assert demo.session.scalar(select(func.count(Physician.id))) == before


def test_import_refuses_what_is_not_an_excel_file(client, staff, demo):
    staff("rmyy")
    response = client.post("/console/physicians/import", data={
        "csrf_token": token(client), "file": (io.BytesIO(b"PK\x03\x04 not really"), "x.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "无法读取该文件" in response.get_data(as_text=True)


def test_export_masks_id_numbers_and_is_audited(client, staff, demo):
    staff("rmyy")
    data = client.post("/console/physicians/export.xlsx", data={"csrf_token": token(client)}).data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][3] == "证件号码" and all("*" in row[3] for row in rows[1:])
    assert demo.session.scalar(select(AuditLog).where(AuditLog.action == "export_physicians")) is not None
    assert client.get("/console/physicians/export.xlsx").status_code == 405  # a GET never writes (the audit row)
    only_enrolled = client.post("/console/physicians/export.xlsx", data={"csrf_token": token(client), "enrolled": "no"})
    assert len(list(load_workbook(io.BytesIO(only_enrolled.data)).active.iter_rows())) < len(rows)  # the page's filters
    assert Staff


@pytest.mark.parametrize("field, limit", [("certificate_number", 40), ("practice_scope", 40), ("email", 80),
                                          ("qualification_number", 40), ("ethnicity", 20)])
def test_new_physician_refuses_values_longer_than_their_columns(client, staff, demo, field, limit):
    staff("rmyy")
    response = new_physician(client, **{field: "9" * (limit + 1)})
    assert response.status_code == 400 and f"不能超过{limit}个字符" in response.get_data(as_text=True)
    assert demo.session.scalar(select(func.count(Physician.id)).where(Physician.name == "刘新")) == 0


def test_departments_are_searched_and_paged(client, staff, demo):
    from wechat_app.models import Department

    rmyy = staff("rmyy")
    demo.session.add_all(Department(institution_id=rmyy.institution_id, name=f"专科门诊{n:02d}", subject_codes=["03"],
                                    enabled=n % 2 == 0) for n in range(30))
    demo.session.commit()
    first = client.get("/console/departments").get_data(as_text=True)
    assert "第1/2页" in first and "下一页" in first
    found = client.get("/console/departments?name=专科门诊0&status=disabled").get_data(as_text=True)
    assert "专科门诊01" in found and "专科门诊02" not in found and "专科门诊11" not in found
    assert client.get("/console/departments?page=abc&status=<x>").status_code == 200  # a bad link is no error


def test_a_new_physician_with_post_and_specialties_of_the_department(client, staff, demo):
    from wechat_app.models import Department

    rmyy = staff("rmyy")
    department = demo.session.scalar(select(Department).where(Department.institution_id == rmyy.institution_id,
                                                              Department.name == "内科"))
    page = new_physician(client, department_id=department.id, specialties=["04"]).get_data(as_text=True)
    assert "从事专业须为所选科室的诊疗科目" in page
    assert new_physician(client, department_id=department.id, specialties=["03.01"], post="科副主任").status_code == 302
    created = demo.session.scalar(select(Physician).where(Physician.name == "刘新"))
    assert (created.post, created.specialties) == ("科副主任", ["03.01"])


def test_the_list_pages_in_the_database_and_keeps_its_filters(client, staff, demo):
    """Issue 23, defect 6: 150 rows on one page and ?page=2 ignored."""
    from tests.helpers import many_awaiting

    many_awaiting(demo, 70, 7000)
    staff("rmyy")
    total = demo.session.scalar(select(func.count(Physician.id)).where(
        Physician.institution_id == demo.session.scalar(select(Staff.institution_id).where(Staff.username == "rmyy"))))
    first = client.get("/console/physicians").get_data(as_text=True)
    assert first.count("data-physician=") == 50 and f"共{total}条，第1–50条" in first
    second = client.get("/console/physicians?page=2&department=").get_data(as_text=True)
    assert second.count("data-physician=") == min(50, total - 50) and "department=" in second and "上一页" in second
    for bad in ("abc", "0", "-1", "99999999999", "2.5"):
        response = client.get(f"/console/physicians?page={bad}")
        assert response.status_code == 200 and f"共{total}条，第1–50条" in response.get_data(as_text=True), bad
    past_the_end = client.get("/console/physicians?page=9999").get_data(as_text=True)  # the last page, not an empty one
    assert past_the_end.count("data-physician=") == total - 50 * ((total - 1) // 50)


def test_search_by_name_or_id_number_in_any_form(client, staff, demo):
    from tests.helpers import many_awaiting
    from wechat_app.domain.idnumbers import to_15

    (registration,) = many_awaiting(demo, 1, 7100)
    physician = registration.physician
    staff("rmyy")
    rows = lambda words: client.get("/console/physicians", query_string={"words": words}).get_data(as_text=True)  # noqa: E731
    assert f'data-physician="{physician.id}"' in rows("批量医师7100")
    assert f'data-physician="{physician.id}"' in rows(physician.id_number_18)
    assert f'data-physician="{physician.id}"' in rows(to_15(physician.id_number_18))  # the legacy form finds it too
    assert f'data-physician="{physician.id}"' in rows(physician.id_number_18.lower())
    partial = rows(physician.id_number_18[:10])  # the column is sealed: only a whole number is found
    assert "共0条" in partial and physician.id_number_18 not in partial
    for hostile in ("%", "_", "'; DROP TABLE physicians; --", "批" * 200, "\x00"):
        assert client.get("/console/physicians", query_string={"words": hostile}).status_code in (200, 400), hostile


def test_the_status_filter_has_every_status(client, staff, demo):
    """Issue 23, defect 9: 免考/合格/不合格/待补考 were missing."""
    from tests.helpers import many_awaiting

    (passed,) = many_awaiting(demo, 1, 7200, status="passed")
    staff("rmyy")
    page = client.get("/console/physicians?status=passed").get_data(as_text=True)
    for label in ("未开通报名，请联系医疗卫生机构", "免考", "考核合格", "考核不合格", "待补考"):
        assert f">{label}</option>" in page, label
    shown = page.count("data-physician=")
    assert f'data-physician="{passed.physician_id}"' in page and page.count("<td>考核合格</td>") == shown


def test_the_export_is_its_own_form_and_sends_the_filters(client, staff, demo):
    """Issue 23, defect 1: the export form sat inside the search form, so the click re-ran the search."""
    import re

    staff("rmyy")
    page = client.get("/console/physicians?enrolled=no&page=2").get_data(as_text=True)
    search = page[page.index('id="physician-search"'):]
    assert search.index("</form>") < search.index('id="physician-export"')
    export = re.search(r'<form[^>]*id="physician-export".*?</form>', page, re.S).group(0)
    assert 'name="enrolled" value="no"' in export and 'name="page"' not in export
    response = client.post("/console/physicians/export.xlsx", data={"csrf_token": csrf_token(page), "enrolled": "no"})
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert response.status_code == 200 and len(rows) > 1

"""概况 (issue 23): the funnel adds up to the physicians, each authority drills down its own tree and never
into another's, each role sees its own scope, and the figures come as charts, tables and a workbook."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from wechat_app.models import HealthAuthority, Institution, Physician, Staff


def authority(demo, name: str) -> HealthAuthority:
    return demo.session.scalar(select(HealthAuthority).where(HealthAuthority.name == name))


def cells(page: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="grid" id="{table_id}">(.*?)</table>', page, re.S).group(1)
    return [re.findall(r"<td>(?:<a [^>]*>)?(.*?)(?:</a>)?</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
            if "<td>" in row]


def test_the_province_drills_down_to_its_institutions(client, staff, demo):
    staff("hnwjw")
    page = client.get("/console/overview").get_data(as_text=True)
    rows = cells(page, "overview-table")
    assert rows[0][0] == "长沙市卫生健康委员会" and rows[-1][0] == "合计"
    hunan_physicians = demo.session.scalar(select(func.count(Physician.id)).join(
        Institution, Physician.institution_id == Institution.id).where(
        Institution.province_id == authority(demo, "湖南省卫生健康委员会").province_id))
    total = rows[-1]
    assert int(total[1]) == hunan_physicians and sum(int(n) for n in total[2:12]) == hunan_physicians  # the funnel adds up
    assert "广西" not in page and 'id="funnel-chart"' in page and 'id="registrations-chart"' in page
    city = client.get(f"/console/overview?region={authority(demo, '长沙市卫生健康委员会').id}").get_data(as_text=True)
    assert cells(city, "overview-table")[0][0] == "长沙市天心区卫生健康局"
    district = client.get(f"/console/overview?region={authority(demo, '长沙市天心区卫生健康局').id}").get_data(as_text=True)
    assert {row[0] for row in cells(district, "overview-table")} >= {"长沙市天心区人民医院", "天心区仁和诊所", "合计"}


def test_no_one_drills_into_another_tree(client, staff, demo):
    staff("hnwjw")
    foreign = client.get(f"/console/overview?region={authority(demo, '广西壮族自治区卫生健康委员会').id}").get_data(as_text=True)
    assert "广西" not in foreign and "概况：湖南省卫生健康委员会" in foreign
    staff("txwjj")
    upward = client.get(f"/console/overview?region={authority(demo, '湖南省卫生健康委员会').id}").get_data(as_text=True)
    assert "概况：长沙市天心区卫生健康局" in upward and "长沙市卫生健康委员会" not in upward
    for hostile in ("abc", "-1", "99999999999", "1 OR 1=1"):
        assert client.get("/console/overview", query_string={"region": hostile}).status_code == 200


@pytest.mark.parametrize("username, sees, not_sees", [
    ("rmyy", {"长沙市天心区人民医院"}, {"天心区仁和诊所"}),
    ("rhzs", {"天心区仁和诊所"}, {"长沙市天心区人民医院"}),
    ("kaohe", {"长沙市天心区人民医院", "天心区坡子街社区卫生服务中心"}, {"天心区仁和诊所"}),
])
def test_each_role_sees_its_own_scope(client, staff, demo, username, sees, not_sees):
    staff(username)
    page = client.get("/console/overview").get_data(as_text=True)
    names = {row[0] for row in cells(page, "overview-table")}
    assert sees <= names and not (not_sees & names)


def test_the_workbook_has_the_table_and_the_days(client, staff, demo):
    staff("hnwjw")
    response = client.get("/console/overview.xlsx")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("地区/机构", "医师数", "未开通") and any(row and row[0] == "合计" for row in rows)
    assert any(row and row[0] == "日期" for row in rows) and len(rows) > 30


def test_a_physician_is_sent_to_the_console_login(client, demo, login_as):
    login_as(demo.session.scalar(select(Physician)))
    assert "/console/login" in client.get("/console/overview").headers["Location"]
    assert "/console/login" in client.get("/console/overview.xlsx").headers["Location"]


def test_a_paper_handed_in_moves_its_physician_from_waiting_to_sat(client, staff, demo):
    """The funnel's 已考: 等待测评 with a paper of this cycle handed in, until the result is published."""
    from tests.console.test_results_list import sat
    from tests.helpers import ready_for_exam

    registration = ready_for_exam(demo)
    name = registration.physician.institution.name
    staff("hnwjw")

    def stages() -> dict[str, int]:
        page = client.get(f"/console/overview?region={authority(demo, '长沙市天心区卫生健康局').id}").get_data(as_text=True)
        heads = re.findall(r"<th>(.*?)</th>", re.search(r'id="overview-table">(.*?)</thead>', page, re.S).group(1))
        row = next(r for r in cells(page, "overview-table") if r[0] == name)
        return dict(zip(heads[1:], (int(n) for n in row[1:-1]), strict=False))

    before = stages()
    sat(demo, registration, right=True)
    after = stages()
    assert after["已考"] == before["已考"] + 1 and after["等待测评"] == before["等待测评"] - 1
    assert after["已参加测评"] == before["已参加测评"] + 1 and after["医师数"] == before["医师数"]


def test_an_institution_sees_each_of_its_physicians_registration_exam_result_and_training(client, staff, demo):
    """The institution's 概况 lists its own physicians (paged, searched) with the registration's
    status, the stage, the papers handed in with the best score, and the training; no one else's."""
    from tests.console.test_results_list import sat
    from tests.helpers import ready_for_exam
    from wechat_app.models import CourseMedia, Enrolment, LessonProgress
    from wechat_app.models.enums import MediaKind

    registration = ready_for_exam(demo)
    physician = registration.physician
    sat(demo, registration, right=True)
    lesson = demo.session.scalar(select(CourseMedia).where(CourseMedia.kind == MediaKind.LESSON))
    demo.session.add(Enrolment(physician_id=physician.id, course_id=lesson.course_id))
    demo.session.add(LessonProgress(physician_id=physician.id, media_id=lesson.id, done=True, credited_seconds=5400))
    demo.session.commit()
    username = demo.session.scalar(select(Staff.username).where(Staff.institution_id == physician.institution_id))
    staff(username)
    page = client.get("/console/overview", query_string={"words": physician.name}).get_data(as_text=True)
    row = re.search(rf'<tr data-physician="{physician.id}">(.*?)</tr>', page, re.S).group(1)
    values = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert values[0] == physician.name and values[1] == physician.masked_id_number and physician.id_number not in page
    assert values[3:] == ["报名完成-等待测评", "已考", "1", "100", "1", "1", "1.5"], values
    everyone = client.get("/console/overview").get_data(as_text=True)
    mine = demo.session.scalar(select(func.count(Physician.id)).where(Physician.institution_id == physician.institution_id))
    assert f"共{mine}条" in everyone
    others = demo.session.scalars(select(Physician).where(Physician.institution_id != physician.institution_id)).all()
    assert not any(f'data-physician="{p.id}"' in everyone for p in others)
    for hostile in ("'; DROP TABLE physicians; --", "%", "_", "x" * 500):
        assert client.get("/console/overview", query_string={"words": hostile, "page": "99"}).status_code == 200


@pytest.mark.parametrize("username", ["kaohe", "txwjj", "hnwjw"])
def test_only_an_institution_sees_the_physicians_list(client, staff, demo, username):
    staff(username)
    assert 'id="progress-table"' not in client.get("/console/overview").get_data(as_text=True)


def test_an_institution_exports_its_physicians_progress_masked_and_audited(client, staff, demo):
    """本院医师考核进度 as .xlsx: every one of its own physicians the search finds (not only the page),
    ID numbers masked as on the page, the export in the audit log; a GET or a POST without the token writes nothing."""
    from tests.helpers import csrf_token
    from wechat_app.models import AuditLog

    rmyy = staff("rmyy")
    page = client.get("/console/overview").get_data(as_text=True)
    export = re.search(r'<form[^>]*id="progress-export".*?</form>', page, re.S).group(0)
    assert 'name="words"' in export
    response = client.post("/console/overview/progress.xlsx", data={"csrf_token": csrf_token(page)})
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    mine = demo.session.scalars(select(Physician).where(Physician.institution_id == rmyy.institution_id)).all()
    assert rows[0][:3] == ("姓名", "证件号码", "科室") and len(rows) == len(mine) + 1
    assert {row[0] for row in rows[1:]} == {p.name for p in mine}
    assert all("*" in row[1] for row in rows[1:]) and not any(p.id_number in str(rows) for p in mine)
    audit = demo.session.scalar(select(AuditLog).where(AuditLog.action == "export_progress"))
    assert audit is not None and audit.actor_id == str(rmyy.id)
    one = client.post("/console/overview/progress.xlsx", data={"csrf_token": csrf_token(page), "words": mine[0].name})
    assert 1 < len(list(load_workbook(io.BytesIO(one.data)).active.iter_rows())) < len(rows)
    assert client.get("/console/overview/progress.xlsx").status_code == 405
    assert client.post("/console/overview/progress.xlsx", data={"words": ""}).status_code == 400
    assert demo.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "export_progress")) == 2


@pytest.mark.parametrize("username", ["kaohe", "txwjj", "hnwjw"])
def test_only_an_institution_exports_the_physicians_progress(client, staff, demo, username):
    from tests.helpers import csrf_token
    from wechat_app.models import AuditLog

    staff(username)
    page = client.get("/console/overview").get_data(as_text=True)
    assert 'id="progress-export"' not in page
    assert client.post("/console/overview/progress.xlsx", data={"csrf_token": csrf_token(page)}).status_code == 403
    assert demo.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "export_progress")) == 0

"""概况 (issue 23): the funnel adds up to the physicians, each authority drills down its own tree and never
into another's, each role sees its own scope, and the figures come as charts, tables and a workbook."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from wechat_app.models import HealthAuthority, Institution, Physician


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
    assert int(total[1]) == hunan_physicians and sum(int(n) for n in total[2:11]) == hunan_physicians  # the funnel adds up
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

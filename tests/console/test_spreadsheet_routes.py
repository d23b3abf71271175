"""The console's exports and imports over HTTP (issue 20): a formula typed into a course title leaves as
text; a zip bomb sent to either import is a 400 with a Chinese message, never a worker timeout."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.domain.test_spreadsheets import HOSTILE, bomb, cells
from tests.helpers import csrf_token
from wechat_app.domain import spreadsheets
from wechat_app.domain.question_bank import COLUMNS as BANK_COLUMNS
from wechat_app.models import Course


def test_a_course_title_typed_as_a_formula_is_text_in_the_console_export(client, staff, demo):
    course = demo.session.scalar(select(Course).where(Course.published.is_(True)).order_by(Course.id))
    course.title = HOSTILE[0]
    demo.session.commit()
    staff("kaohe")
    token = csrf_token(client.get("/console/courses").get_data(as_text=True))
    exported = client.post("/console/courses/export.xlsx", data={"csrf_token": token})
    assert exported.status_code == 200
    (cell,) = [cell for cell in cells(exported.data) if cell.value == HOSTILE[0]]
    assert cell.data_type == "s"


@pytest.mark.parametrize(("username", "path", "columns"), [
    ("rmyy", "/console/physicians/import", spreadsheets.COLUMNS),
    ("kaohe", "/console/bank/import", BANK_COLUMNS),
])
def test_both_imports_answer_a_bomb_with_a_400_and_a_chinese_message(client, staff, demo, username, path, columns):
    staff(username)
    token = csrf_token(client.get("/console/").get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "file": (io.BytesIO(bomb(columns, 40)), "bomb.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "文件解压后超过16MB" in response.get_data(as_text=True)

"""The bank that keeps itself clean (issue 23, defects 2 and 3): a question twice (in the file or already
in the bank) is named and refused, or skipped, or replaces the one there, as the staff member chooses;
an 执业类别 outside the national list is refused; retired questions are listed and re-enabled."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.console.test_exams import post, sheet
from wechat_app.models import AuditLog, Question

ROW = ("A1", "", "", "首次病程记录应当在患者入院后多长时间内完成", "4小时", "8小时", "12小时", "24小时", "", "B",
       "病历书写基本规范第二十二条。", "", "", "医学人文", 3, "考试")
SAME_REORDERED = ("A1", "", "", "首次病程记录应当在患者入院后多长时间内完成 ", "24小时", "12小时", "8小时", "4小时", "",
                  "C", "", "", "", "医学人文", 3, "考试")


def upload(client, rows, duplicates: str | None = None, **kw):
    data = {"file": (io.BytesIO(sheet(rows)), "bank.xlsx")}
    if duplicates:
        data["duplicates"] = duplicates
    return post(client, "/console/bank/import", data, "/console/bank", content_type="multipart/form-data", **kw)


def active(demo, stem_part: str) -> list[Question]:
    demo.session.expire_all()
    return demo.session.scalars(select(Question).where(Question.stem.contains(stem_part),
                                                       Question.retired.is_(False))).all()


def test_the_same_file_twice_does_not_double_the_bank(client, staff, demo):
    staff("kaohe")
    assert "成功导入1道题目" in upload(client, [ROW], follow_redirects=True).get_data(as_text=True)
    count = demo.session.scalar(select(func.count(Question.id)))
    again = upload(client, [ROW])
    assert again.status_code == 400 and "第2行：题库中已有题干和选项相同的题目（编号" in again.get_data(as_text=True)
    assert demo.session.scalar(select(func.count(Question.id))) == count


def test_a_question_twice_in_one_file_is_named_by_its_rows(client, staff, demo):
    staff("kaohe")
    response = upload(client, [ROW, SAME_REORDERED])  # options in another order, a trailing space: the same question
    assert response.status_code == 400 and "第3行：与第2行的题干和选项相同" in response.get_data(as_text=True)
    assert active(demo, "首次病程记录") == []


def test_skip_keeps_the_bank_and_imports_the_rest(client, staff, demo):
    staff("kaohe")
    upload(client, [ROW])
    other = ("A1", "", "", "手术记录应当在术后多长时间内完成", "6小时", "12小时", "24小时", "48小时", "", "C", "", "", "", "医学人文", 3, "考试")
    page = upload(client, [SAME_REORDERED, other, other], "skip", follow_redirects=True).get_data(as_text=True)
    assert "成功导入1道题目，跳过重复题目2道。" in page
    assert len(active(demo, "首次病程记录")) == 1 and len(active(demo, "手术记录应当在术后")) == 1


def test_replace_retires_the_one_there_and_links_the_new_version(client, staff, demo):
    staff("kaohe")
    upload(client, [ROW])
    (old,) = active(demo, "首次病程记录")
    page = upload(client, [SAME_REORDERED], "replace", follow_redirects=True).get_data(as_text=True)
    assert "成功导入1道题目，替换题库中的原题1道（原题已停用）。" in page
    (new,) = active(demo, "首次病程记录")
    assert new.id != old.id and new.replaces_id == old.id and new.answer == "C"
    assert demo.session.scalar(select(AuditLog).where(AuditLog.action == "questions_import").order_by(
        AuditLog.id.desc())).detail == {"count": 1, "skipped": 0, "questions_replaced": 1}


@pytest.mark.parametrize("category", ["兽医", "临床医学", "clinic"])
def test_an_unknown_category_is_refused(client, staff, demo, category):
    staff("kaohe")
    row = ROW[:11] + (category,) + ROW[12:]
    response = upload(client, [row])
    assert response.status_code == 400 and "第2行：执业类别应为临床、口腔、公共卫生、中医之一" in response.get_data(as_text=True)


def test_a_bad_duplicates_choice_is_a_4xx(client, staff, demo):
    staff("kaohe")
    assert upload(client, [ROW], "merge").status_code == 400


def test_retired_questions_are_listed_and_re_enabled_unless_the_bank_has_them(client, staff, demo):
    staff("kaohe")
    upload(client, [ROW])
    (question,) = active(demo, "首次病程记录")
    post(client, f"/console/bank/{question.id}/retire", {}, "/console/bank")
    listed = client.get("/console/bank?retired=1&words=首次病程").get_data(as_text=True)
    assert "首次病程记录" in listed and f"/console/bank/{question.id}/restore" in listed
    assert "首次病程记录" not in client.get("/console/bank?words=首次病程").get_data(as_text=True)
    page = post(client, f"/console/bank/{question.id}/restore", {}, "/console/bank", follow_redirects=True)
    assert f"题目（编号{question.id}）已重新启用" in page.get_data(as_text=True) and len(active(demo, "首次病程记录")) == 1
    upload(client, [SAME_REORDERED], "replace")  # the old one retired again, a new version in use
    refused = post(client, f"/console/bank/{question.id}/restore", {}, "/console/bank", follow_redirects=True)
    assert "题库中已有题干和选项相同的在用题目" in refused.get_data(as_text=True) and len(active(demo, "首次病程记录")) == 1


def test_an_edit_that_copies_another_question_is_refused(client, staff, demo):
    staff("kaohe")
    other = ("A1", "", "", "手术记录应当在术后多长时间内完成", "6小时", "12小时", "24小时", "48小时", "", "C", "", "", "", "医学人文", 3, "考试")
    upload(client, [ROW, other])
    (question,) = active(demo, "手术记录应当在术后")
    values = {f"c{index}": value for index, value in enumerate(ROW)}  # the form's fields, in the import's columns
    response = post(client, f"/console/bank/{question.id}/edit", values, f"/console/bank/{question.id}/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and len(active(demo, "手术记录应当在术后")) == 1
    assert 'id="question-error"' in page and "题库中已有题干和选项相同的题目" in page
    assert 'class="toast"' not in page  # shown at the form, not in the success style at the top


def test_an_edit_refusal_is_shown_at_its_field(client, staff, demo):
    """Issue 23, defect 9: a refusal was a green flash at the top."""
    staff("kaohe")
    upload(client, [ROW])
    (question,) = active(demo, "首次病程记录")
    values = {f"c{index}": value for index, value in enumerate(ROW)} | {"c14": "9"}  # 难度
    response = post(client, f"/console/bank/{question.id}/edit", values, f"/console/bank/{question.id}/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'name="c14" value="9" aria-invalid="true"' in page
    assert page.index('name="c14"') < page.index("难度应为1至5") < page.index('name="c15"')


@pytest.mark.parametrize("role", ["rmyy", "rhzs"])
def test_institutions_cannot_import_or_restore(client, staff, demo, role):
    staff(role)
    token_page = client.get("/console/").get_data(as_text=True)
    from tests.helpers import csrf_token

    response = client.post("/console/bank/import", data={"csrf_token": csrf_token(token_page),
                                                         "file": (io.BytesIO(sheet([ROW])), "b.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.post("/console/bank/1/restore", data={"csrf_token": csrf_token(token_page)}).status_code == 403

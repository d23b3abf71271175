"""Who may change the province's exam and training material (issue 20): the assessment body and the
provincial authority keep the bank, papers, arrangements and courses; a city or district authority
reads them; an institution has none of it; only the 考核机构 reviews faces. Every write route × every
role that must be refused: a 4xx, and nothing changed."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.console.test_exams import GOOD, sheet
from tests.helpers import csrf_token, ready_for_exam
from wechat_app import clock
from wechat_app.domain import exams
from wechat_app.models import Arrangement, Course, FaceCheck, MockPaper, Paper, Question


@pytest.fixture
def material(demo):
    """A question, a paper, an unpublished arrangement, a published course and a face check waiting."""
    db = demo
    registration = ready_for_exam(db, "简易程序")
    (arrangement,) = exams.arrangements_for(registration)
    check = FaceCheck(arrangement_id=arrangement.id, physician_id=registration.physician_id, verdict="review")
    draft = Arrangement(cycle_id=arrangement.cycle_id, paper_id=arrangement.paper_id, name="未发布安排", procedure="简易程序",
                        starts_at=clock.now() + timedelta(days=1), ends_at=clock.now() + timedelta(days=2))
    db.session.add_all([check, draft])
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.published.is_(True)).order_by(Course.id))
    question = db.session.scalar(select(Question).where(Question.retired.is_(False)).order_by(Question.id))
    return {"question": question.id, "paper": arrangement.paper_id, "arrangement": draft.id, "course": course.id,
            "check": check.id}


def writes(ids: dict) -> list[tuple[str, dict]]:
    start = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    question = ids["question"]
    return [
        ("/console/bank/import", {"file": (io.BytesIO(sheet([GOOD])), "bank.xlsx")}),
        (f"/console/bank/{question}/retire", {}),
        (f"/console/bank/{question}/edit", {f"c{i}": v for i, v in enumerate(GOOD)}),
        ("/console/papers", {"title": "区县自建卷", "rules": "A1 医学人文 10 5", "pass_mark": "30", "duration": "45"}),
        ("/console/arrangements", {"paper_id": ids["paper"], "name": "区县安排", "round": "makeup", "procedure": "简易程序",
                                   "category": "", "level": "", "starts_at": start, "ends_at": end, "attempts": "1"}),
        (f"/console/arrangements/{ids['arrangement']}/publish", {}),
        ("/console/courses", {"title": "区县课程", "subject": "人文医学", "topic": "医学人文", "procedure": "", "category": "",
                              "level": "", "description": ""}),
        (f"/console/courses/{ids['course']}/textbook", {"title": "教材", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "b.pdf")}),
        (f"/console/courses/{ids['course']}/mock", {"paper_id": ids["paper"], "title": "区县模拟卷"}),
        (f"/console/courses/{ids['course']}/publish", {}),  # published → unpublished
        (f"/console/face-checks/{ids['check']}", {"decision": "approve"}),
    ]


def state(db, ids: dict) -> tuple:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Question.id))),
            db.session.scalar(select(func.count(Question.id)).where(Question.retired.is_(True))),
            db.session.scalar(select(func.count(Paper.id))), db.session.scalar(select(func.count(Arrangement.id))),
            db.session.get(Arrangement, ids["arrangement"]).published_at,
            db.session.scalar(select(func.count(Course.id))), db.session.get(Course, ids["course"]).published,
            db.session.scalar(select(func.count(MockPaper.id))), db.session.get(FaceCheck, ids["check"]).verdict,
            len(db.session.get(Course, ids["course"]).title))


@pytest.mark.parametrize("username", ["txwjj", "rmyy", "rhzs"])
def test_who_must_only_read_changes_no_material(client, staff, demo, material, username):
    staff(username)
    before = state(demo, material)
    for path, data in writes(material):
        token = csrf_token(client.get("/console/").get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token, **data}, content_type="multipart/form-data")
        assert 400 <= response.status_code < 500, (username, path, response.status_code)
    assert state(demo, material) == before


def test_a_district_authority_still_reads_the_material(client, staff, demo, material):
    staff("txwjj")
    assert client.get("/console/bank").status_code == 200
    assert client.get("/console/courses").status_code == 200
    assert client.get("/console/face-checks").status_code == 403
    refused = client.post("/console/papers", data={
        "csrf_token": csrf_token(client.get("/console/arrangements").get_data(as_text=True)), "title": "区县自建卷",
        "rules": "A1 医学人文 10 5", "pass_mark": "30", "duration": "45"})
    assert refused.status_code == 403 and "试卷由考核机构组卷" in refused.get_data(as_text=True)


def test_the_province_authority_may_not_review_faces_but_keeps_the_material(client, staff, demo, material):
    staff("hnwjw")
    assert client.get("/console/face-checks").status_code == 403
    token = csrf_token(client.get("/console/").get_data(as_text=True))
    assert client.post(f"/console/face-checks/{material['check']}", data={"csrf_token": token,
                                                                          "decision": "approve"}).status_code == 403
    # 试卷 are the assessment bodies' (issue 23, defect 8): the province picks one for its 补考
    made = client.post("/console/papers", data={"csrf_token": token, "title": "省级自建卷", "rules": "A1 医学人文 10 5",
                                                "pass_mark": "30", "duration": "45"})
    assert made.status_code == 403 and "试卷由考核机构组卷" in made.get_data(as_text=True)
    assert demo.session.get(FaceCheck, material["check"]).verdict == "review"


def test_the_sittings_show_photos_and_leaving_to_the_assessment_body(client, staff, demo):
    from tests.helpers import clear_face, portrait
    from wechat_app.domain import captures
    from wechat_app.face import DlibVerifier

    registration = ready_for_exam(demo, "简易程序", photo=portrait("astronaut.png"))
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    clock.freeze(attempt.started_at + timedelta(seconds=exams.capture_moments(attempt)[0]))
    capture = exams.keep_capture(attempt, 0, portrait("grace_hopper.jpg"))
    exams.left_page(attempt)
    captures.judge_due(DlibVerifier())
    path = f"/console/arrangements/{arrangement.id}/sittings"

    staff("kaohe")
    page = client.get(path).get_data(as_text=True)
    assert "疑似非本人" in page and "1次" in page and registration.physician.masked_id_number in page
    frame = f"/console/uploads/{capture.frame_upload_id}"
    assert frame in page and client.get(frame).status_code == 200
    for reader in ("txwjj", "hnwjw"):  # authorities read the record of their physicians, without their faces
        staff(reader)
        page = client.get(path).get_data(as_text=True)
        assert "疑似非本人" in page and frame not in page and client.get(frame).status_code == 404, reader
    for institution in ("rmyy", "rhzs"):  # an institution has no console for exams, and no exam-time faces
        staff(institution)
        assert client.get(path).status_code == 403 and client.get(frame).status_code == 404, institution

"""Exam integrity (issue 20): what a physician sitting a formal paper can reach of its questions —
nothing through training (背题, 做题, mock papers and their review, 错题本) — and when the answers of
a formal attempt are shown."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from tests.helpers import clear_face, csrf_token, ready_for_exam
from wechat_app.domain import exams, training
from wechat_app.models import Course, MockPaper, Question, WrongAnswer


def start_formal(client, demo, registration):
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    page = client.get(f"/m/exams/{arrangement.id}/instructions").get_data(as_text=True)
    started = client.post(f"/m/exams/{arrangement.id}/start", data={"csrf_token": csrf_token(page)})
    assert "/m/attempts/" in started.headers["Location"]
    return arrangement, started.headers["Location"]


def study_pages(client, demo, physician) -> str:
    """Every page of every course the physician may open, as one text: each 背题 and 做题 question, the
    course and 错题本 pages, and every mock paper taken, submitted (all wrong) and reviewed."""
    texts = []
    for card in training.cards(physician):
        course_id = card.course.id
        page = client.get(f"/m/study/courses/{course_id}").get_data(as_text=True)
        token = csrf_token(page)
        client.post(f"/m/study/courses/{course_id}/enrol", data={"csrf_token": token})
        total = len(demo.session.scalars(training.practice_pool(card.course)).all())
        for number in range(1, total + 1):
            for mode in ("recite", "quiz"):
                texts.append(client.get(f"/m/study/courses/{course_id}/practice?mode={mode}&q={number}")
                             .get_data(as_text=True))
        for mock in demo.session.scalars(select(MockPaper).where(MockPaper.course_id == course_id)):
            started = client.post(f"/m/study/mock/{mock.id}/start", data={"csrf_token": token})
            attempt_url = started.headers["Location"]
            confirm = client.get(f"{attempt_url}/submit").get_data(as_text=True)
            texts.append(client.post(f"{attempt_url}/submit", data={"csrf_token": csrf_token(confirm)},
                                     follow_redirects=True).get_data(as_text=True))
        texts.append(client.get(f"/m/study/courses/{course_id}/wrong").get_data(as_text=True))
        texts.append(client.get(f"/m/study/courses/{course_id}/practice?mode=recite&wrong=1").get_data(as_text=True))
    return "".join(texts)


def test_a_running_paper_has_none_of_its_questions_in_any_study_page(client, demo, login_as):
    registration = ready_for_exam(demo, "简易程序")
    physician = registration.physician
    login_as(physician)
    arrangement, attempt_url = start_formal(client, demo, registration)
    attempt = exams.ongoing_attempt(physician.id, arrangement.id, exams.clock.now())
    formal = demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids))).all()
    assert {q.pool for q in formal} == {"考试"}
    # Stems that are unique in the bank (the demo has 医师定期考核的内容包括 as an A1 and as an X).
    stems = Counter(demo.session.scalars(select(Question.stem).where(Question.province_id == formal[0].province_id)))
    unique = [q.stem for q in formal if stems[q.stem] == 1]
    assert len(unique) >= len(formal) // 2

    seen = study_pages(client, demo, physician)
    assert "正确答案" in seen and "解析" in seen  # the pages did show practice questions with their answers
    assert [stem for stem in unique if stem in seen] == []
    in_book = set(demo.session.scalars(select(WrongAnswer.question_id).where(WrongAnswer.physician_id == physician.id)))
    assert in_book and not in_book & set(attempt.question_ids)
    # and the formal paper's own page still shows them, without answers
    assert formal[0].stem in "".join(client.get(f"{attempt_url}?q={n}").get_data(as_text=True)
                                     for n in range(1, len(formal) + 1))


def test_a_formal_paper_never_draws_practice_and_a_mock_never_draws_exam_questions(demo):
    registration = ready_for_exam(demo, "一般程序")
    (arrangement,) = exams.arrangements_for(registration)
    pools = {q.id: q.pool for q in demo.session.scalars(select(Question))}
    for seed in range(20):
        drawn = exams.assemble(arrangement.paper, registration.cycle.province_id, "临床", seed, exams.QuestionPool.EXAM)
        assert {pools[i] for i in drawn.question_ids} == {"考试"}
    for mock in demo.session.scalars(select(MockPaper)):
        drawn = exams.assemble(mock.paper, mock.course.province_id, mock.course.category, 3, exams.QuestionPool.PRACTICE)
        assert {pools[i] for i in drawn.question_ids} == {"练习"}


def test_a_stale_wrong_book_entry_of_an_exam_question_is_not_shown(client, demo, login_as):
    """An entry made before the pools existed (or before a question moved to 考试) stays hidden."""
    registration = ready_for_exam(demo, "简易程序")
    login_as(registration.physician)
    course = demo.session.scalar(select(Course).where(Course.title.contains("人文医学"), Course.title.contains("湖南")))
    exam_question = demo.session.scalar(select(Question).where(Question.pool == "考试", Question.topic == "医学人文",
                                                               Question.kind == "A1"))
    demo.session.add(WrongAnswer(physician_id=registration.physician_id, course_id=course.id,
                                 question_id=exam_question.id))
    demo.session.commit()
    assert training.wrong_entries(registration.physician, course) == []
    assert exam_question.stem not in client.get(f"/m/study/courses/{course.id}/wrong").get_data(as_text=True)
    page = client.get(f"/m/study/courses/{course.id}/practice?mode=recite&wrong=1").get_data(as_text=True)
    assert exam_question.stem not in page


def test_the_import_and_the_editor_set_the_pool(demo):
    from wechat_app.domain import question_bank

    values = dict.fromkeys(question_bank.COLUMNS, "") | {
        "题型": "A1", "题干": "题干", "选项A": "一", "选项B": "二", "选项C": "三", "选项D": "四", "答案": "A"}
    assert question_bank.row_question(values, 1).pool == "考试"  # blank: the safe side
    assert question_bank.row_question(values | {"题库": "练习"}, 1).pool == "练习"
    try:
        question_bank.row_question(values | {"题库": "公开"}, 1)
    except ValueError as exc:
        assert "题库应为考试或练习" in str(exc)
    else:
        raise AssertionError("an unknown pool was accepted")

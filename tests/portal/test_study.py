"""定考培训 over HTTP: which courses whom, enrolment, lesson progress and resume, media with range
requests and their scope, mock papers feeding the 错题本, the 错题本 rule, 背题模式, and query counts
that do not grow with the content."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import Statements, csrf_token, ready_for_exam
from wechat_app import clock
from wechat_app.domain import training, wrong_book
from wechat_app.extensions import db as _db
from wechat_app.models import Course, CourseMedia, Enrolment, MockPaper, Question, WrongAnswer
from wechat_app.models.enums import MediaKind
from wechat_app.storage import storage


def course_named(demo, words: str, province: str = "湖南") -> Course:
    return demo.session.scalar(select(Course).where(Course.title.contains(words), Course.title.contains(province)))


def enrol(client, course: Course):
    token = csrf_token(client.get(f"/m/study/courses/{course.id}").get_data(as_text=True))
    return client.post(f"/m/study/courses/{course.id}/enrol", data={"csrf_token": token})


def test_courses_follow_procedure_category_and_level(client, demo, login_as):
    simple = ready_for_exam(demo, "简易程序")
    login_as(simple.physician)
    page = client.get("/m/study").get_data(as_text=True)
    assert "2026湖南医师定期考核人文医学测评" in page and "参加本周期的医师都必学" in page
    assert "业务水平测评" not in page and "广西" not in page
    general = ready_for_exam(demo, "一般程序")
    login_as(general.physician)
    page = client.get("/m/study").get_data(as_text=True)
    level = general.physician.level
    other = "执业助理医师" if level == "执业医师" else "执业医师"
    assert f"【{level}】" in page and f"【{other}】" not in page
    assert "视频课时：5课时" in page and "模拟试卷：10套" in page and "电子教材：1本" in page


def test_enrolment_is_a_post_and_an_order(client, demo, login_as):
    physician = ready_for_exam(demo).physician
    login_as(physician)
    course = course_named(demo, "人文医学")
    assert "免费学习" in client.get(f"/m/study/courses/{course.id}").get_data(as_text=True)
    assert demo.session.scalar(select(Enrolment).where(Enrolment.physician_id == physician.id)) is None  # GET wrote nothing
    assert enrol(client, course).status_code == 302
    assert "医师法解读" in client.get(f"/m/study/courses/{course.id}").get_data(as_text=True)
    assert "免费学习" in client.get("/m/study/orders").get_data(as_text=True)
    enrol(client, course)
    assert len(demo.session.scalars(select(Enrolment).where(Enrolment.physician_id == physician.id)).all()) == 1


SHORT_LESSON = 8  # seconds: the watching rules are easier to read on a short lesson than on the demo's 150 s


def lesson_of(demo, words: str = "人文医学", nth: int = 0) -> CourseMedia:
    """A demo lesson, made SHORT_LESSON long (its stored length is what the rules use)."""
    course = course_named(demo, words)
    lesson = demo.session.scalars(select(CourseMedia).where(CourseMedia.course_id == course.id,
                                                            CourseMedia.kind == MediaKind.LESSON)
                                  .order_by(CourseMedia.position, CourseMedia.id)).all()[nth]
    lesson.duration_seconds = SHORT_LESSON
    demo.session.commit()
    return lesson


def beats(client, lesson: CourseMedia):
    token = csrf_token(client.get(f"/m/study/lessons/{lesson.id}").get_data(as_text=True))

    def beat(seconds, playing=True, after: float = 0.0):
        clock.freeze(clock.now() + timedelta(seconds=after))
        data = {"csrf_token": token, "position": seconds} | ({"playing": "y"} if playing else {})
        return client.post(f"/m/study/lessons/{lesson.id}/position", data=data).get_json()
    return beat


@pytest.fixture
def frozen():
    clock.freeze(clock.now())


def test_a_lesson_posted_as_finished_right_after_opening_is_not_done(client, demo, login_as, frozen):
    login_as(ready_for_exam(demo).physician)
    lesson = lesson_of(demo)
    beat = beats(client, lesson)
    assert beat(lesson.duration_seconds)["done"] is False  # issue 20, reproduction 8
    assert beat(lesson.duration_seconds, after=1)["done"] is False
    answer = beat(lesson.duration_seconds, playing=False, after=1)
    assert answer["done"] is False and answer["furthest"] == 0 and answer["studied"] == 0


def test_watching_is_credited_and_done_past_ninety_percent_and_resumes(client, demo, login_as, frozen):
    login_as(ready_for_exam(demo).physician)
    lesson = lesson_of(demo)
    beat = beats(client, lesson)
    assert beat(0)["done"] is False  # play
    assert beat(4, after=4) == {"ok": True, "done": False, "furthest": 4, "studied": 4, "message": None}
    assert 'data-resume="4"' in client.get(f"/m/study/lessons/{lesson.id}").get_data(as_text=True)
    assert beat(8, playing=False, after=4.2)["done"] is True  # 8 of 8 seconds, watched
    assert "学时0分8秒" in client.get("/m/study").get_data(as_text=True)  # 学时 from the credited time
    assert beat(1)["done"] is True  # going back does not undo it
    assert beat(10**4)["ok"]  # beyond the end is the end
    token = csrf_token(client.get(f"/m/study/lessons/{lesson.id}").get_data(as_text=True))
    assert client.post(f"/m/study/lessons/{lesson.id}/position", data={"csrf_token": token, "position": "-3"}).status_code == 400


def test_faster_than_one_and_a_half_or_a_drag_ahead_is_not_watching(client, demo, login_as, frozen):
    login_as(ready_for_exam(demo).physician)
    lesson = lesson_of(demo)
    beat = beats(client, lesson)
    beat(0)
    fast = beat(8, after=2)  # 8 s of video in 2 s of wall time
    assert fast["furthest"] == 3 and fast["studied"] <= 3 and not fast["done"]
    dragged = beat(8, after=2)  # still "at 8": nothing more was watched
    assert dragged["furthest"] == 3
    beat(3, after=1)  # back to where watching stopped, and on from there
    assert beat(6, after=3)["furthest"] == 6


def test_a_pause_stops_the_clock(client, demo, login_as, frozen):
    login_as(ready_for_exam(demo).physician)
    lesson = lesson_of(demo)
    beat = beats(client, lesson)
    beat(0)
    beat(2, playing=False, after=2)
    assert beat(6, after=600)["studied"] == 2  # the phone slept paused for ten minutes: no credit
    assert beat(8, playing=False, after=2)["studied"] == 4


def test_one_lesson_at_a_time(client, demo, login_as, frozen):
    login_as(ready_for_exam(demo).physician)
    first, second = lesson_of(demo, nth=0), lesson_of(demo, nth=1)
    beat_first, beat_second = beats(client, first), beats(client, second)
    beat_first(0)
    beat_second(0)
    answer = beat_second(4, after=4)
    assert answer["studied"] == 0 and "同一时间只计一节课程的学时" in answer["message"]
    assert beat_first(4)["studied"] == 4  # the first one goes on
    beat_first(4, playing=False)  # paused: the second may count now
    beat_second(4)
    assert beat_second(8, after=4)["studied"] == 4


def test_media_answers_ranges_and_only_to_its_province(app, client, demo, login_as):
    physician = ready_for_exam(demo).physician
    login_as(physician)
    lesson = demo.session.scalar(select(CourseMedia).join(Course).where(Course.title.contains("湖南"),
                                                                       CourseMedia.kind == MediaKind.LESSON))
    whole = storage().read(lesson.stored_name)
    with client.get(f"/m/study/media/{lesson.id}", headers={"Range": "bytes=100-199"}) as part:
        assert part.status_code == 206 and part.data == whole[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole)}" and part.headers["Accept-Ranges"] == "bytes"
    with client.get(f"/m/study/media/{lesson.id}") as full:
        assert full.data == whole
    guangxi = demo.session.scalar(select(CourseMedia).join(Course).where(Course.title.contains("广西")))
    assert client.get(f"/m/study/media/{guangxi.id}").status_code == 404
    assert client.get(f"/m/study/courses/{guangxi.course_id}").status_code == 404
    hidden = course_named(demo, "人文医学")
    hidden.published = False
    demo.session.commit()
    assert client.get(f"/m/study/media/{lesson.id}").status_code == 404


def test_the_wrong_book_rule(demo):
    registration = ready_for_exam(demo)
    course = course_named(demo, "人文医学")
    question = demo.session.scalar(select(Question).where(Question.topic == "医学人文", Question.kind == "A1",
                                                          Question.pool == "练习"))
    wrong = next(o["key"] for o in question.options if o["key"] != question.answer)
    physician = registration.physician
    assert training.answer_practice(physician, course, question, wrong).in_book
    first = training.answer_practice(physician, course, question, question.answer)
    assert first.right and first.in_book and first.streak == 1
    assert training.answer_practice(physician, course, question, wrong).streak == 0  # a miss starts again
    training.answer_practice(physician, course, question, question.answer)
    assert not training.answer_practice(physician, course, question, question.answer).in_book  # right twice: out
    assert training.wrong_entries(physician, course) == []
    card = next(c for c in training.cards(physician) if c.course.id == course.id)
    assert (card.progress.seen, card.progress.right, card.progress.wrong) == (1, 1, 0)


def test_the_streak_is_configurable(make_app):
    app = make_app(WRONG_BOOK_STREAK=3)
    with app.app_context():
        assert wrong_book.streak_needed() == 3


def test_a_mock_paper_runs_on_the_exam_pages_and_fills_the_wrong_book(client, demo, login_as):
    physician = ready_for_exam(demo).physician
    login_as(physician)
    course = course_named(demo, "人文医学")
    enrol(client, course)
    mock = demo.session.scalar(select(MockPaper).where(MockPaper.course_id == course.id).order_by(MockPaper.position))
    page = client.get(f"/m/study/courses/{course.id}").get_data(as_text=True)
    started = client.post(f"/m/study/mock/{mock.id}/start", data={"csrf_token": csrf_token(page)})
    attempt_url = started.headers["Location"]
    assert "/m/attempts/" in attempt_url and "人文医学模拟试卷1" in client.get(attempt_url).get_data(as_text=True)
    confirm = client.get(f"{attempt_url}/submit").get_data(as_text=True)
    review = client.post(f"{attempt_url}/submit", data={"csrf_token": csrf_token(confirm)}, follow_redirects=True)
    assert "得分：0分" in review.get_data(as_text=True) and "解析" in review.get_data(as_text=True)
    book = demo.session.scalars(select(WrongAnswer).where(WrongAnswer.physician_id == physician.id)).all()
    assert len(book) == sum(rule["count"] for rule in mock.paper.rules)
    assert f"错题本（{len(book)}道）" in client.get(f"/m/study/courses/{course.id}").get_data(as_text=True)


def test_recite_shows_the_answer_and_quiz_waits(client, demo, login_as):
    login_as(ready_for_exam(demo).physician)
    course = course_named(demo, "人文医学")
    recite = client.get(f"/m/study/courses/{course.id}/practice?mode=recite&q=1").get_data(as_text=True)
    quiz = client.get(f"/m/study/courses/{course.id}/practice?mode=quiz&q=1").get_data(as_text=True)
    assert "正确答案：" in recite and "正确答案：" not in quiz and "提交答案" in quiz
    empty = client.get(f"/m/study/courses/{course.id}/practice?mode=quiz&wrong=1").get_data(as_text=True)
    assert "错题本是空的" in empty


def count_queries(client, paths) -> list[int]:
    counts = []
    for path in paths:
        with Statements(_db.engine) as seen:
            assert client.get(path).status_code == 200, path
        counts.append(seen.count)
    return counts


def test_query_counts_do_not_grow_with_the_content(client, demo, login_as):
    physician = ready_for_exam(demo).physician
    login_as(physician)
    course = course_named(demo, "人文医学")
    enrol(client, course)
    paths = ["/m/study", "/m/study/learning", "/m/study/me", f"/m/study/courses/{course.id}",
             f"/m/study/courses/{course.id}/wrong"]
    before = count_queries(client, paths)
    lesson = demo.session.scalar(select(CourseMedia).where(CourseMedia.course_id == course.id))
    for number in range(10):
        demo.session.add(CourseMedia(course_id=course.id, kind="lesson", title=f"加课{number}", position=50 + number,
                                     stored_name=f"extra-{number}.mp4", content_type="video/mp4", size=1,
                                     duration_seconds=8))
    paper = demo.session.scalar(select(MockPaper).where(MockPaper.course_id == course.id)).paper
    demo.session.add_all(MockPaper(course_id=course.id, paper_id=paper.id, title=f"加卷{n}") for n in range(10))
    demo.session.add_all(WrongAnswer(physician_id=physician.id, course_id=course.id, question_id=q)
                         for q in demo.session.scalars(select(Question.id).where(Question.topic == "医学人文").limit(10)))
    demo.session.commit()
    assert lesson is not None
    assert count_queries(client, paths) == before


@pytest.mark.parametrize("path", ["/m/study", "/m/study/learning", "/m/study/orders", "/m/study/me"])
def test_the_tab_bar_pages_need_a_physician(client, demo, path):
    assert client.get(path).status_code == 302


def test_a_mock_paper_counts_on_its_own_course_card_only(demo):
    """A 业务水平 mock taken is not 已做1次模拟 on the 人文医学 card (issue 22, defect 2)."""
    registration = ready_for_exam(demo, "一般程序")
    physician = registration.physician
    own = next(c for c in training.cards(physician) if c.progress.mock_papers and "业务水平" in c.course.title)
    mock = demo.session.scalar(select(MockPaper).where(MockPaper.course_id == own.course.id).order_by(MockPaper.position))
    from wechat_app.domain import exams

    exams.submit(training.start_mock(physician, mock))
    cards = {card.course.id: card.progress for card in training.cards(physician)}
    assert cards[own.course.id].papers_taken == 1
    assert all(progress.papers_taken == 0 and progress.best_score is None
               for course_id, progress in cards.items() if course_id != own.course.id)


def test_the_review_can_show_only_the_wrong_answers(client, demo, login_as):
    """Issue 22: the review expanded every question with no 只看错题."""
    physician = ready_for_exam(demo).physician
    login_as(physician)
    course = course_named(demo, "人文医学")
    enrol(client, course)
    mock = demo.session.scalar(select(MockPaper).where(MockPaper.course_id == course.id).order_by(MockPaper.position))
    attempt = training.start_mock(physician, mock)
    first = attempt.question_ids[0]
    right = demo.session.get(Question, first).answer
    token = csrf_token(client.get(f"/m/attempts/{attempt.id}").get_data(as_text=True))
    client.post(f"/m/attempts/{attempt.id}/answer", data={"csrf_token": token, "question_id": first, "choice": list(right)},
                headers={"Accept": "application/json"})
    from wechat_app.domain import exams

    exams.submit(attempt)
    total = len(attempt.question_ids)
    everything = client.get(f"/m/attempts/{attempt.id}/review").get_data(as_text=True)
    assert f"全部（{total}）" in everything and f"只看错题（{total - 1}）" in everything
    assert everything.count('class="cells answer-row') == total
    wrong = client.get(f"/m/attempts/{attempt.id}/review?wrong=1").get_data(as_text=True)
    assert wrong.count('class="cells answer-row') == total - 1 and 'answer-row right' not in wrong
    assert '<div class="icon " aria-hidden="true">✕</div>' in wrong  # not a bare "!"


def test_a_course_is_named_the_same_on_its_card_and_its_pages(client, demo, login_as):
    """Issue 22: the course page dropped "【业务水平】[临床]"."""
    physician = ready_for_exam(demo, "一般程序").physician
    login_as(physician)
    course = demo.session.scalar(select(Course).where(Course.subject == "业务水平", Course.category == "临床",
                                                      Course.title.contains("湖南")))
    named = f"{course.title}【业务水平】[临床]"
    assert named in client.get("/m/study").get_data(as_text=True)
    enrol_page = client.get(f"/m/study/courses/{course.id}").get_data(as_text=True)
    assert f"<h1>{named}</h1>" in enrol_page
    enrol(client, course)
    assert f"<h1>{named}</h1>" in client.get(f"/m/study/courses/{course.id}").get_data(as_text=True)


def test_quiz_mode_shows_the_wrong_option_chosen(client, demo, login_as):
    """Issue 22: 做题模式 showed the answer but not what was chosen."""
    import html
    import re

    login_as(ready_for_exam(demo).physician)
    course = course_named(demo, "人文医学")
    url = f"/m/study/courses/{course.id}/practice?mode=quiz&q=1"
    page = client.get(url).get_data(as_text=True)
    stem = html.unescape(re.search(r'<div class="stem">(.*?)</div>', page, re.S).group(1))
    question = demo.session.scalar(select(Question).where(Question.stem == stem))
    wrong_key = next(o["key"] for o in question.options if o["key"] not in question.answer)
    shown = client.post(url, data={"csrf_token": csrf_token(page), "choice": wrong_key}).get_data(as_text=True)
    assert f"您的答案：{wrong_key}" in shown and "回答错误" in shown
    assert re.search(rf'class="option wrong"><input [^>]*value="{wrong_key}" checked', shown)


def test_a_half_watched_lesson_says_how_far_on_the_course_page(client, demo, login_as, frozen):
    """Issue 22: a half-watched lesson said 未学习."""
    physician = ready_for_exam(demo).physician
    login_as(physician)
    lesson = lesson_of(demo)
    enrol(client, lesson.course)
    beat = beats(client, lesson)
    beat(0)
    beat(lesson.duration_seconds // 2, playing=False, after=lesson.duration_seconds // 2)
    page = client.get(f"/m/study/courses/{lesson.course_id}").get_data(as_text=True)
    row = page.split(f'data-lesson="{lesson.id}"')[1].split("</a>")[0]
    assert "未学习" not in row and "已学" in row


def test_every_study_page_has_the_tab_bar(client, demo, login_as):
    """Issue 22: no tab bar on the course, lesson and practice pages (a physician had to go back to leave them)."""
    physician = ready_for_exam(demo).physician
    login_as(physician)
    lesson = lesson_of(demo)
    course_id = lesson.course_id
    before = client.get(f"/m/study/courses/{course_id}").get_data(as_text=True)  # the enrolment page
    enrol(client, lesson.course)
    for page in (before, client.get(f"/m/study/courses/{course_id}").get_data(as_text=True),
                 client.get(f"/m/study/lessons/{lesson.id}").get_data(as_text=True),
                 client.get(f"/m/study/courses/{course_id}/practice?mode=quiz&q=1").get_data(as_text=True)):
        assert page.count('<nav class="tabbar"') == 1 and "个人中心" in page


def test_a_lesson_plays_inline_in_wechat_and_waits_for_a_tap(client, demo, login_as):
    """Issue 22: iOS WeChat and Android's X5 open a video full screen in their own player unless told to play
    it in the page; neither plays with sound before a tap."""
    import re

    login_as(ready_for_exam(demo).physician)
    lesson = lesson_of(demo)
    enrol(client, lesson.course)
    page = client.get(f"/m/study/lessons/{lesson.id}").get_data(as_text=True)
    video = re.search(r'<video id="lesson-video"[^>]*>', page).group(0)
    for attribute in ("controls", "playsinline", "webkit-playsinline", "x5-playsinline", 'x5-video-player-type="h5-page"'):
        assert f" {attribute}" in video, attribute
    assert "autoplay" not in video

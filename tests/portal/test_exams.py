"""参加考试 and 考核结果 over HTTP: every state gets a page, the face check with a real face, a paper
that never shows its answers, autosave and resume, 交卷, the score; results, the notice and its PDF,
the public verification; nobody opens another physician's attempt or notice."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import g
from PIL import Image
from sqlalchemy import select

from tests.helpers import Statements, clear_face, csrf_token, enrolled, image_bytes, live_frames, ready_for_exam
from wechat_app import clock
from wechat_app.domain import exams, face_checks, results
from wechat_app.models import Attempt, Question, Result, Staff
from wechat_app.models.enums import ExamRound, Status

FIXTURES = Path(__file__).parent.parent / "fixtures"


def jpeg(name: str, scale: float = 1.0) -> bytes:
    image = Image.open(FIXTURES / name).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@pytest.mark.parametrize("status", ["open", "pending_institution", "pending_assessor", "awaiting_test"])
def test_both_pages_answer_in_every_state(client, demo, login_as, status):
    login_as(enrolled(demo, status))
    for path in ("/m/exams", "/m/results"):
        response = client.get(path)
        assert response.status_code == 200, (status, path)
    page = client.get("/m/exams").get_data(as_text=True)
    if status != "awaiting_test":
        assert "报名审核通过（报名完成-等待测评）后才能参加考试。" in page


def test_cards_show_attempts_and_wait_before_the_window(client, demo, login_as):
    registration = ready_for_exam(demo, "简易程序")
    login_as(registration.physician)
    page = client.get("/m/exams").get_data(as_text=True)
    assert "医学人文测评卷" in page and "可考次数" in page and "剩余20次" in page and "进入测评" in page
    (arrangement,) = exams.arrangements_for(registration)
    arrangement.starts_at = clock.now() + timedelta(days=1)
    demo.session.commit()
    page = client.get("/m/exams").get_data(as_text=True)
    assert "等待考试开始....." in page and "进入测评</a>" not in page


def take_face_check(client, arrangement_id: int, frames: list[bytes]):
    """Open the check page (which issues the challenge), post what the camera took (kept for the
    verifier workers: 202 and where to ask), let a verifier worker judge it, and ask for the verdict."""
    from wechat_app.verifier_worker import verify_round

    token = csrf_token(client.get(f"/m/exams/{arrangement_id}/check").get_data(as_text=True))
    posted = client.post(f"/m/exams/{arrangement_id}/face", data={
        "csrf_token": token, "frames": [(io.BytesIO(frame), f"f{i}.jpg") for i, frame in enumerate(frames)]},
        content_type="multipart/form-data")
    if posted.status_code != 202:
        return posted
    assert posted.get_json()["pending"] and client.get(posted.get_json()["poll"]).get_json()["pending"]
    assert verify_round(ahead=False) >= 1  # a verifier worker's round (the photos measured ahead are not waited for)
    return client.get(posted.get_json()["poll"])


def test_the_whole_sitting(client, demo, login_as):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    login_as(registration.physician)
    (arrangement,) = exams.arrangements_for(registration)
    refused = take_face_check(client, arrangement.id, live_frames("grace_hopper.jpg")).get_json()
    assert not refused["ok"] and "调整好光线" in refused["message"]
    assert client.get(f"/m/exams/{arrangement.id}/instructions").status_code == 302  # not before the face
    cleared = take_face_check(client, arrangement.id, live_frames("astronaut.png")).get_json()
    assert cleared["ok"] and cleared["next"].endswith("/instructions")
    page = client.get(cleared["next"]).get_data(as_text=True)
    assert "我知晓--开始考试" in page
    started = client.post(f"/m/exams/{arrangement.id}/start", data={"csrf_token": csrf_token(page)})
    attempt_url = started.headers["Location"]
    attempt = demo.session.scalar(select(Attempt).where(Attempt.physician_id == registration.physician_id))
    questions = {q.id: q for q in demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    paper = "".join(client.get(f"{attempt_url}?q={n}").get_data(as_text=True) for n in range(1, 6))
    assert not any(q.explanation and q.explanation in paper for q in questions.values())
    assert "answer" not in re.sub(r"answer-form|/answer\"", "", paper)

    token = csrf_token(client.get(attempt_url).get_data(as_text=True))
    for question_id in attempt.question_ids:
        saved = client.post(f"{attempt_url}/answer", data={"csrf_token": token, "question_id": question_id,
                                                          "choice": list(questions[question_id].answer)},
                            headers={"Accept": "application/json"})
        assert saved.get_json()["ok"], saved.get_json()
    # the connection drops and the physician comes back: same paper, same order, answers kept
    assert client.get("/m/exams").get_data(as_text=True).count("继续答题") == 1
    again = client.get(f"{attempt_url}?q=1").get_data(as_text=True)
    assert "checked" in again
    confirm = client.get(f"{attempt_url}/submit").get_data(as_text=True)
    assert "全部题目已作答" in confirm
    review = client.post(f"{attempt_url}/submit", data={"csrf_token": csrf_token(confirm)}, follow_redirects=True)
    text = review.get_data(as_text=True)
    assert "得分：100分（合格）" in text and "正确答案" not in text  # others still sit these questions
    assert f"考试结束后（{arrangement.ends_at:%Y-%m-%d %H:%M}）可查看答案与解析" in text
    clock.freeze(arrangement.ends_at)
    text = client.get(f"{attempt_url}/review").get_data(as_text=True)
    assert "得分：100分（合格）" in text and "正确答案" in text


def test_no_one_else_opens_an_attempt(client, demo, login_as):
    registration = ready_for_exam(demo, "简易程序")
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    login_as(ready_for_exam(demo, "简易程序").physician)
    for path in (f"/m/attempts/{attempt.id}", f"/m/attempts/{attempt.id}/review", f"/m/attempts/{attempt.id}/submit"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client.get("/m/account").get_data(as_text=True))  # nor photos nor 切屏 for it
    assert client.post(f"/m/attempts/{attempt.id}/away", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/m/attempts/{attempt.id}/capture", data={
        "csrf_token": token, "slot": "0", "frame": (io.BytesIO(jpeg("astronaut.png")), "c.jpg")},
        content_type="multipart/form-data").status_code == 404
    assert exams.own_attempt(attempt.id, registration.physician).away_count == 0


def test_results_notice_pdf_and_verification(client, demo, login_as):
    registration = ready_for_exam(demo, status="exempt", photo=image_bytes(size=(150, 210), color=(12, 34, 56)))
    assessor = demo.session.scalar(select(Staff).where(Staff.username == "kaohe"))
    results.publish(assessor, registration.cycle, ExamRound.REGULAR, None)
    assert registration.status == Status.PASSED
    result = demo.session.scalar(select(Result).where(Result.registration_id == registration.id))
    login_as(registration.physician)
    page = client.get("/m/results").get_data(as_text=True)
    assert "考核合格" in page and "免考" in page and "针对考核合格的医师，考核结束。" in page
    notice = client.get(f"/m/results/{result.id}/notice").get_data(as_text=True)
    assert "医师定期考核结果通知书" in notice and "data:image/png;base64," in notice
    assert registration.physician.id_number not in notice
    # the registration photo, the issuing body with its seal, the authority (the seed: 照片…用于考核结果通知书打印)
    assert 'id="notice-photo" src="data:image/jpeg;base64,' in notice and 'id="notice-seal"' in notice
    assert "考核机构：长沙市医学会医师定期考核办公室" in notice and "卫生健康行政部门：长沙市天心区卫生健康局" in notice
    number = re.search(r'id="notice-number">(DK\d+)<', notice).group(1)
    pdf = client.get(f"/m/results/{result.id}/notice.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "filename*=UTF-8''%E8%80%83%E6%A0%B8%E7%BB%93%E6%9E%9C%E9%80%9A%E7%9F%A5%E4%B9%A6" in pdf.headers["Content-Disposition"]  # 考核结果通知书
    public = client.application.test_client()
    shown = public.get(f"/verify/{result.token}").get_data(as_text=True)
    assert "合格" in shown and registration.physician.name not in shown
    assert f'id="verified-number">{number}<' in shown and registration.physician.institution.name in shown
    missing = public.get("/verify/not-a-token")
    assert missing.status_code == 404 and "无法验证" in missing.get_data(as_text=True)
    login_as(ready_for_exam(demo).physician)
    assert client.get(f"/m/results/{result.id}/notice").status_code == 404
    assert client.get(f"/m/results/{result.id}/notice.pdf").status_code == 404


def test_a_failed_physician_sees_the_makeup_arrangement(client, demo, login_as):
    registration = ready_for_exam(demo)
    for arrangement in exams.arrangements_for(registration):
        arrangement.ends_at = clock.now() - timedelta(minutes=1)
    demo.session.commit()
    results.publish(demo.session.scalar(select(Staff).where(Staff.username == "kaohe")), registration.cycle,
                    ExamRound.REGULAR, None)
    login_as(registration.physician)
    page = client.get("/m/results").get_data(as_text=True)
    assert "考核不合格" in page and "针对考核不合格的医师，等待补考。" in page and "待补考名单经卫生健康行政部门确认后" in page


def test_makeup_is_shown_only_to_the_confirmed_list_and_only_while_it_is_open(client, demo, login_as):
    """No 补考 loop (issue 22, defect 1): 考核不合格 but not yet on the confirmed 待补考名单 is told what happens
    next, not sent to 参加考试; on the list the 补考 shows while its window is open, and after it, that it is over."""
    from wechat_app.models import Arrangement

    registration = ready_for_exam(demo)
    (regular,) = exams.arrangements_for(registration)
    regular.ends_at = clock.now() - timedelta(minutes=1)
    makeup = Arrangement(cycle_id=regular.cycle_id, paper_id=regular.paper_id, name="补考测评卷", round="makeup",
                         procedure=regular.procedure, starts_at=clock.now() - timedelta(hours=1),
                         ends_at=clock.now() + timedelta(days=2), attempts_allowed=1, published_at=clock.now())
    demo.session.add(makeup)
    demo.session.commit()
    results.publish(demo.session.scalar(select(Staff).where(Staff.username == "kaohe")), registration.cycle,
                    ExamRound.REGULAR, None)
    login_as(registration.physician)
    page = client.get("/m/results").get_data(as_text=True)
    assert "补考安排：" not in page and "【参加考试】</a>进入" not in page
    assert "待补考名单经卫生健康行政部门确认后" in page
    results.confirm_makeup_list(demo.session.scalar(select(Staff).where(Staff.username == "hnwjw")),
                                registration.cycle, None)
    page = client.get("/m/results").get_data(as_text=True)
    assert "您已列入待补考名单" in page and "补考安排：补考测评卷" in page and "【参加考试】</a>进入" in page
    assert "补考测评卷" in client.get("/m/exams").get_data(as_text=True)
    clock.freeze(makeup.ends_at + timedelta(minutes=1))
    page = client.get("/m/results").get_data(as_text=True)
    assert "补考安排：" not in page and "补考已结束，等待考核机构发布补考结果" in page


def test_the_exams_page_makes_as_many_queries_for_three_papers_as_for_one(client, demo, login_as):

    from wechat_app.extensions import db as _db
    from wechat_app.models import Arrangement

    registration = ready_for_exam(demo)
    login_as(registration.physician)

    def queries() -> int:
        g.pop("_login_user", None)  # the test's requests share its app context; a real request loads its user
        with Statements(_db.engine) as seen:
            assert client.get("/m/exams").status_code == 200
        return seen.count

    queries()  # the first request also fills what a process keeps once
    before = queries()
    arrangement = exams.arrangements_for(registration)[0]
    for number in range(2):
        demo.session.add(Arrangement(cycle_id=arrangement.cycle_id, paper_id=arrangement.paper_id, name=f"加考{number}",
                                     procedure=arrangement.procedure, starts_at=arrangement.starts_at,
                                     ends_at=arrangement.ends_at, published_at=arrangement.published_at))
    demo.session.commit()
    page = client.get("/m/exams").get_data(as_text=True)
    assert page.count('class="cells exam-card"') == 3
    assert queries() == before


def test_the_registration_photo_served_to_the_physician_does_not_pass_the_face_check(client, demo, login_as):
    """Issue 20, reproduction 2: the physician's own photo, fetched from /m/uploads and posted as the
    camera's frames (once, or as a 'clip' of copies), is refused as a replay."""
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    login_as(registration.physician)
    (arrangement,) = exams.arrangements_for(registration)
    photo = face_checks.registration_photo(registration)
    served = client.get(f"/m/uploads/{photo.id}")
    assert served.status_code == 200
    for frames in ([served.data], [served.data] * 6):
        answer = take_face_check(client, arrangement.id, frames).get_json()
        assert not answer["ok"] and answer["message"] == face_checks.REPLAY
    assert not face_checks.cleared(registration.physician_id, arrangement.id)


def test_a_challenge_is_used_once(client, demo, login_as):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    login_as(registration.physician)
    (arrangement,) = exams.arrangements_for(registration)
    token = csrf_token(client.get(f"/m/exams/{arrangement.id}/check").get_data(as_text=True))
    assert not take_face_check(client, arrangement.id, live_frames("grace_hopper.jpg")).get_json()["ok"]
    answer = client.post(f"/m/exams/{arrangement.id}/face", data={
        "csrf_token": token, "frames": [(io.BytesIO(frame), "f.jpg") for frame in live_frames("astronaut.png")]},
        content_type="multipart/form-data")
    assert answer.status_code == 409 and "验证已过期" in answer.get_json()["message"]


def test_the_paper_page_takes_its_photos_and_reports_leaving(client, demo, login_as):
    from wechat_app.models import ExamCapture

    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    login_as(registration.physician)
    (arrangement,) = exams.arrangements_for(registration)
    arrangement.away_budget = 1
    demo.session.commit()
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    page = client.get(f"/m/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="invigilation"' in page and "超过1次将自动交卷" in page
    token = csrf_token(page)
    clock.freeze(attempt.started_at + timedelta(seconds=exams.capture_moments(attempt)[0]))
    kept = client.post(f"/m/attempts/{attempt.id}/capture", data={
        "csrf_token": token, "slot": "0", "frame": (io.BytesIO(live_frames("astronaut.png")[1]), "c.jpg")},
        content_type="multipart/form-data")
    assert kept.get_json() == {"ok": True}
    assert demo.session.scalar(select(ExamCapture.verdict).where(ExamCapture.attempt_id == attempt.id)) == "pending"
    assert "data-moments='[[1," in client.get(f"/m/attempts/{attempt.id}").get_data(as_text=True)  # slot 0 is done
    hostile = client.post(f"/m/attempts/{attempt.id}/capture", data={
        "csrf_token": token, "slot": "0", "frame": (io.BytesIO(b"<svg/>"), "c.jpg")}, content_type="multipart/form-data")
    assert 400 <= hostile.status_code < 500
    first = client.post(f"/m/attempts/{attempt.id}/away", data={"csrf_token": token}).get_json()
    assert first == {"ok": True, "count": 1, "budget": 1, "submitted": False}
    assert client.post(f"/m/attempts/{attempt.id}/away", data={"csrf_token": token}).get_json()["submitted"]
    assert client.get(f"/m/attempts/{attempt.id}").headers["Location"].endswith("/review")


def test_frames_and_photos_sent_as_text_fields_are_a_400(client, demo, login_as):
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    login_as(registration.physician)
    (arrangement,) = exams.arrangements_for(registration)
    token = csrf_token(client.get(f"/m/exams/{arrangement.id}/check").get_data(as_text=True))
    assert client.post(f"/m/exams/{arrangement.id}/face", data={"csrf_token": token, "frames": ["x", "y"]}
                       ).status_code == 400
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    assert client.post(f"/m/attempts/{attempt.id}/capture", data={"csrf_token": token, "slot": "0", "frame": "x"}
                       ).status_code == 400


def test_the_web_request_keeps_the_frames_and_a_verifier_worker_judges_them(app, client, demo, login_as, monkeypatch):
    """The face work is not done in the request: the post answers 202 before any verification; the
    page's poll says 验证中 until a verifier worker has judged the check."""
    from wechat_app.face import DlibVerifier
    from wechat_app.models import FaceCheck
    from wechat_app.verifier_worker import verify_round

    calls = []
    real = DlibVerifier.verify
    monkeypatch.setattr(DlibVerifier, "verify", lambda self, *args: calls.append(1) or real(self, *args))
    registration = ready_for_exam(demo, "简易程序", photo=jpeg("astronaut.png"))
    login_as(registration.physician)
    (arrangement,) = exams.arrangements_for(registration)
    token = csrf_token(client.get(f"/m/exams/{arrangement.id}/check").get_data(as_text=True))
    posted = client.post(f"/m/exams/{arrangement.id}/face", data={
        "csrf_token": token, "frames": [(io.BytesIO(f), "f.jpg") for f in live_frames("astronaut.png")]},
        content_type="multipart/form-data")
    assert posted.status_code == 202 and calls == []
    poll = posted.get_json()["poll"]
    assert client.get(poll).get_json() == {"pending": True, "message": "人脸验证中，请稍候。", "ahead": 0, "wait": 1}
    assert "人脸验证中，请稍候" in client.get(f"/m/exams/{arrangement.id}/check").get_data(as_text=True)
    verify_round(ahead=False)
    answer = client.get(poll).get_json()
    assert calls == [1] and answer["ok"] and answer["next"].endswith("/instructions")
    other = demo.session.scalar(select(FaceCheck).where(FaceCheck.id != int(poll.rsplit("/", 1)[1])).limit(1))
    if other is not None:  # someone else's check is not shown
        assert client.get(f"/m/exams/{other.arrangement_id}/face/{other.id}").status_code == 404


def test_hand_in_lists_the_unanswered_and_the_marked_as_finger_sized_links(client, demo, login_as):
    registration = ready_for_exam(demo)
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    login_as(registration.physician)
    url = f"/m/attempts/{attempt.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    first, second = attempt.question_ids[:2]
    client.post(f"{url}/answer", data={"csrf_token": token, "question_id": first, "choice": "A", "flagged": "y"},
                headers={"Accept": "application/json"})
    client.post(f"{url}/answer", data={"csrf_token": token, "question_id": second, "flagged": "y"},
                headers={"Accept": "application/json"})
    page = client.get(f"{url}/submit").get_data(as_text=True)
    unanswered = page.split('id="unanswered"')[1].split("</div></div>")[0]
    flagged = page.split('id="flagged"')[1].split("</div></div>")[0]
    assert f"还有{len(attempt.question_ids) - 1}题未作答" in unanswered and 'q=1"' not in unanswered
    assert "已标记2题" in flagged and f'{url}?q=1"' in flagged and f'{url}?q=2"' in flagged
    assert 'class="jump"' in unanswered  # 44 px targets (static/css/weui-lite.css .jump)

"""参加考试 (/m/exams) and 考核结果 (/m/results): the papers and their windows, 进入测评 (device check
and face verification, 考前须知, 我知晓--开始考试), a paper one question per screen with its answer
sheet, 交卷, the score; the results per cycle with the printable 考核结果通知书; and the public
verification of a notice's QR code (/verify/<token>).

Every answer is saved on the server as it is given; the timer shown is the server's deadline, and
a page opened after it submits the paper. Views parse, authorize (the attempt is the physician's
own), call one use case in domain/exams.py, domain/face_checks.py or domain/results.py, and render.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from wechat_app import clock, limits
from wechat_app.auth import physician_required
from wechat_app.domain import exams, face_checks, results
from wechat_app.domain.errors import DomainError
from wechat_app.domain.home import current_cycle_and_registration
from wechat_app.extensions import db
from wechat_app.face import CHALLENGES, MAX_FRAMES, PHOTO_STEPS, SELF_PHOTOGRAPHED
from wechat_app.forms import ConfirmForm
from wechat_app.forms.exams import AnswerForm, CaptureForm, FrameForm
from wechat_app.inputs import parse_count
from wechat_app.models import Arrangement, Attempt, FaceCheck, Registration, Result
from wechat_app.models.enums import ExamRound, FaceVerdict, Status
from wechat_app.portal import result_notice

bp = Blueprint("exams", __name__)
FRAME_READ_LIMIT = 2 * 1024 * 1024 + 1
CHALLENGE = "face_challenge"  # session key: the movement the current face check asks for


def my_registration():
    _, registration = current_cycle_and_registration(current_user)
    return registration


def my_arrangement(arrangement_id: int) -> tuple[Registration, Arrangement]:
    """An arrangement this physician must sit in their current round, with the registration it is
    for; anything else is a 404."""
    registration = my_registration()
    arrangement = db.session.get(Arrangement, arrangement_id)
    if registration is None or arrangement is None or arrangement not in exams.arrangements_for(registration):
        abort(404)
    return registration, arrangement


def my_attempt(attempt_id: int) -> Attempt:
    try:
        return exams.own_attempt(attempt_id, current_user)
    except DomainError:
        abort(404)


@bp.get("/m/exams")
@physician_required
def index():
    registration = my_registration()
    reason = exams.no_test_reason(registration)
    found = exams.cards(registration, clock.now()) if registration is not None and reason is None else []
    return render_template("exams/index.html", reason=reason, cards=found, registration=registration)


@bp.get("/m/exams/<int:arrangement_id>/check")
@physician_required
def check(arrangement_id: int):
    """进入测评: the device check and the camera, unless the face is already verified."""
    _, arrangement = my_arrangement(arrangement_id)
    ongoing = exams.ongoing_attempt(current_user.id, arrangement.id, clock.now())
    if ongoing is not None:
        return redirect(url_for("exams.attempt", attempt_id=ongoing.id))
    if face_checks.cleared(current_user.id, arrangement.id):
        return redirect(url_for("exams.instructions", arrangement_id=arrangement.id))
    # ?photos=1: the page found no live camera and asks for photos instead (face.PHOTO_STEPS).
    by_photos = request.args.get("photos") == "1"
    allowed = current_app.config["FACE_CHALLENGES"]
    challenge = face_checks.challenge_for([c for c in allowed if c in SELF_PHOTOGRAPHED] or allowed if by_photos else allowed)
    # Kept in the signed session, one at a time: the page shows it, the next post is judged by it.
    session[CHALLENGE] = {"arrangement": arrangement.id, "kind": challenge}
    return render_template("exams/check.html", arrangement=arrangement, form=FrameForm(), challenge=challenge,
                           prompt=CHALLENGES[challenge], photo_steps=PHOTO_STEPS[challenge] if by_photos else None,
                           last=face_checks.latest(current_user.id, arrangement.id))


@bp.post("/m/exams/<int:arrangement_id>/face")
@physician_required
@limits.per_account(limits.FACE_FRAMES)
def face(arrangement_id: int):
    """The camera's frames (JPEGs from the page's canvas) taken during the challenge the page was
    given; answers JSON for the page's script. The challenge is used once, whatever the outcome."""
    registration, arrangement = my_arrangement(arrangement_id)
    form = FrameForm()
    issued = session.pop(CHALLENGE, None) or {}
    frames = [frame.read(FRAME_READ_LIMIT) for frame in (form.frames.data or [])[:MAX_FRAMES + 1]
              if isinstance(frame, FileStorage)]  # a text field of that name is not a frame
    if not form.validate_on_submit() or not frames:
        return {"ok": False, "message": "请先开启摄像头，按提示完成动作。"}, 400
    challenge = issued.get("kind") if issued.get("arrangement") == arrangement.id else None
    try:
        row = face_checks.submit(registration, arrangement, frames, challenge)
    except DomainError as exc:
        return {"ok": False, "message": exc.message}, exc.status
    return still_waiting(row) | {"poll": url_for("exams.face_result", arrangement_id=arrangement.id,
                                                 check_id=row.id)}, 202


@bp.get("/m/exams/<int:arrangement_id>/face/<int:check_id>")
@physician_required
def face_result(arrangement_id: int, check_id: int):
    """The page polls its check until a verifier worker has judged it: at 09:00 thousands of pages
    ask, so this is the user and the row, and the answer says when to ask again."""
    row = db.session.get(FaceCheck, check_id)
    if row is None or row.physician_id != current_user.id or row.arrangement_id != arrangement_id:
        abort(404)
    if row.verdict == FaceVerdict.PENDING:
        return still_waiting(row)
    cleared = row.verdict in [v.value for v in face_checks.CLEARED]
    return {"ok": cleared, "verdict": row.verdict, "message": face_checks.message(row),
            "next": url_for("exams.instructions", arrangement_id=arrangement_id) if cleared else None}


def still_waiting(row: FaceCheck) -> dict:
    place = face_checks.waiting_for(row, current_app.config["FACE_CHECKS_PER_SECOND"])
    return {"pending": True, "message": place.message, "ahead": place.ahead, "wait": place.wait_seconds}


@bp.get("/m/exams/<int:arrangement_id>/instructions")
@physician_required
def instructions(arrangement_id: int):
    """考前须知, then 我知晓--开始考试."""
    _, arrangement = my_arrangement(arrangement_id)
    if not face_checks.cleared(current_user.id, arrangement.id):
        return redirect(url_for("exams.check", arrangement_id=arrangement.id))
    return render_template("exams/instructions.html", arrangement=arrangement, form=ConfirmForm())


@bp.post("/m/exams/<int:arrangement_id>/start")
@physician_required
@limits.per_account(limits.EXAM_START)
def start(arrangement_id: int):
    registration, arrangement = my_arrangement(arrangement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt = exams.start(registration, arrangement)
    except DomainError as exc:
        flash(exc.message)
        return redirect(url_for("exams.index"))
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


def closed_if_over(attempt: Attempt) -> bool:
    """A page opened after the deadline submits the paper (the answers saved until then count)."""
    if attempt.submitted_at is None and clock.now() >= attempt.deadline:
        exams.submit(attempt, by="deadline")
    return attempt.submitted_at is not None


@bp.get("/m/attempts/<int:attempt_id>")
@physician_required
def attempt(attempt_id: int):
    """One question a screen (?q=N), the answer sheet, the server's time left."""
    row = my_attempt(attempt_id)
    if closed_if_over(row):
        return redirect(url_for("exams.review", attempt_id=row.id))
    questions = exams.shown_questions(row)
    number = min(max(parse_count(request.args.get("q")) or 1, 1), len(questions))
    taken = exams.captured_slots(row)
    return render_template("exams/attempt.html", attempt=row, questions=questions, current=questions[number - 1],
                           answers=exams.answers_of(row), form=AnswerForm(),
                           seconds_left=int((row.deadline - clock.now()).total_seconds()),
                           elapsed=int((clock.now() - row.started_at).total_seconds()),
                           moments=[(slot, at) for slot, at in enumerate(exams.capture_moments(row)) if slot not in taken])


@bp.post("/m/attempts/<int:attempt_id>/answer")
@physician_required
@limits.per_account(limits.EXAM_ANSWER)
def answer(attempt_id: int):
    """Save one answer: JSON for the page's script, or on to the next question without it. The attempt
    is the physician's own or a 404, checked in the answer's one query (domain/exams.keep_answer)."""
    form = AnswerForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate_on_submit():
        return ({"ok": False, "message": "请求已过期，请刷新页面。"}, 400) if wants_json else abort(400)
    try:
        exams.keep_answer(attempt_id, current_user.id, form.question_id.data, "".join(form.choice.data or []),
                          form.flagged.data)
    except DomainError as exc:
        if wants_json:
            return {"ok": False, "message": exc.message, "submitted": bool(exc.context.get("submitted"))}, exc.status
        if exc.context.get("missing"):
            abort(404)
        flash(exc.message)
        return redirect(url_for("exams.attempt", attempt_id=attempt_id))
    if wants_json:
        return {"ok": True, "saved_at": f"{clock.now():%H:%M:%S}"}
    return redirect(url_for("exams.attempt", attempt_id=attempt_id, q=form.go_to.data or 1), 303)


@bp.post("/m/attempts/<int:attempt_id>/capture")
@physician_required
@limits.per_account(limits.EXAM_CAPTURE)
def capture(attempt_id: int):
    """One of the paper's photos (JPEG), kept for the verifier worker; answers at once."""
    row = my_attempt(attempt_id)
    form = CaptureForm()
    if not form.validate_on_submit() or not isinstance(form.frame.data, FileStorage):
        return {"ok": False, "message": "照片上传失败。"}, 400
    try:
        exams.keep_capture(row, form.slot.data, form.frame.data.read(FRAME_READ_LIMIT))
    except DomainError as exc:
        return {"ok": False, "message": exc.message}, exc.status
    return {"ok": True}


@bp.post("/m/attempts/<int:attempt_id>/away")
@physician_required
@limits.per_account(limits.EXAM_AWAY)
def away(attempt_id: int):
    """切屏, sent by the page (a beacon) when it is hidden."""
    row = my_attempt(attempt_id)
    if not ConfirmForm().validate_on_submit():
        return {"ok": False}, 400
    left = exams.left_page(row)
    return {"ok": True, "count": left.count, "budget": left.budget, "submitted": left.submitted}


@bp.route("/m/attempts/<int:attempt_id>/submit", methods=["GET", "POST"])
@physician_required
def submit(attempt_id: int):
    """交卷: a confirmation that lists the unanswered questions, then the score."""
    row = my_attempt(attempt_id)
    if closed_if_over(row):
        return redirect(url_for("exams.review", attempt_id=row.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        exams.submit(row)
        return redirect(url_for("exams.review", attempt_id=row.id))
    unanswered, flagged = exams.to_check(row)
    return render_template("exams/submit.html", attempt=row, unanswered=unanswered, flagged=flagged, form=form)


@bp.get("/m/attempts/<int:attempt_id>/review")
@physician_required
def review(attempt_id: int):
    row = my_attempt(attempt_id)
    if not closed_if_over(row):
        return redirect(url_for("exams.attempt", attempt_id=row.id))
    try:
        rows, hidden = exams.review_of(row, clock.now()), None
    except DomainError as exc:
        rows, hidden = [], exc.message
    wrong = [r for r in rows if r[1] != r[2]]
    only_wrong = request.args.get("wrong") == "1"
    return render_template("exams/review.html", attempt=row, rows=wrong if only_wrong else rows, hidden=hidden,
                           total=len(rows), wrong_count=len(wrong), only_wrong=only_wrong)


@bp.get("/m/results")
@physician_required
def results_page():
    registration = my_registration()
    found = results.results_of(registration) if registration is not None else []
    # 补考 is for the confirmed 待补考名单 only, and only while its window has not closed (issue 22).
    makeup = exams.arrangements_for(registration, ExamRound.MAKEUP) \
        if registration is not None and registration.status == Status.MAKEUP else []
    now = clock.now()
    return render_template("exams/results.html", registration=registration, results=found,
                           makeup=[a for a in makeup if a.ends_at > now],
                           makeup_over=bool(makeup) and all(a.ends_at <= now for a in makeup),
                           final=any(result.round == ExamRound.MAKEUP for result in found))


def my_result(result_id: int) -> Result:
    result = db.session.get(Result, result_id)
    if result is None or result.registration.physician_id != current_user.id:
        abort(404)
    return result


def verify_url(result: Result) -> str:
    # The configured public address, never the request's Host header: the QR code outlives the request.
    return current_app.config["PUBLIC_BASE_URL"] + url_for("exams.verify", token=result.token)


@bp.get("/m/results/<int:result_id>/notice")
@physician_required
def notice(result_id: int):
    """考核结果通知书, printable on A4."""
    result = my_result(result_id)
    return render_template("exams/notice.html", document=result_notice.document(result, verify_url(result)))


@bp.get("/m/results/<int:result_id>/notice.pdf")
@physician_required
def notice_pdf(result_id: int):
    result = my_result(result_id)
    # A name the physician recognises when it is saved (RFC 6266's filename* for the Chinese, an ASCII
    # fallback for old browsers); inline, so WeChat's viewer opens it.
    name = quote(f"考核结果通知书-{result.registration.cycle.name}.pdf")
    return Response(result_notice.pdf(result_notice.document(result, verify_url(result))), mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=assessment-result.pdf; filename*=UTF-8''{name}",
        "Cache-Control": "private, no-store"})


@bp.get("/verify/<token>")
@limits.per_address(limits.NOTICE_VERIFY)
def verify(token: str):
    """Public: what a printed notice's QR code opens. Only masked identity, cycle and result."""
    found = results.verify(token)
    return render_template("exams/verify.html", found=found), 200 if found else 404

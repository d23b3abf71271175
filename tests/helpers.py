"""Test helpers: signed WeChat pushes, polling for background work."""
from __future__ import annotations

import re
import time

from wechat_app.wechat.protocol import Envelope, cdata, parse_xml, sha1_signature

OPENID = "oTEST0000000000000000000001"


def message_xml(**fields) -> str:
    fields.setdefault("ToUserName", "gh_test")
    fields.setdefault("FromUserName", OPENID)
    fields.setdefault("CreateTime", str(int(time.time())))
    return "<xml>" + "".join(f"<{k}>{cdata(str(v))}</{k}>" for k, v in fields.items()) + "</xml>"


def text_message(content: str, msg_id: str = "1001", **fields) -> str:
    return message_xml(MsgType="text", Content=content, MsgId=msg_id, **fields)


def event_message(event: str, key: str = "", **fields) -> str:
    return message_xml(MsgType="event", Event=event, EventKey=key, **fields)


class Pusher:
    """Posts XML to /wechat the way WeChat does: signed, and in AES modes encrypted."""

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client

    def query(self, timestamp="1700000000", nonce="12345") -> dict:
        token = self.app.config["WECHAT_TOKEN"]
        return {"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}

    def __call__(self, body, **query):
        data = body.encode() if isinstance(body, str) else body
        return self.client.post("/wechat", query_string={**self.query(), **query}, data=data,
                                content_type="text/xml")

    def encrypted(self, xml: str, compatible: bool = False, timestamp="1700000000", nonce="12345"):
        cfg = self.app.config
        envelope = Envelope(cfg["WECHAT_TOKEN"], cfg["WECHAT_ENCODING_AES_KEY"], cfg["WECHAT_APP_ID"])
        sealed = parse_xml(envelope.seal(xml, nonce, timestamp).encode())
        inner = xml[len("<xml>"):-len("</xml>")] if compatible else "<ToUserName><![CDATA[gh_test]]></ToUserName>"
        outer = f"<xml>{inner}<Encrypt>{cdata(sealed['Encrypt'])}</Encrypt></xml>"
        query = {**self.query(timestamp, nonce), "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        return self.client.post("/wechat", query_string=query, data=outer.encode(), content_type="text/xml"), envelope


ID_18 = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
ID_15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{2})(\d{2})(\d{2})(\d{3})(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a hex token
SMS_CODE = re.compile(r"验证码\D{0,6}\d{6}")


def personal_data_in(text: str) -> list[str]:
    """ID numbers (18 characters with a valid GB 11643 check character; 15 digits with a valid birth
    date), mobile numbers and SMS codes in `text`."""
    from wechat_app.domain.idnumbers import check_character

    found = [m for m in ID_18.findall(text) if check_character(m[:17]) == m[17].upper()]
    found += ["".join(m) for m in ID_15.findall(text) if 1 <= int(m[2]) <= 12 and 1 <= int(m[3]) <= 31]
    return found + MOBILE.findall(text) + SMS_CODE.findall(text)


def reply_of(response) -> dict:
    return parse_xml(response.data)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll until predicate() is truthy (background work after the callback's answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def captcha_answer(app, client) -> str:
    """Load a captcha as the browser would and read its answer from the server-side store."""
    assert client.get("/m/captcha.png").mimetype == "image/png"
    with client.session_transaction() as session:
        captcha_id = session["captcha_id"]
    with app.app_context():
        from wechat_app.extensions import kv

        return kv.get(f"captcha:{captcha_id}")


def sms_code(app, phone: str, purpose: str = "bind_phone") -> str:
    import json

    with app.app_context():
        from wechat_app.domain.verification import code_key
        from wechat_app.extensions import kv

        return json.loads(kv.get(code_key(phone, purpose)))["code"]


def image_bytes(fmt: str = "JPEG", size=(300, 400), color=(200, 220, 240), exif: bytes | None = None) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def enrolled(db, status: str = "open"):
    """The first demo physician (with a department) whose registration is in `status`, past the
    first-login setup."""
    from sqlalchemy import select

    from wechat_app.models import Physician, Registration

    for physician in db.session.scalars(select(Physician).order_by(Physician.id)):
        reg = db.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
        if reg is not None and reg.status == str(status) and physician.department_id:
            physician.must_change_password = False
            db.session.commit()
            return physician
    raise AssertionError(f"no demo physician in {status}")


def registration_in(db, physician, status: str, procedure: str | None = "一般程序", cycle_id: int | None = None):
    """A registration put straight into `status` (in the physician's province's current cycle, or
    `cycle_id`), for a test that needs what the state machine would take many steps to reach, or
    only a fault could leave behind; real ones (and the demo's) move through the table."""
    from sqlalchemy import select

    from wechat_app.models import Cycle, Registration

    if cycle_id is None:
        cycle_id = db.session.scalar(select(Cycle.id).where(
            Cycle.is_current.is_(True), Cycle.province_id == physician.institution.province_id))
    registration = Registration(physician_id=physician.id, cycle_id=cycle_id, status=status, procedure=procedure, draft={})
    db.session.add(registration)
    db.session.flush()
    return registration


def fan_out(db, count: int, prefix: str = "fan", url: str | None = None) -> None:
    """A results fan-out as results.publish leaves it: one 考核结果通知 per physician (openids o<PREFIX>…),
    inserted in bulk."""
    from sqlalchemy import insert

    from wechat_app import clock
    from wechat_app.domain.notifications import priority_of
    from wechat_app.models import Notification

    db.session.execute(insert(Notification), [
        dict(idempotency_key=f"{prefix}:{i}", channel="template", template_key="assessment_result",
             openid=f"o{prefix.upper()}{i:024d}", url=url,
             data={"thing1": "2023-2025年度", "phrase2": "合格", "thing3": "工作成绩、职业道德、业务水平合格"},
             status="pending", attempts=0, next_attempt_at=clock.now(), priority=priority_of("template", "assessment_result"))
        for i in range(count)])
    db.session.commit()


def ready_for_exam(db, procedure: str = "简易程序", work: str = "合格", ethics: str = "合格",
                   photo: bytes | None = None, status: str = "awaiting_test"):
    """A demo registration waiting for the test as the reviews leave it: its submission again as a new
    snapshot, with `photo` as the registration photo (none when not given), and the institution's
    approval of that snapshot with the two ratings."""
    import copy

    from sqlalchemy import case, select

    from wechat_app.domain.submission import latest_snapshot
    from wechat_app.domain.uploads import store_image
    from wechat_app.models import Attempt, Institution, Physician, Registration, RegistrationSnapshot, Review, Staff

    # Demo registrations nobody has used yet (the physician never signed in, no attempt), of an
    # institution with an assessment body: those waiting for the test first, then ones before it.
    registration = db.session.scalar(
        select(Registration).join(Physician, Registration.physician_id == Physician.id)
        .join(Institution, Physician.institution_id == Institution.id)
        .where(Registration.status.in_(["awaiting_test", "pending_assessor", "pending_institution"]),
               Institution.assessment_body_id.is_not(None), Physician.must_change_password.is_(True),
               ~Registration.physician_id.in_(select(Attempt.physician_id)))
        .order_by(case((Registration.status == "awaiting_test", 0), else_=1), Registration.id).limit(1))
    physician = registration.physician
    physician.must_change_password = False
    registration.procedure, registration.status = procedure, status
    submitted = latest_snapshot(registration)
    data = copy.deepcopy(submitted.data)
    data["steps"]["1"]["photo"] = [store_image(physician.id, "photo", "me.jpg", photo).id] if photo else []
    snapshot = RegistrationSnapshot(registration_id=registration.id, number=submitted.number + 1, procedure=procedure,
                                    data=data)
    db.session.add(snapshot)
    db.session.flush()
    reviewer = db.session.scalar(select(Staff).where(Staff.institution_id == physician.institution_id))
    db.session.add(Review(registration_id=registration.id, snapshot_id=snapshot.id, stage="institution",
                          decision="approve", work_rating=work, ethics_rating=ethics, reviewer_id=reviewer.id))
    registration.work_rating, registration.ethics_rating = work, ethics
    db.session.commit()
    return registration


def clear_face(db, registration, arrangement) -> None:
    from wechat_app.models import FaceCheck

    db.session.add(FaceCheck(arrangement_id=arrangement.id, physician_id=registration.physician_id, verdict="matched"))
    db.session.commit()


FACES = __import__("pathlib").Path(__file__).parent / "fixtures"


def portrait(name: str, scale: float = 1.0, quality: int = 85, image=None) -> bytes:
    """A fixture portrait (or `image`) as a JPEG, scaled."""
    import io

    from PIL import Image

    picture = (image or Image.open(FACES / name)).convert("RGB")
    picture = picture.resize((int(picture.width * scale), int(picture.height * scale)))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def turned_face(name: str, shift: float):
    """The portrait with its head turned a little (`shift` eye distances, + to the picture's right): the
    middle of the face slides sideways while the eyes' outer corners and the outline stay — the
    parallax of a real head's nose, which a photo tilted as a plane does not have. Test material for
    the liveness check's 转头 (wechat_app/face.py)."""
    import numpy
    from PIL import Image

    from wechat_app.face import DlibVerifier

    image = Image.open(FACES / name).convert("RGB")
    seen = DlibVerifier().find(portrait(name, quality=95))
    points = numpy.array([(p.x, p.y) for p in seen.shape.parts()], dtype=float)
    scale = image.width / seen.pixels.shape[1]
    (nose_x, nose_y), eye_distance = points[30] * scale, numpy.linalg.norm(points[45] - points[36]) * scale
    pixels = numpy.asarray(image)
    rows, cols = numpy.mgrid[0:image.height, 0:image.width]
    weight = numpy.exp(-(((cols - nose_x) / (0.6 * eye_distance)) ** 2 + ((rows - nose_y) / (0.9 * eye_distance)) ** 2))
    source = numpy.clip(cols - shift * eye_distance * weight, 0, image.width - 1).round().astype(int)
    return Image.fromarray(pixels[rows, source])


TURN = (-0.25, -0.12, 0.12, 0.25)  # a head turned left, then right


def live_frames(name: str, shifts=TURN) -> list[bytes]:
    """What a camera takes of this person turning their head."""
    return [portrait(name, image=turned_face(name, shift)) for shift in shifts]


class Statements:
    """Counts the SQL statements run on `engine` inside a `with` block (an executemany counts once)."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, *_args):
        self.count += 1

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def many_awaiting(db, count: int, first_serial: int, bound_every: int = 2, status: str = "awaiting_test",
                  password_hash: str = "-") -> list:
    """`count` physicians of the demo hospital (in a department, 临床 执业医师) with a registration in the
    current cycle: waiting for the test (简易程序), approved with both ratings 合格; or `status` "open",
    nothing submitted. Every `bound_every`-th is bound to WeChat. Made in bulk, in one commit."""
    from sqlalchemy import select

    from wechat_app.domain.idnumbers import check_character
    from wechat_app.models import (
        Cycle,
        Department,
        Institution,
        Physician,
        Registration,
        RegistrationSnapshot,
        Review,
        Staff,
        WeChatUser,
    )

    hospital = db.session.scalar(select(Institution).where(Institution.assessment_body_id.is_not(None))
                                 .order_by(Institution.id).limit(1))
    cycle = db.session.scalar(select(Cycle).where(Cycle.is_current.is_(True), Cycle.province_id == hospital.province_id))
    reviewer = db.session.scalar(select(Staff).where(Staff.institution_id == hospital.id))
    department = db.session.scalar(select(Department).where(Department.institution_id == hospital.id)
                                   .order_by(Department.id).limit(1))
    registrations = []
    for serial in range(first_serial, first_serial + count):
        birth = __import__("datetime").date(1965, 1, 1) + __import__("datetime").timedelta(days=serial % 9000)
        first17 = f"430103{birth:%Y%m%d}{serial % 1000:03d}"
        id18 = first17 + check_character(first17)
        physician = Physician(name=f"批量医师{serial}", gender="男", id_number=id18, birth_date=__import__("datetime").date(
            int(id18[6:10]), int(id18[10:12]), int(id18[12:14])), institution_id=hospital.id, department_id=department.id, level="执业医师",
            category="临床", practice_scope="内科专业", password_hash=password_hash, must_change_password=False,
            phone=f"1990001{serial:04d}")
        db.session.add(physician)
        db.session.flush()
        if serial % bound_every == 0:
            db.session.add(WeChatUser(openid=f"oBULK{serial:023d}", physician_id=physician.id, subscribed=True))
        if status == "open":
            registrations.append(Registration(physician_id=physician.id, cycle_id=cycle.id, status="open", draft={}))
            db.session.add(registrations[-1])
            continue
        registration = Registration(physician_id=physician.id, cycle_id=cycle.id, status=status,
                                    procedure="简易程序", category="临床", level="执业医师", draft={},
                                    work_rating="合格", ethics_rating="合格")
        db.session.add(registration)
        db.session.flush()
        snapshot = RegistrationSnapshot(registration_id=registration.id, number=1, procedure="简易程序", data={"steps": {}})
        db.session.add(snapshot)
        db.session.flush()
        db.session.add(Review(registration_id=registration.id, snapshot_id=snapshot.id, stage="institution",
                              decision="approve", work_rating="合格", ethics_rating="合格", reviewer_id=reviewer.id))
        registrations.append(registration)
    db.session.commit()
    return registrations


def checked(registration, arrangement, frames: list[bytes], challenge, verifier, max_tries: int = 3):
    """A face check as it goes in production: posted (`face_checks.submit`), then judged by a verifier
    worker that claimed it (`face_checks.judge`); the judged row."""
    from wechat_app.domain import face_checks

    row = face_checks.submit(registration, arrangement, frames, challenge)
    assert row.verdict == "pending" and face_checks.claim(10) == [row.id]
    return face_checks.judge(row.id, verifier, max_tries)

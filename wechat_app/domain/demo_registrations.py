"""Demo registrations that got where they are the way real ones do: the five steps saved (with a
drawn photo and drawn certificate pages), 提交信息 (a snapshot), then the institution's 审核 and the
assessment body's 复核 — the same use cases the portal and the console call, in the seed's one
transaction. The pictures are drawn here, of nobody.
"""
from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw
from sqlalchemy import select

from wechat_app.domain import reviews, submission
from wechat_app.domain.registration import Actor, Role, Status, enroll
from wechat_app.domain.submission import IncomingFile
from wechat_app.extensions import db
from wechat_app.models import Cycle, Physician, Staff

STATEMENT = ("本考核周期内本人在科室从事临床诊疗工作，严格遵守医疗卫生法律法规和诊疗规范，认真履行医师职责，"
             "积极参加继续医学教育和业务培训，未发生医疗事故和不良执业行为，按要求完成各项工作任务。（演示数据）")
# Each state a demo registration is left in, and the reviews that lead there from 待医疗卫生机构审核.
REVIEWS_TO_REACH = {Status.PENDING_INSTITUTION: (), Status.PENDING_ASSESSOR: ("institution",),
                    Status.AWAITING_TEST: ("institution", "assessor")}


@cache
def drawn_photo(shade: int) -> bytes:
    """A 1寸 portrait (150×210, small: the seed stores dozens) of a grey silhouette on ID-photo blue."""
    image = Image.new("RGB", (150, 210), (67, 142, 219))
    draw = ImageDraw.Draw(image)
    tone = (200 - shade * 12,) * 3
    draw.ellipse((47, 36, 103, 102), fill=tone)
    draw.rounded_rectangle((20, 110, 130, 230), radius=36, fill=tone)
    return _jpeg(image)


@cache
def drawn_certificate_page(page: int) -> bytes:
    """A page of a paper 医师执业证书 (400×280): a border, a heading band, the lines of its entries."""
    image = Image.new("RGB", (400, 280), (250, 246, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 391, 271), outline=(150, 40, 40), width=3)
    draw.rectangle((130, 25, 270, 45), fill=(180, 50, 50) if page == 1 else (120, 120, 120))
    for row in range(8):
        y = 70 + row * 22
        draw.line((45, y, 355, y), fill=(170, 160, 140), width=1)
        draw.rectangle((45, y - 13, 100, y - 4), fill=(90, 90, 90))
    if page == 1:
        draw.rectangle((300, 60, 360, 135), outline=(120, 120, 120), width=2)
    return _jpeg(image)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def steps(physician: Physician, procedure: str, serial: int) -> list[tuple[dict, dict[str, list[IncomingFile]]]]:
    """What the physician types and uploads on each of the five steps."""
    department = physician.department
    if department is None:
        raise AssertionError("seed_physicians enrols only physicians with a department past 已开通报名")
    simple = procedure == "简易程序"
    basic = {"gender": physician.gender, "ethnicity": "汉族" if serial % 4 else "土家族",
             "birth": f"{physician.birth_date:%Y-%m-%d}", "education": "大学本科", "email": f"demo{serial}@example.cn"}
    practice = {"department": str(department.id), "specialties": list(department.subject_codes[:1]),
                "title": "主治医师", "title_date": "2024-06-01" if simple else "2019-09-01", "post": "", "post_date": "",
                "level": physician.level, "resident": "否", "residency_passed_on": "", "category": physician.category,
                "scope": physician.practice_scope, "certificate_number": physician.certificate_number,
                "certificate_date": f"{physician.certificate_date:%Y-%m-%d}", "certificate_kind": "纸质执业证书"}
    conduct = {"good_record": "无", "bad_record": "无", "workload": "合格", "patients": str(1500 + serial * 37)}
    choice = {"procedure": procedure, "statement": STATEMENT if simple else ""}
    return [
        (basic, {"photo": [IncomingFile("photo.jpg", drawn_photo(serial % 6))]}),
        (practice, {"certificate_pages": [IncomingFile(f"page{n}.jpg", drawn_certificate_page(n)) for n in (1, 2)]}),
        ({"filings": [], "education": [], "practice": []}, {}),
        (conduct, {}),
        (choice, {"evidence": [IncomingFile("evidence.jpg", drawn_certificate_page(1))]} if simple else {}),
    ]


def registered(physician: Physician, cycle: Cycle, status: Status | None, procedure: str, serial: int) -> None:
    """Enrol `physician` in `cycle` and walk the registration to `status` (None: not enrolled)."""
    if status is None:
        return
    registration = enroll(physician.id, cycle, Actor(Role.INSTITUTION, reviewer_of(physician, "institution").id))
    if status == Status.OPEN:
        return
    me = Actor(Role.PHYSICIAN, physician.id)
    for number, (data, files) in enumerate(steps(physician, procedure, serial), start=1):
        submission.save_step(registration, number, data, files, me)
    submission.submit(registration, me)
    for stage in REVIEWS_TO_REACH[status]:
        reviewer = reviewer_of(physician, stage)
        decision = reviews.Decision(True, "合格", "合格") if stage == "institution" else reviews.Decision(True)
        reviews.decide(reviewer, registration, stage, decision, ip=None)


def reviewer_of(physician: Physician, stage: str) -> Staff:
    institution = physician.institution
    if institution is None:
        raise AssertionError("every demo physician has an institution")
    scope = (Staff.institution_id == institution.id) if stage == "institution" else (
        Staff.assessment_body_id == institution.assessment_body_id)
    staff = db.session.scalar(select(Staff).where(scope).order_by(Staff.id).limit(1))
    if staff is None:
        raise AssertionError(f"the demo has no {stage} reviewer for {institution.name}")
    return staff

"""考核结果通知书: the physician's printable notice of a result, as an HTML page (A4 print styles) and
as a PDF: the registration photo (the seed: 照片将用于考试过程监考及考核结果通知书打印), the 编号, the
issuing 考核机构 with its seal and the health authority, and a QR code of the public verification
address (/verify/<token>), which shows the same 编号 and institution.

The PDF is drawn with wechat_app/documents.py (reportlab and its built-in Chinese font).
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import qrcode
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader

from wechat_app.documents import FONT, HEIGHT, WIDTH, a4
from wechat_app.domain.face_checks import registration_photo
from wechat_app.domain.idnumbers import mask
from wechat_app.domain.results import issuer_of, notice_number
from wechat_app.domain.uploads import content_of
from wechat_app.models import Result

TITLE = "医师定期考核结果通知书"


@dataclass(frozen=True)
class Document:
    number: str
    name: str
    id_number: str
    institution: str
    cycle: str
    lines: list[tuple[str, str]]  # (label, value): the three dimensions, the result, the rule
    overall: str
    published_on: str
    verify_url: str
    qr_png: bytes
    issuer: str  # 考核机构
    authority: str  # the institution's 卫生健康行政部门
    photo: bytes | None
    photo_type: str
    seal_png: bytes | None

    @property
    def qr_data_uri(self) -> str:
        return data_uri("image/png", self.qr_png)

    @property
    def photo_data_uri(self) -> str | None:
        return data_uri(self.photo_type, self.photo) if self.photo else None

    @property
    def seal_data_uri(self) -> str | None:
        return data_uri("image/png", self.seal_png) if self.seal_png else None


def data_uri(content_type: str, data: bytes) -> str:
    # Inline, so the page (private, no-store) prints whole and no photo address exists to be shared.
    return f"data:{content_type};base64," + base64.b64encode(data).decode()


def document(result: Result, verify_url: str) -> Document:
    registration = result.registration
    physician = registration.physician
    buffer = io.BytesIO()
    qrcode.make(verify_url, box_size=4, border=2).save(buffer, format="PNG")
    lines = [("工作成绩", result.work or "—"), ("职业道德", result.ethics or "—"), ("业务水平", result.skill or "—"),
             ("考核结果", result.overall), ("评定依据", result.rule)]
    if result.score is not None:
        lines.insert(3, ("测评成绩", f"{result.score}分"))
    institution = physician.institution
    issuer = issuer_of(result)
    photo = registration_photo(registration)
    return Document(notice_number(result), physician.name, mask(physician.id_number_18 or physician.id_number),
                    institution.name if institution else "—", registration.cycle.name, lines,
                    result.overall, f"{result.published_at:%Y年%m月%d日}", verify_url, buffer.getvalue(),
                    issuer.name if issuer else "—", institution.health_authority.name if institution else "—",
                    content_of(photo) if photo else None, photo.content_type if photo else "",
                    issuer.seal_png if issuer else None)


def pdf(doc: Document) -> bytes:
    page, buffer = a4(TITLE)
    width, height = WIDTH, HEIGHT
    page.setFont(FONT, 20)
    page.drawCentredString(width / 2, height - 35 * mm, TITLE)
    page.setFont(FONT, 11)
    page.drawRightString(width - 20 * mm, height - 45 * mm, f"编号：{doc.number}")
    if doc.photo:  # 1寸 (25×35 mm), beside the first lines
        page.drawImage(ImageReader(io.BytesIO(doc.photo)), width - 50 * mm, height - 92 * mm, 25 * mm, 35 * mm,
                       preserveAspectRatio=True)
    y = height - 60 * mm
    for label, value in [("姓名", doc.name), ("证件号码", doc.id_number), ("主要执业机构", doc.institution),
                         ("考核周期", doc.cycle), *doc.lines]:
        page.setFont(FONT, 13)
        page.drawString(25 * mm, y, f"{label}：")
        # 13 pt characters: 26 fit between the value's column and the right margin
        for start in range(0, min(len(value), 78), 26):
            page.drawString(60 * mm, y, value[start:start + 26])
            y -= 7 * mm
        y -= 3 * mm
    y -= 18 * mm
    page.drawString(25 * mm, y, f"考核机构：{doc.issuer}")
    if doc.seal_png:  # over the body's name, as a stamped seal sits
        page.drawImage(ImageReader(io.BytesIO(doc.seal_png)), 45 * mm, y - 15 * mm, 34 * mm, 34 * mm, mask="auto")
    page.drawString(25 * mm, y - 10 * mm, f"卫生健康行政部门：{doc.authority}")
    page.drawString(25 * mm, y - 20 * mm, f"发布日期：{doc.published_on}")
    page.drawImage(ImageReader(io.BytesIO(doc.qr_png)), width - 60 * mm, 30 * mm, 35 * mm, 35 * mm)
    page.setFont(FONT, 9)
    page.drawRightString(width - 20 * mm, 25 * mm, "扫码核验本通知书真伪：核验页的编号与机构应与本通知书一致")
    page.showPage()
    page.save()
    return buffer.getvalue()

"""考核结果通知书: the physician's printable notice of a result, as an HTML page (A4 print styles) and
as a PDF, each with a QR code of the public verification address (/verify/<token>).

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
from wechat_app.domain.idnumbers import mask
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

    @property
    def qr_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.qr_png).decode()


def document(result: Result, verify_url: str) -> Document:
    registration = result.registration
    physician = registration.physician
    buffer = io.BytesIO()
    qrcode.make(verify_url, box_size=4, border=2).save(buffer, format="PNG")
    lines = [("工作成绩", result.work or "—"), ("职业道德", result.ethics or "—"), ("业务水平", result.skill or "—"),
             ("考核结果", result.overall), ("评定依据", result.rule)]
    if result.score is not None:
        lines.insert(3, ("测评成绩", f"{result.score}分"))
    return Document(f"DK{result.published_at:%Y}{result.id:08d}", physician.name,
                    mask(physician.id_number_18 or physician.id_number),
                    physician.institution.name if physician.institution else "—", registration.cycle.name, lines,
                    result.overall, f"{result.published_at:%Y年%m月%d日}", verify_url, buffer.getvalue())


def pdf(doc: Document) -> bytes:
    page, buffer = a4(TITLE)
    width, height = WIDTH, HEIGHT
    page.setFont(FONT, 20)
    page.drawCentredString(width / 2, height - 35 * mm, TITLE)
    page.setFont(FONT, 11)
    page.drawRightString(width - 20 * mm, height - 45 * mm, f"编号：{doc.number}")
    y = height - 60 * mm
    for label, value in [("姓名", doc.name), ("证件号码", doc.id_number), ("主要执业机构", doc.institution),
                         ("考核周期", doc.cycle), *doc.lines]:
        page.setFont(FONT, 13)
        page.drawString(25 * mm, y, f"{label}：")
        page.drawString(60 * mm, y, value[:40])
        if len(value) > 40:
            y -= 7 * mm
            page.drawString(60 * mm, y, value[40:80])
        y -= 10 * mm
    page.drawString(25 * mm, y - 5 * mm, f"发布日期：{doc.published_on}")
    page.drawImage(ImageReader(io.BytesIO(doc.qr_png)), width - 60 * mm, 30 * mm, 35 * mm, 35 * mm)
    page.setFont(FONT, 9)
    page.drawString(width - 75 * mm, 25 * mm, "扫码核验本通知书真伪")
    page.showPage()
    page.save()
    return buffer.getvalue()


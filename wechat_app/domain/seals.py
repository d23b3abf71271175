"""The assessment body's official seal (公章), printed over its name on the 考核结果通知书.

The body uploads a picture of its seal once (a PNG with a transparent background prints best); it is
cleaned like any upload (re-encoded, EXIF dropped, size checked) and kept as a PNG. The demo draws one.
"""
from __future__ import annotations

import io
import math
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from wechat_app.domain import audit
from wechat_app.domain.errors import DomainError
from wechat_app.domain.registration import Role
from wechat_app.domain.transaction import use_case
from wechat_app.domain.uploads import Kind, reencode
from wechat_app.extensions import db
from wechat_app.models import AssessmentBody, Staff

SEAL = Kind("公章图片", 1024 * 1024, 100, 2000)
SEAL_RED = (200, 30, 30, 235)


def own_body(staff: Staff) -> AssessmentBody:
    body = db.session.get(AssessmentBody, staff.assessment_body_id) \
        if staff.role == Role.ASSESSOR and staff.assessment_body_id else None
    if body is None:
        raise DomainError("只有考核机构可以设置公章。", status=403)
    return body


@use_case()
def set_seal(staff: Staff, data: bytes, ip: str | None) -> None:
    """Keep `data` (a jpg or png of the seal) as the body's seal, as a PNG with its transparency."""
    body = own_body(staff)
    if len(data) > SEAL.max_bytes:
        raise DomainError("公章图片不能超过1M，请压缩后再上传。")
    cleaned, *_ = reencode(data, SEAL)
    with Image.open(io.BytesIO(cleaned)) as image:
        out = io.BytesIO()
        image.convert("RGBA").save(out, format="PNG", optimize=True)
    body.seal_png = out.getvalue()
    audit.record("staff", staff.id, "seal_update", "assessment_body", body.id, ip)


@use_case()
def remove_seal(staff: Staff, ip: str | None) -> None:
    body = own_body(staff)
    body.seal_png = None
    audit.record("staff", staff.id, "seal_remove", "assessment_body", body.id, ip)


# Fonts that draw Chinese, where the machine has one; without, the demo seal has its rings and star only.
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


@cache
def drawn_seal(name: str) -> bytes:
    """A round red seal (rings, a star, the name along the top arc) on a transparent 400×400 PNG."""
    side, centre = 400, 200
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, side - 12, side - 12), outline=SEAL_RED, width=12)
    radii = [64 if i % 2 == 0 else 26 for i in range(10)]  # a five-pointed star: outer and inner points
    draw.polygon([(centre + r * math.sin(math.radians(i * 36)), centre - r * math.cos(math.radians(i * 36)))
                  for i, r in enumerate(radii)], fill=SEAL_RED)
    font_path = next((path for path in CJK_FONTS if Path(path).exists()), None)
    if font_path:
        font = ImageFont.truetype(font_path, 40)
        sweep = min(240, 22 * len(name))
        for index, char in enumerate(name):
            angle = -sweep / 2 + sweep * (index + 0.5) / len(name)
            glyph = Image.new("RGBA", (48, 48), (0, 0, 0, 0))
            ImageDraw.Draw(glyph).text((24, 24), char, font=font, fill=SEAL_RED, anchor="mm")
            glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
            x = centre + 140 * math.sin(math.radians(angle)) - 24
            y = centre - 140 * math.cos(math.radians(angle)) - 24
            image.alpha_composite(glyph, (round(x), round(y)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

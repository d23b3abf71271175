"""公章设置: the assessment body's seal, printed on its 考核结果通知书; only the body itself sets it."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from tests.helpers import csrf_token, image_bytes
from wechat_app.models import AssessmentBody, AuditLog, Physician

BODY = "长沙市医学会医师定期考核办公室"


def seal_png(size=(300, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).save(out, format="PNG")
    return out.getvalue()


def body(demo) -> AssessmentBody:
    demo.session.expire_all()
    return demo.session.scalar(select(AssessmentBody).where(AssessmentBody.name == BODY))


def upload(client, data: bytes, name: str = "seal.png"):
    token = csrf_token(client.get("/console/seal").get_data(as_text=True))
    return client.post("/console/seal", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_the_body_sets_and_removes_its_seal(client, staff, demo):
    staff("kaohe")
    page = upload(client, seal_png()).get_data(as_text=True)
    assert "公章已保存" in page and 'id="seal-current"' in page
    kept = body(demo).seal_png
    with Image.open(io.BytesIO(kept)) as image:  # re-encoded, transparency kept
        assert image.format == "PNG" and image.mode == "RGBA" and image.size == (300, 300)
    assert client.get("/console/seal.png").data == kept
    assert demo.session.scalar(select(AuditLog).where(AuditLog.action == "seal_update")) is not None
    token = csrf_token(client.get("/console/seal").get_data(as_text=True))
    page = client.post("/console/seal/remove", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "公章已删除" in page and 'id="seal-none"' in page and body(demo).seal_png is None
    assert client.get("/console/seal.png").status_code == 404


@pytest.mark.parametrize("data, name, message", [
    (b"%PDF-1.4 not an image", "seal.png", "不是有效的jpg或png图片"),
    (image_bytes(size=(40, 40)), "seal.jpg", "尺寸不合适"),
    (seal_png((1200, 1200)) + b"\0" * (1024 * 1024), "seal.png", "不能超过1M"),
])
def test_a_bad_seal_is_refused_and_the_old_one_kept(client, staff, demo, data, name, message):
    staff("kaohe")
    before = body(demo).seal_png
    page = upload(client, data, name).get_data(as_text=True)
    assert message in page
    assert body(demo).seal_png == before


@pytest.mark.parametrize("username", ["rmyy", "rhzs", "txwjj", "hnwjw"])
def test_no_other_role_reads_or_changes_the_seal(client, staff, demo, username):
    before = body(demo).seal_png
    staff(username)
    token = csrf_token(client.get("/console/").get_data(as_text=True))
    assert client.get("/console/seal").status_code == 403
    assert client.get("/console/seal.png").status_code == 403
    response = client.post("/console/seal", data={"csrf_token": token, "file": (io.BytesIO(seal_png()), "s.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.post("/console/seal/remove", data={"csrf_token": token}).status_code == 403
    assert body(demo).seal_png == before


def test_a_physician_is_sent_to_the_console_login(client, demo, login_as):
    login_as(demo.session.scalar(select(Physician)))
    assert "/console/login" in client.get("/console/seal").headers["Location"]

"""Uploads are checked by content: each bad file refused with a clear message and nothing stored."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import select

from tests.helpers import checked, image_bytes
from wechat_app.domain.errors import DomainError
from wechat_app.domain.uploads import content_of, prune_faces, reseal_all, store_image
from wechat_app.models import Upload


@pytest.fixture
def owner(demo):
    from wechat_app.models import Physician

    return demo.session.query(Physician).first().id


@pytest.fixture
def stored(app, owner):
    """The stored files other than the demo's own (its registrations' pictures, its courses' media)."""
    def names() -> set[str]:
        return set(os.listdir(app.config["UPLOAD_DIR"])) if os.path.isdir(app.config["UPLOAD_DIR"]) else set()
    demo_files = names()

    def files() -> list[str]:
        return sorted(names() - demo_files)
    return files


@pytest.fixture
def demo_uploads(db, owner) -> int:
    return db.session.query(Upload).count()


def bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, format="PNG")  # 144 M pixels in a few kB
    return buffer.getvalue()


@pytest.mark.parametrize("name,data,message", [
    ("photo.jpg", b"\xff\xd8" + b"x" * (2 * 1024 * 1024), "不能超过2MB"),
    ("photo.jpg", b"MZ\x90\x00 this is an exe renamed", "不是有效的jpg或png图片"),
    ("photo.jpg", b"GIF89a" + image_bytes("GIF")[6:], "不是"),
    ("photo.png", bomb(), "尺寸过大"),
    ("photo.png", image_bytes("PNG") + b"<script>alert(1)</script>", "夹带了其他内容"),
    ("photo.jpg", image_bytes("JPEG") + b"<?php system($_GET['c']); ?>", "夹带了其他内容"),
    ("../../etc/photo.jpg", image_bytes("JPEG"), "文件名不合法"),
    ("..\\photo.jpg", image_bytes("JPEG"), "文件名不合法"),
    ("photo.gif", image_bytes("JPEG"), "后缀为.jpg .png .jpeg"),
    ("tiny.jpg", image_bytes("JPEG", size=(20, 20)), "尺寸不合适"),
    ("empty.jpg", b"", "文件是空的"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(db, stored, owner, demo_uploads, name, data, message):
    with pytest.raises(DomainError, match=message):
        store_image(owner, "photo", name, data)
    assert stored() == [] and db.session.query(Upload).count() == demo_uploads


def test_a_good_photo_is_reencoded_without_exif(db, app, stored, owner):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N"}  # GPS info
    upload = store_image(owner, "photo", "me.JPEG", image_bytes("JPEG", exif=exif.tobytes()))
    db.session.commit()
    assert upload.content_type == "image/jpeg" and (upload.width, upload.height) == (300, 400)
    [name] = stored()
    assert name == upload.stored_name and name.endswith(".jpg") and "me" not in name
    with open(os.path.join(app.config["UPLOAD_DIR"], name), "rb") as f:
        at_rest = f.read()
    data = content_of(upload)
    # Sealed: no run of the picture is on disk. (A two-byte JPEG marker would turn up in random ciphertext one run in
    # a thousand, so the check is on 32-byte pieces of the real picture.)
    assert at_rest.startswith(b"pii1:") and data.startswith(b"\xff\xd8")
    assert not any(data[i:i + 32] in at_rest for i in range(0, len(data) - 32, 32))
    assert b"CameraMaker" not in data and not Image.open(io.BytesIO(data)).getexif()


def test_png_stays_png(db, owner):
    assert store_image(owner, "certificate", "page.png", image_bytes("PNG", size=(800, 600))).content_type == "image/png"


def test_certificate_limit_is_three_megabytes(db, owner):
    with pytest.raises(DomainError, match="不能超过3MB"):
        store_image(owner, "certificate", "page.jpg", b"\xff\xd8" + b"0" * (3 * 1024 * 1024))


def test_a_transaction_that_does_not_commit_leaves_no_file(app, db, owner, stored):
    store_image(owner, "photo", "a.jpg", image_bytes())
    assert len(stored()) == 1
    db.session.rollback()
    assert stored() == []
    upload = store_image(owner, "photo", "b.jpg", image_bytes())
    db.session.commit()
    assert stored() == [upload.stored_name]
    store_image(owner, "photo", "c.jpg", image_bytes())
    db.session.close()  # a request that ends without committing
    assert stored() == [upload.stored_name]


def test_prune_removes_orphan_files_and_unreferenced_rows_only(app, db, owner, stored):
    from datetime import timedelta

    from wechat_app import clock
    from wechat_app.models import Registration
    from wechat_app.storage import storage

    kept = store_image(owner, "photo", "kept.jpg", image_bytes())
    dropped = store_image(owner, "photo", "dropped.jpg", image_bytes())
    registration = db.session.query(Registration).filter_by(physician_id=owner).first() \
        or db.session.query(Registration).first()
    registration.draft = {"1": {"photo": [kept.id]}}
    db.session.commit()
    orphan = storage().save(b"left by a killed process", ".jpg")
    kept_name, dropped_name = kept.stored_name, dropped.stored_name
    assert app.test_cli_runner().invoke(args=["uploads", "prune"]).output.startswith("removed 0 upload rows and 0")

    clock.freeze(clock.now() + timedelta(days=2))
    result = app.test_cli_runner().invoke(args=["uploads", "prune"])
    assert result.exit_code == 0 and "removed 1 upload rows and 2 files" in result.output, result.output
    assert stored() == [kept_name] and orphan not in stored() and dropped_name not in stored()
    from wechat_app.models import CourseMedia

    lessons = db.session.scalars(select(CourseMedia.stored_name)).all()
    assert lessons and set(lessons) <= set(os.listdir(app.config["UPLOAD_DIR"]))  # courses' files are kept
    assert db.session.get(Upload, kept.id) is not None


def test_a_picture_stored_before_sealing_is_read_and_sealed_by_rotation(app, db, owner):
    from wechat_app.storage import storage

    upload = store_image(owner, "photo", "old.jpg", image_bytes())
    db.session.commit()
    plain = content_of(upload)
    storage().replace(upload.stored_name, plain)  # as a file written before sealing began
    assert content_of(upload) == plain
    assert reseal_all() >= 1
    assert storage().read(upload.stored_name).startswith(b"pii1:") and content_of(upload) == plain
    assert reseal_all() == 0  # all under the current key already


def test_a_sealed_picture_does_not_open_as_another_purpose(app, db, owner):
    from cryptography.exceptions import InvalidTag

    from wechat_app import pii
    from wechat_app.storage import storage

    upload = store_image(owner, "photo", "a.jpg", image_bytes())
    with pytest.raises(InvalidTag):
        pii.unseal_bytes(storage().read(upload.stored_name), "physicians.id_number")


def test_face_frames_are_deleted_after_the_retention_period(app, demo):
    from datetime import timedelta

    from tests.helpers import clear_face, portrait, ready_for_exam
    from wechat_app import clock
    from wechat_app.domain import exams, face_checks
    from wechat_app.face import StaffVerifier
    from wechat_app.storage import storage

    registration = ready_for_exam(demo, "简易程序", photo=portrait("astronaut.png"))
    (arrangement,) = exams.arrangements_for(registration)
    check = checked(registration, arrangement, [portrait("astronaut.png")], "turn", StaffVerifier())
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    clock.freeze(attempt.started_at + timedelta(seconds=exams.capture_moments(attempt)[0]))
    capture = exams.keep_capture(attempt, 0, portrait("astronaut.png"))
    frames = [demo.session.get(Upload, check.frame_upload_id), demo.session.get(Upload, capture.frame_upload_id)]
    photo = face_checks.registration_photo(registration)
    keep = timedelta(days=90)
    assert prune_faces(keep, now=arrangement.ends_at + keep - timedelta(hours=1)) == 0
    assert prune_faces(keep, now=arrangement.ends_at + keep + timedelta(hours=1)) == 2
    for frame in frames:
        demo.session.refresh(frame)
        assert frame.purged_at is not None and frame.stored_name not in {n for n, _ in storage().names()}
        with pytest.raises(DomainError):
            content_of(frame)
    assert content_of(photo)  # the registration photo stays with the registration

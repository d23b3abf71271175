"""Uploaded images: checked by their content (never their name), re-encoded, stored.

A file is written when its row is added, so that the row can name it; if that transaction does not
commit (an error, a lost race, a validation failure after the upload), the files it wrote are
removed when it ends. A process killed in between leaves a file no row names: `flask uploads prune`
removes those, and rows that no draft, snapshot or exemption refers to any more.

Every stored picture is sealed with PII_KEY (wechat_app/pii.py): a copy of the upload directory or
of a backup shows no face and no certificate without the key. Exam-time face frames are deleted
FACE_RETENTION_DAYS after their arrangement's window closed (`flask exams prune-faces`).

Only JPEG and PNG are accepted, as the seed asks (.jpg .png .jpeg). The image is decoded with
Pillow under a pixel cap (a decompression bomb is refused, not expanded), and re-encoded from its
pixels: EXIF (GPS position, camera serial) and anything appended after the image data (a script
tacked onto a PNG) do not survive.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import timedelta

from flask import has_app_context
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from wechat_app import clock, pii
from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    CourseMedia,
    ExamCapture,
    Exemption,
    FaceCheck,
    Registration,
    RegistrationSnapshot,
    Upload,
)
from wechat_app.storage import storage

# Which uploaded-file field of which wizard step holds which kind of image, and how many it keeps.
FILE_FIELDS = {("1", "photo"): ("photo", 1), ("2", "certificate_pages"): ("certificate", 2),
               ("5", "evidence"): ("evidence", 5)}
MAX_PIXELS = 40_000_000
ALLOWED_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class Kind:
    label: str
    max_bytes: int
    min_side: int
    max_side: int


KINDS = {
    "photo": Kind("照片", 2 * 1024 * 1024, 100, 6000),
    "certificate": Kind("执业证书图片", 3 * 1024 * 1024, 200, 10000),
    "evidence": Kind("证明材料", 3 * 1024 * 1024, 200, 10000),
    "exemption": Kind("免考证明材料", 3 * 1024 * 1024, 200, 10000),
    "face": Kind("人脸照片", 2 * 1024 * 1024, 120, 4000),
}


def check_name(filename: str) -> None:
    name = filename or ""
    if any(c in name for c in "/\\\x00") or ".." in name or any(ord(c) < 32 for c in name):
        raise DomainError("文件名不合法，请重命名后再上传。")
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise DomainError("请上传后缀为.jpg .png .jpeg的图片。")


def has_appended_content(data: bytes, image_format: str) -> bool:
    """Bytes after the end of the image: a PNG must end with its IEND chunk; a JPEG may carry
    vendor data after its end marker (some phones add a second picture), but never markup."""
    if image_format == "PNG":
        end = data.rfind(b"IEND")
        return end == -1 or end + 8 != len(data)
    tail = data[data.rfind(b"\xff\xd9") + 2:] if b"\xff\xd9" in data else b""
    return b"<" in tail


def reencode(data: bytes, kind: Kind) -> tuple[bytes, str, str, int, int]:
    """(bytes, suffix, content type, width, height) of the cleaned image."""
    magic = "PNG" if data.startswith(b"\x89PNG\r\n\x1a\n") else "JPEG" if data.startswith(b"\xff\xd8\xff") else None
    if magic is None:
        raise DomainError("文件内容不是有效的jpg或png图片，请上传照片原图。")
    if has_appended_content(data, magic):
        raise DomainError("图片文件中夹带了其他内容，请上传相机或手机拍摄的原图。")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_PIXELS
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format not in ("JPEG", "PNG"):
                raise DomainError("文件内容不是jpg或png图片，请上传照片原图。")
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DomainError("图片尺寸过大，请压缩后再上传。") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise DomainError("文件内容不是有效的jpg或png图片，请上传照片原图。") from None
        finally:
            Image.MAX_IMAGE_PIXELS = previous
    image_format = image.format
    upright = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, drop the EXIF
    width, height = upright.size
    if min(width, height) < kind.min_side or max(width, height) > kind.max_side:
        raise DomainError(f"{kind.label}尺寸不合适（{width}×{height}像素），请上传清晰的原图。")
    out = io.BytesIO()
    if image_format == "PNG" or upright.mode in ("RGBA", "LA", "P"):
        upright.save(out, format="PNG", optimize=True)
        return out.getvalue(), ".png", "image/png", width, height
    upright.convert("RGB").save(out, format="JPEG", quality=88)
    return out.getvalue(), ".jpg", "image/jpeg", width, height


def store_image(physician_id: int, kind_name: str, filename: str, data: bytes) -> Upload:
    """Check, clean and store one image; the Upload row is added to the caller's transaction."""
    kind = KINDS[kind_name]
    check_name(filename)
    if len(data) > kind.max_bytes:
        raise DomainError(f"{kind.label}不能超过{kind.max_bytes // (1024 * 1024)}MB。")
    if not data:
        raise DomainError("文件是空的，请重新选择。")
    cleaned, suffix, content_type, width, height = reencode(data, kind)
    name = storage().save(pii.seal_bytes(cleaned, SEALED_FOR), suffix)
    db.session.info.setdefault(WRITTEN, []).append(name)
    upload = Upload(physician_id=physician_id, kind=kind_name, stored_name=name, content_type=content_type,
                    size=len(cleaned), width=width, height=height)
    db.session.add(upload)
    db.session.flush()
    return upload


SEALED_FOR = "uploads"  # the associated data of a sealed upload: a sealed value elsewhere does not open here


def keep_frames(physician_id: int, frames: list[bytes]) -> list[Upload]:
    """A face check's camera frames, sealed as they came (a verifier judges the camera's own pixels,
    not a re-encoding; the view has capped their size), in the caller's transaction."""
    kept = []
    for frame in frames:
        try:
            width, height = Image.open(io.BytesIO(frame)).size  # the header only
        except (OSError, ValueError, Image.DecompressionBombError):
            width = height = 0  # not a picture: the verifier finds no face in it
        name = storage().save(pii.seal_bytes(frame, SEALED_FOR), ".jpg")
        db.session.info.setdefault(WRITTEN, []).append(name)
        kept.append(Upload(physician_id=physician_id, kind="face", stored_name=name, content_type="image/jpeg",
                           size=len(frame), width=width, height=height))
    db.session.add_all(kept)
    db.session.flush()
    return kept


def forget_frames(uploads: list[Upload]) -> None:
    """Frames judged and not kept: marked deleted now, their files removed once the transaction commits."""
    for upload in uploads:
        upload.purged_at = clock.now()
    db.session.info.setdefault(FORGOTTEN, []).extend(upload.stored_name for upload in uploads)


def content_of(upload: Upload) -> bytes:
    """The picture as the physician uploaded it (re-encoded), unsealed. A face frame deleted after its
    retention period is a DomainError (404)."""
    if upload.purged_at is not None:
        raise DomainError("该照片已超过保存期限并已删除。", status=404)
    return pii.unseal_bytes(storage().read(upload.stored_name), SEALED_FOR)


def reseal_all() -> int:
    """Every stored upload sealed under the current PII key (`flask pii rotate`): files sealed under
    an older key, and files stored before sealing began. Returns how many were written."""
    current, written = pii.current_key_id(), 0
    for upload in db.session.scalars(select(Upload).where(Upload.purged_at.is_(None)).order_by(Upload.id)):
        blob = storage().read(upload.stored_name)
        if pii.sealed_key_id(blob) != current:
            storage().replace(upload.stored_name, pii.seal_bytes(pii.unseal_bytes(blob, SEALED_FOR), SEALED_FOR))
            written += 1
    return written


def prune_faces(retention: timedelta, now=None) -> int:
    """Delete the face frames of checks and papers whose arrangement's window closed more than
    `retention` ago (README › Security: kept FACE_RETENTION_DAYS for appeals and review, then gone).
    The rows stay, marked, so that the 监考记录 still shows what was judged. Returns frames deleted."""
    cutoff = (now or clock.now()) - retention
    ended = select(Arrangement.id).where(Arrangement.ends_at < cutoff)
    ids = set(db.session.scalars(select(FaceCheck.frame_upload_id).where(
        FaceCheck.arrangement_id.in_(ended), FaceCheck.frame_upload_id.is_not(None))))
    ids |= set(db.session.scalars(select(ExamCapture.frame_upload_id).join(
        Attempt, ExamCapture.attempt_id == Attempt.id).where(Attempt.arrangement_id.in_(ended))))
    rows = db.session.scalars(select(Upload).where(Upload.id.in_(ids), Upload.purged_at.is_(None))).all() if ids else []
    for upload in rows:
        upload.purged_at = clock.now()
    db.session.commit()  # marked first: a frame is never served once its file may be gone
    for upload in rows:
        storage().delete(upload.stored_name)
    return len(rows)


# --- files of transactions that did not commit --------------------------------------------------

WRITTEN = "uploads_written"  # Session.info key: files this transaction wrote


FORGOTTEN = "uploads_forgotten"  # Session.info key: files to delete once this transaction commits


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    session.info.pop(WRITTEN, None)
    for name in session.info.pop(FORGOTTEN, None) or ():
        if has_app_context():
            storage().delete(name)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(FORGOTTEN, None)  # not committed: the frames stay
    if transaction.parent is None and session.info.get(WRITTEN) and has_app_context():
        for name in session.info.pop(WRITTEN):  # the outermost transaction ended without a commit
            storage().delete(name)


# --- flask uploads prune ------------------------------------------------------------------------

PRUNE_GRACE = timedelta(hours=24)  # never touch what a transaction in progress may still commit


def referenced_upload_ids() -> set[int]:
    """Uploads a draft, a submitted snapshot, an exemption, a face check or a paper's photo refers to."""
    ids: set[int] = set()

    def collect(steps: dict | None) -> None:
        for step, field in FILE_FIELDS:
            ids.update(i for i in ((steps or {}).get(step) or {}).get(field) or [] if isinstance(i, int))

    for draft in db.session.scalars(select(Registration.draft)):
        collect(draft)
    for data in db.session.scalars(select(RegistrationSnapshot.data)):
        collect((data or {}).get("steps"))
    for evidence in db.session.scalars(select(Exemption.evidence)):
        ids.update(evidence or [])
    ids.update(i for i in db.session.scalars(select(FaceCheck.frame_upload_id)) if i is not None)
    ids.update(db.session.scalars(select(ExamCapture.frame_upload_id)))
    return ids


def prune(grace: timedelta = PRUNE_GRACE) -> tuple[int, int]:
    """Remove upload rows nothing refers to, and files no row names (an upload or a course's media), older
    than `grace`.
    Returns (rows removed, files removed)."""
    cutoff = clock.now() - grace
    keep = referenced_upload_ids()
    dead = [u for u in db.session.scalars(select(Upload).where(Upload.created_at < cutoff)) if u.id not in keep]
    for upload in dead:
        db.session.delete(upload)
    db.session.commit()  # the rows go first: a file is removed only once no row can name it
    # Files are named by physicians' uploads and by courses' lessons and textbooks (domain/course_admin.py).
    named = set(db.session.scalars(select(Upload.stored_name))) | set(db.session.scalars(select(CourseMedia.stored_name)))
    files = 0
    for name, modified in list(storage().names()):
        if name not in named and modified < cutoff:
            storage().delete(name)
            files += 1
    return len(dead), files

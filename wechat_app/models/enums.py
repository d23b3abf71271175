"""One enum per concept: who acts (roles), and the values a status column may hold. The database
refuses any other status (a CHECK constraint made from the enum, see `check_in`); which value
follows which is the domain's business (the registration's transition table is in
domain/registration.py). Code compares members; labels are for pages."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class Role(StrEnum):
    """Who acts: a physician, or staff of an institution, an assessment body, a health authority."""

    PHYSICIAN = "physician"
    INSTITUTION = "institution"
    ASSESSOR = "assessor"
    AUTHORITY = "authority"

    @property
    def label(self) -> str:
        return {"physician": "医师", "institution": "医疗卫生机构", "assessor": "考核机构",
                "authority": "卫生行政部门"}[self.value]


class Status(StrEnum):
    """A registration's state (DESIGN.md §4); labels for people are in domain/registration.py."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    DRAFT = "draft"
    PENDING_INSTITUTION = "pending_institution"
    PENDING_ASSESSOR = "pending_assessor"
    REJECTED = "rejected"
    AWAITING_TEST = "awaiting_test"
    EXEMPT = "exempt"
    PASSED = "passed"
    FAILED = "failed"
    MAKEUP = "makeup"


class ApplicationStatus(StrEnum):
    """免考申请 and 考核机构申请: decided once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeliveryStatus(StrEnum):
    """An outbox row on its way out."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"


class QuestionKind(StrEnum):
    """题型 of the national papers: A1/A2 single best answer, A3/A4 a shared case with several
    questions, B1 shared options for several questions, X multiple answers."""

    A1 = "A1"
    A2 = "A2"
    A3 = "A3"
    A4 = "A4"
    B1 = "B1"
    X = "X"


class ExamRound(StrEnum):
    """正式 (the cycle's test) or 补考 (for those on the 待补考名单)."""

    REGULAR = "regular"
    MAKEUP = "makeup"

    @property
    def label(self) -> str:
        return {"regular": "正式考试", "makeup": "补考"}[self.value]


class QuestionPool(StrEnum):
    """Which part of the bank a question is in: 练习 (training may show its answer) or 考试 (formal and
    补考 papers only; its answer is shown to a physician only after the arrangement's window closed)."""

    PRACTICE = "练习"
    EXAM = "考试"


class FaceVerdict(StrEnum):
    """A face check before a real attempt: waiting for a verifier worker, matched by the verifier,
    refused (another face, no face), sent to staff after too many refusals, and the staff's decision."""

    PENDING = "pending"
    MATCHED = "matched"
    REFUSED = "refused"
    REVIEW = "review"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "验证中", "matched": "通过", "refused": "未通过", "review": "待人工审核", "approved": "人工通过",
                "rejected": "人工驳回"}[self.value]


class CaptureVerdict(StrEnum):
    """A photo taken during a formal paper, as the verifier worker judged it (staff: not judged)."""

    PENDING = "pending"
    MATCHED = "matched"
    MISMATCH = "mismatch"
    NO_FACE = "no_face"
    UNCHECKED = "unchecked"

    @property
    def label(self) -> str:
        return {"pending": "待比对", "matched": "本人", "mismatch": "疑似非本人", "no_face": "未检测到人脸",
                "unchecked": "待人工查看"}[self.value]


class MediaKind(StrEnum):
    """What a course's file is: a video lesson or the e-textbook."""

    LESSON = "lesson"
    TEXTBOOK = "textbook"


class Rating(StrEnum):
    """工作成绩, 职业道德, 业务水平 and the overall result."""

    PASS = "合格"
    FAIL = "不合格"


def check_in(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_allowed")

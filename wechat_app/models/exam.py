"""Exams (DESIGN.md §4.1): the question bank, papers (rules that assemble one), arrangements (a
paper for a target and a window), attempts with one answer row per question, face checks, and the
published result of a registration with its verification token."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wechat_app import clock
from wechat_app.extensions import Model
from wechat_app.models.enums import CaptureVerdict, ExamRound, FaceVerdict, QuestionKind, QuestionPool, Rating, check_in
from wechat_app.models.physician import Physician
from wechat_app.models.registration import Registration

if TYPE_CHECKING:
    from wechat_app.models.training import MockPaper


class Question(Model):
    """One question of a province's bank. Once an attempt has used it, it is never edited in place:
    an edit retires it and adds a new version, so that old attempts keep scoring the same. Its pool
    keeps what is practised apart from what is tested (issue 20): a formal paper draws only 考试
    questions, a study page shows only 练习 ones."""

    __tablename__ = "questions"
    __table_args__ = (check_in("kind", QuestionKind), check_in("pool", QuestionPool),
                      Index("ix_questions_fingerprint", "province_id", "fingerprint"))
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    pool: Mapped[str] = mapped_column(String(4), default=QuestionPool.EXAM.value, server_default=QuestionPool.EXAM.value)
    group_key: Mapped[str | None] = mapped_column(String(40))  # A3/A4/B1: the questions sharing `shared`
    shared: Mapped[str | None] = mapped_column(Text)  # the shared case (A3/A4) or options text (B1)
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict]] = mapped_column(JSON)  # [{"key": "A", "text": "..."}, ...]
    answer: Mapped[str] = mapped_column(String(10))  # "C", or "ACD" for X
    explanation: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(10))  # 执业类别 (None: every category)
    specialty: Mapped[str | None] = mapped_column(String(40))
    topic: Mapped[str | None] = mapped_column(String(40))  # 知识点, e.g. 医学人文 / 专业知识
    difficulty: Mapped[int] = mapped_column(Integer, default=3)  # 1 (easy) .. 5
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    # The stem and the options' texts (in any order, spaces ignored), hashed: two questions with the
    # same are one question twice (domain/question_bank.py refuses, skips or replaces it on import).
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


def fingerprint(stem: str, options: list[dict]) -> str:
    def plain(text: str) -> str:
        return re.sub(r"\s+", "", text or "")
    content = [plain(stem), sorted(plain(option.get("text", "")) for option in options or [])]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


@event.listens_for(Question, "before_insert")
@event.listens_for(Question, "before_update")
def _fingerprint(_mapper, _connection, question: Question) -> None:
    question.fingerprint = fingerprint(question.stem, question.options)


class Paper(Model):
    """试卷: the rules that assemble a paper from the bank — per rule a question kind, a count,
    points each, and optional tags (topic, category) — with the pass mark and the duration."""

    __tablename__ = "papers"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))  # e.g. 公共知识医学人文测评卷
    rules: Mapped[list[dict]] = mapped_column(JSON)  # [{"kind": "A1", "count": 20, "points": 1, "topic": ...}]
    pass_mark: Mapped[int]
    duration_minutes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def total(self) -> int:
        return sum(rule["count"] * rule.get("points", 1) for rule in self.rules)


class Arrangement(Model):
    """考试安排: a paper for a target (procedure × 执业类别 × 级别, and the institutions of one
    assessment body or the whole province) in a window, with the attempts allowed."""

    __tablename__ = "exam_arrangements"
    __table_args__ = (check_in("round", ExamRound),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    assessment_body_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_bodies.id"))
    name: Mapped[str] = mapped_column(String(60))  # the card's heading, e.g. 医学人文测评卷
    round: Mapped[str] = mapped_column(String(10), default=ExamRound.REGULAR.value)
    procedure: Mapped[str] = mapped_column(String(10))  # 简易程序 / 一般程序
    category: Mapped[str | None] = mapped_column(String(10))  # None: every 执业类别
    level: Mapped[str | None] = mapped_column(String(20))  # None: 执业医师 and 执业助理医师
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    # 切屏: how many times a physician may leave the paper's page before it is handed in (None: counted only).
    away_budget: Mapped[int | None]
    published_at: Mapped[datetime | None]
    results_published_at: Mapped[datetime | None]
    # 考试提醒 sent (domain/exam_admin.py remind): the eve's to everyone targeted, the last day's to
    # those not finished; each once, so the job does not select the arrangement's physicians again.
    eve_reminded_at: Mapped[datetime | None]
    last_day_reminded_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    paper: Mapped[Paper] = relationship()


class Attempt(Model):
    """One sitting of an arrangement's paper (or of a mock paper, later): the questions drawn and
    their order, the deadline computed on the server, and the score once submitted."""

    __tablename__ = "exam_attempts"
    # A mock paper's attempts have no arrangement, where the first key never applies (NULLs differ):
    # the partial index makes two taps on 模拟自测 at once start one attempt (issue 20).
    __table_args__ = (UniqueConstraint("arrangement_id", "physician_id", "number"),
                      Index("uq_exam_attempts_mock_number", "mock_paper_id", "physician_id", "number", unique=True,
                            postgresql_where=text("mock_paper_id IS NOT NULL"),
                            sqlite_where=text("mock_paper_id IS NOT NULL")))
    id: Mapped[int] = mapped_column(primary_key=True)
    # A real exam's attempt belongs to an arrangement; a mock paper's (定考培训) to a course's mock paper.
    arrangement_id: Mapped[int | None] = mapped_column(ForeignKey("exam_arrangements.id"), index=True)
    mock_paper_id: Mapped[int | None] = mapped_column(ForeignKey("mock_papers.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    number: Mapped[int]  # 1 for the first attempt
    seed: Mapped[int]
    question_ids: Mapped[list[int]] = mapped_column(JSON)  # in the order shown
    option_orders: Mapped[dict[str, str]] = mapped_column(JSON)  # question id → option keys as shown
    points: Mapped[dict[str, int]] = mapped_column(JSON)  # question id → points
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    deadline: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(20))  # physician / deadline
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    away_count: Mapped[int] = mapped_column(default=0, server_default="0")  # 切屏: times the page was left
    version_id: Mapped[int] = mapped_column(default=1)
    arrangement: Mapped[Arrangement | None] = relationship()
    mock_paper: Mapped[MockPaper | None] = relationship()
    paper: Mapped[Paper] = relationship()
    physician: Mapped[Physician] = relationship()
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def title(self) -> str:
        if self.arrangement is not None:
            return self.arrangement.name
        return self.mock_paper.title if self.mock_paper is not None else self.paper.title


class AttemptAnswer(Model):
    """An answer as given, saved at once (a dropped connection loses nothing); one row per question."""

    __tablename__ = "exam_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("exam_attempts.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    given: Mapped[str] = mapped_column(String(10), default="")  # option keys, e.g. "B" or "ACD"
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # 标记
    saved_at: Mapped[datetime] = mapped_column(default=clock.now)


class FaceCheck(Model):
    """A face verification before a real attempt: the frame kept (an Upload), the challenge, the
    distance the verifier measured, its verdict, a staff member's decision when it went to review,
    and the attempt it cleared."""

    __tablename__ = "face_checks"
    __table_args__ = (
        check_in("verdict", FaceVerdict),
        # The verifiers' claim and a waiting page's place in the queue read only the pending checks:
        # a day's thousands of judged ones are not in this index.
        Index("ix_face_checks_pending", "id", postgresql_where=text("verdict = 'pending'"),
              sqlite_where=text("verdict = 'pending'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("exam_arrangements.id"), index=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"), index=True)
    frame_upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id"))
    challenge: Mapped[str | None] = mapped_column(String(10))  # the movement asked for (wechat_app/face.py)
    # The attempt this clearance let start: one clearance, one attempt (issue 20).
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("exam_attempts.id"), index=True)
    distance: Mapped[float | None]
    verdict: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    # While pending: the frames posted (sealed uploads) for a verifier worker, which leases the row
    # (domain/face_checks.py claim); once judged only the frame kept for staff remains.
    frame_ids: Mapped[list[int] | None] = mapped_column(JSON)
    claimed_until: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    physician: Mapped[Physician] = relationship()
    arrangement: Mapped[Arrangement] = relationship()


class ItemAnalysis(Model):
    """试题分析 of a closed arrangement (domain/item_analysis.py), recomputed when attempts are handed in
    after it: the per-question and per-paper statistics as JSON."""

    __tablename__ = "item_analyses"
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("exam_arrangements.id"), primary_key=True)
    computed_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class ExamCapture(Model):
    """A photo the paper's page took at one of the attempt's random moments (考前须知: 考试过程中的人脸
    照片将保存备查), judged later by a verifier worker against the registration photo — never in the
    request that brought it, so that answering stays fast."""

    __tablename__ = "exam_captures"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"), check_in("verdict", CaptureVerdict))
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("exam_attempts.id"), index=True)
    slot: Mapped[int]  # which of the attempt's moments (domain/exams.capture_moments)
    frame_upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))
    taken_at: Mapped[datetime] = mapped_column(default=clock.now)
    verdict: Mapped[str] = mapped_column(String(10), default=CaptureVerdict.PENDING.value)
    distance: Mapped[float | None]
    checked_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a verifier worker's lease
    attempt: Mapped[Attempt] = relationship()


class Result(Model):
    """考核结果 of one registration: the three dimensions, the overall result, the rule that decided
    it, and the token of the printed 考核结果通知书's QR code."""

    __tablename__ = "assessment_results"
    __table_args__ = (check_in("overall", Rating), UniqueConstraint("registration_id", "round"))
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    round: Mapped[str] = mapped_column(String(10), default=ExamRound.REGULAR.value)
    work: Mapped[str | None] = mapped_column(String(6))
    ethics: Mapped[str | None] = mapped_column(String(6))
    skill: Mapped[str | None] = mapped_column(String(20))  # 合格 / 不合格 / 缺考 / 免考 / 未参加
    overall: Mapped[str] = mapped_column(String(6))
    rule: Mapped[str] = mapped_column(String(200))
    score: Mapped[int | None]
    token: Mapped[str] = mapped_column(String(40), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    published_at: Mapped[datetime] = mapped_column(default=clock.now)
    registration: Mapped[Registration] = relationship()

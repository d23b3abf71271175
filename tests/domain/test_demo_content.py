"""Demo content that looks real (issue 22): lessons of a few minutes whose stored length is the file's,
captions that fit the picture, an e-textbook readable on a 360 px phone, a bank without nonsense or
repeats, and each category's paper drawing its own category's questions."""
from __future__ import annotations

import base64
import re
import zlib
from collections import Counter

import pytest
from sqlalchemy import select

from wechat_app import media
from wechat_app.domain import exams
from wechat_app.domain.demo_exams import PROFESSIONAL
from wechat_app.domain.demo_training import LESSON_DIR, LESSON_SECONDS, LESSONS, textbook_pdf
from wechat_app.models import Arrangement, CourseMedia, Question
from wechat_app.models.enums import MediaKind, QuestionPool

PHONE = 360
CAPTION_CHARACTERS = 28  # 21 px characters across the 640 px picture, with the caption box's margins


def test_each_lesson_is_minutes_long_as_stored(demo):
    for number, title in enumerate(LESSONS, start=1):
        measured = media.video_seconds((LESSON_DIR / f"{number}.mp4").read_bytes(), ".mp4")
        assert measured == LESSON_SECONDS[title] >= 120, title
    stored = demo.session.scalars(select(CourseMedia).where(CourseMedia.kind == MediaKind.LESSON)).all()
    assert stored and all(row.duration_seconds == LESSON_SECONDS[row.title] for row in stored)


def test_every_caption_fits_the_picture():
    captions = [caption for sections in LESSONS.values() for _, points in sections for caption in points]
    assert len(captions) == 90 and max(len(caption) for caption in captions) <= CAPTION_CHARACTERS


def font_sizes(pdf: bytes) -> list[float]:
    """Every text size the PDF's pages set (`/F1 11 Tf`), from its compressed content streams."""
    sizes = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = stream.strip()
        try:  # reportlab's page streams: ASCII85 (ended by ~>), then Flate
            content = zlib.decompress(base64.a85decode(data[:-2] if data.endswith(b"~>") else data))
        except (ValueError, zlib.error):
            continue
        sizes += [float(size) for size in re.findall(rb"/F\d+ ([\d.]+) Tf", content)]
    return sizes


def test_the_textbook_is_readable_at_360_px():
    pdf = textbook_pdf("2026湖南医师定期考核人文医学测评", ["医师法解读", "医患沟通技巧"])
    width = float(re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) [\d.]+\s*\]", pdf).group(1))
    sizes = font_sizes(pdf)
    # textbook.mjs draws each page at the screen's width: a point becomes PHONE / width pixels
    assert sizes and min(sizes) * PHONE / width >= 14


def test_the_bank_has_no_catalogue_riddles_and_no_repeats(demo):
    questions = demo.session.scalars(select(Question)).all()
    assert not [q.stem for q in questions if "拟开设" in q.stem or "代码“" in q.stem]
    repeated = Counter((q.province_id, q.kind, q.stem, q.group_key) for q in questions)
    assert [key for key, count in repeated.items() if count > 1] == []
    assert all(q.category for q in questions if q.topic == PROFESSIONAL)


@pytest.mark.parametrize("category", ["临床", "口腔"])
def test_each_categorys_paper_draws_its_own_questions(demo, category):
    arrangement = demo.session.scalar(select(Arrangement).where(Arrangement.category == category))
    drawn = exams.assemble(arrangement.paper, arrangement.paper.province_id, category, 7, QuestionPool.EXAM)
    questions = demo.session.scalars(select(Question).where(Question.id.in_(drawn.question_ids))).all()
    professional = [q for q in questions if q.topic == PROFESSIONAL]
    assert professional and {q.category for q in professional} == {category}
    assert sum(drawn.points.values()) == 100

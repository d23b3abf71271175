"""试题分析 (issue 23): the statistics against worked examples, the flags, and the job that analyses a
closed arrangement once — and again when a paper is handed in after."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import clear_face, ready_for_exam
from wechat_app import clock
from wechat_app.domain import exams, item_analysis
from wechat_app.domain.item_analysis import Response, analyse, histogram, kr20, point_biserial
from wechat_app.models import ItemAnalysis, Question


def test_kr20_and_the_point_biserial_of_a_worked_example():
    matrix = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]  # totals 3 2 1 0: variance 1.25, Σpq 0.625
    assert kr20(matrix) == pytest.approx(0.75)
    assert point_biserial([True, True, False, False], [3, 2, 1, 0]) == pytest.approx(2 / 1.25 ** 0.5 * 0.5)
    assert point_biserial([True, True], [3, 2]) is None  # no one wrong: no correlation to speak of
    assert kr20([[1, 0]]) is None


def test_histogram_bins_cover_the_full_mark():
    assert histogram([0, 9, 10, 55, 100, 100], 100) == [
        ("0–9", 2), ("10–19", 1), ("20–29", 0), ("30–39", 0), ("40–49", 0), ("50–59", 1), ("60–69", 0), ("70–79", 0),
        ("80–89", 0), ("90–100", 2)]


def test_flags_for_a_reversed_item_an_idle_distractor_and_the_easy_and_hard_ones():
    totals = {attempt: float(attempt) for attempt in range(1, 41)}  # 40 attempts scoring 1 … 40
    responses = []
    for attempt in totals:
        strong = attempt > 20
        responses += [
            Response(attempt, 0, 1, "A" if strong else "BCD"[attempt % 3], strong),  # good: the strong get it right
            Response(attempt, 1, 2, "B" if strong else "A", not strong),  # reversed: the weak get it right
            Response(attempt, 2, 3, "C", True),  # everyone: too easy, and B, D nobody chose
            Response(attempt, 3, 4, "A" if attempt == 40 else "D", attempt == 40),  # almost no one
        ]
    stats = analyse(responses, totals, 40, {1: "A", 2: "A", 3: "C", 4: "A"},
                    {q: ["A", "B", "C", "D"] for q in (1, 2, 3, 4)})
    items = {item.question_id: item for item in stats.items}
    assert items[1].flags == [] and items[1].d == 1.0 and items[1].r > 0.8
    assert "区分度为负" in items[2].flags and items[2].d == -1.0
    assert "过易（通过率高于95%）" in items[3].flags and "干扰项A、B、D无人选择" in items[3].flags
    assert "过难（通过率低于20%）" in items[4].flags and items[4].chosen == {"A": 1, "B": 0, "C": 0, "D": 39}
    assert stats.attempts == 40 and stats.kr20 is not None


def closed_sitting(demo, right: bool):
    registration = ready_for_exam(demo)
    (arrangement,) = exams.arrangements_for(registration)
    clear_face(demo, registration, arrangement)
    attempt = exams.start(registration, arrangement)
    questions = demo.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids))).all()
    for question in questions:
        exams.save_answer(attempt, question.id, question.answer if right else "", False)
    exams.submit(attempt)
    return arrangement


def test_the_job_analyses_a_closed_arrangement_once_and_again_after_a_late_paper(demo):
    arrangement = closed_sitting(demo, right=True)
    closed_sitting(demo, right=False)
    assert item_analysis.refresh_due() == 0  # still open
    clock.freeze(arrangement.ends_at + timedelta(minutes=1))
    assert item_analysis.refresh_due() >= 1  # this one, and the demo's other papers closing with it
    kept = demo.session.get(ItemAnalysis, arrangement.id)
    assert kept.attempts == 2 and {item["p"] for item in kept.data["items"]} == {0.5}
    assert item_analysis.refresh_due() == 0  # nothing new
    clock.freeze(arrangement.ends_at + timedelta(minutes=5))
    late = demo.session.scalar(select(ItemAnalysis).where(ItemAnalysis.arrangement_id == arrangement.id))
    late.computed_at = arrangement.starts_at - timedelta(days=1)  # as if the papers were handed in after it
    demo.session.commit()
    assert item_analysis.refresh_due() == 1

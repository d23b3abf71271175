"""试题分析 for the 考核机构: how each question of a closed arrangement behaved, and how the paper did.

Per question (classical test theory, on the handed-in attempts that drew it):
- p, the share who answered it right (难度; here “通过率”);
- the point-biserial correlation of being right with the attempt's total (区分度 r);
- D = p(upper 27 %) − p(lower 27 %), the groups ranked by total over all attempts (Kelley, 1939);
- how many chose each option;
- flags: a negative r or D, a wrong option nobody chose (once 20 have answered), p > 0.95 or p < 0.2.

Per paper: the score histogram and KR-20. Every physician's paper is drawn from the bank, so the items
differ between attempts; KR-20 is taken over positions (the n-th question of each attempt, drawn by the
same rule from the same pool) — the reliability of randomly parallel forms, which is what a province
needs to know of the instrument it used.

Computed by the outbox worker's exam jobs once an arrangement has closed (and again if attempts were
handed in after), kept as JSON (ItemAnalysis); the console only reads it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from wechat_app import clock
from wechat_app.domain import exams
from wechat_app.domain.transaction import unit_of_work
from wechat_app.extensions import db
from wechat_app.models import Arrangement, Attempt, AttemptAnswer, ItemAnalysis, Question

GROUP_SHARE = 0.27
EASY, HARD = 0.95, 0.2
MIN_FOR_DISTRACTORS = 20


@dataclass(frozen=True)
class Response:
    attempt_id: int
    position: int  # 0-based place of the question in its attempt
    question_id: int
    given: str  # option keys chosen, sorted
    right: bool


@dataclass
class ItemStats:
    question_id: int
    n: int
    p: float
    r: float | None
    d: float | None
    chosen: dict[str, int]
    flags: list[str] = field(default_factory=list)


@dataclass
class PaperStats:
    attempts: int
    mean: float
    sd: float
    histogram: list[tuple[str, int]]  # (bin label, count)
    kr20: float | None
    items: list[ItemStats]


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def sd(values: list[float]) -> float:
    """Population standard deviation."""
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values)) if values else 0.0


def point_biserial(right: list[bool], totals: list[float]) -> float | None:
    """r_pb = (M1 − M0) / s · √(p q); None when everyone or no one was right, or the totals do not vary."""
    ones = [t for ok, t in zip(right, totals, strict=True) if ok]
    zeros = [t for ok, t in zip(right, totals, strict=True) if not ok]
    s = sd(totals)
    if not ones or not zeros or s == 0:
        return None
    p = len(ones) / len(totals)
    return (mean(ones) - mean(zeros)) / s * math.sqrt(p * (1 - p))


def kr20(matrix: list[list[int]]) -> float | None:
    """KR-20 of a 0/1 matrix (rows: attempts, columns: items); None with under two items or no variance."""
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    totals = [float(sum(row)) for row in matrix]
    variance = sd(totals) ** 2
    if variance == 0:
        return None
    pq = sum(p * (1 - p) for p in (mean([float(row[j]) for row in matrix]) for j in range(k)))
    return k / (k - 1) * (1 - pq / variance)


def histogram(scores: list[float], full: int, bins: int = 10) -> list[tuple[str, int]]:
    width = max(1, math.ceil(full / bins))
    edges = list(range(0, full + 1, width))
    counts = []
    for low in edges:
        high = low + width
        last = high >= full  # the bin that reaches the full mark holds it
        label = f"{low}–{full}" if last else f"{low}–{high - 1}"
        counts.append((label, sum(1 for s in scores if low <= s < high or (last and low <= s <= full))))
        if last:
            break
    return counts


def analyse(responses: list[Response], totals: dict[int, float], full: int,
            answers: dict[int, str], options: dict[int, list[str]]) -> PaperStats:
    """`totals`: attempt → score; `answers`: question → right keys; `options`: question → its keys."""
    ranked = sorted(totals, key=lambda attempt: totals[attempt])
    size = max(1, round(len(ranked) * GROUP_SHARE)) if ranked else 0
    lower, upper = set(ranked[:size]), set(ranked[-size:]) if size else set()
    by_question: dict[int, list[Response]] = {}
    for response in responses:
        by_question.setdefault(response.question_id, []).append(response)
    items = []
    for question_id, answered in sorted(by_question.items()):
        right = [a.right for a in answered]
        p = mean([1.0 if ok else 0.0 for ok in right])
        r = point_biserial(right, [totals[a.attempt_id] for a in answered])
        up = [a.right for a in answered if a.attempt_id in upper]
        low = [a.right for a in answered if a.attempt_id in lower]
        d = mean([1.0 if ok else 0.0 for ok in up]) - mean([1.0 if ok else 0.0 for ok in low]) if up and low else None
        chosen = {key: sum(1 for a in answered if key in a.given) for key in options.get(question_id, [])}
        item = ItemStats(question_id, len(answered), round(p, 3), None if r is None else round(r, 3),
                         None if d is None else round(d, 3), chosen)
        if (r is not None and r < 0) or (d is not None and d < 0):
            item.flags.append("区分度为负")
        if p > EASY:
            item.flags.append("过易（通过率高于95%）")
        if p < HARD:
            item.flags.append("过难（通过率低于20%）")
        if len(answered) >= MIN_FOR_DISTRACTORS:
            idle = [key for key, count in chosen.items() if count == 0 and key not in answers.get(question_id, "")]
            if idle:
                item.flags.append(f"干扰项{'、'.join(idle)}无人选择")
        items.append(item)
    positions: dict[int, dict[int, int]] = {}
    for response in responses:
        positions.setdefault(response.attempt_id, {})[response.position] = int(response.right)
    width = min((len(row) for row in positions.values()), default=0)
    matrix = [[row.get(j, 0) for j in range(width)] for row in positions.values()]
    scores = list(totals.values())
    reliability = kr20(matrix)
    return PaperStats(len(totals), round(mean(scores), 1), round(sd(scores), 1), histogram(scores, full),
                      None if reliability is None else round(reliability, 3), items)


def compute(arrangement: Arrangement) -> PaperStats:
    """From the handed-in attempts of a formal arrangement: three queries (attempts, answers, questions),
    each answer marked by the paper's own rule (exams.is_right)."""
    attempts = db.session.scalars(select(Attempt).where(Attempt.arrangement_id == arrangement.id,
                                                        Attempt.submitted_at.is_not(None))).all()
    given = {(a.attempt_id, a.question_id): a.given for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_([a.id for a in attempts])))} if attempts else {}
    ids = {question_id for attempt in attempts for question_id in attempt.question_ids}
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))} if ids else {}
    responses = []
    for attempt in attempts:
        for position, question_id in enumerate(attempt.question_ids):
            chosen = given.get((attempt.id, question_id), "")
            responses.append(Response(attempt.id, position, question_id, chosen,
                                      exams.is_right(chosen, questions.get(question_id))))
    return analyse(responses, {attempt.id: float(attempt.score or 0) for attempt in attempts}, arrangement.paper.total,
                   {q.id: q.answer for q in questions.values()},
                   {q.id: [o["key"] for o in q.options] for q in questions.values()})


def due(now: datetime) -> list[Arrangement]:
    """Closed arrangements without an analysis, or with attempts handed in since theirs."""
    closed = db.session.scalars(select(Arrangement).where(Arrangement.published_at.is_not(None),
                                                          Arrangement.ends_at <= now)).all()
    if not closed:
        return []
    ids = [a.id for a in closed]
    kept = dict(db.session.execute(select(ItemAnalysis.arrangement_id, ItemAnalysis.computed_at)
                                   .where(ItemAnalysis.arrangement_id.in_(ids))).tuples().all())
    latest = dict(db.session.execute(select(Attempt.arrangement_id, func.max(Attempt.submitted_at))
                                     .where(Attempt.arrangement_id.in_(ids)).group_by(Attempt.arrangement_id)).tuples().all())
    def stale(arrangement: Arrangement) -> bool:
        last, computed = latest.get(arrangement.id), kept.get(arrangement.id)
        return computed is None or (last is not None and last > computed)
    return [a for a in closed if stale(a)]


def refresh_due(now: datetime | None = None) -> int:
    """The exam job: analyse what closed (each in its own transaction). Returns how many were done."""
    now = now or clock.now()
    done = 0
    for arrangement in due(now):
        store(arrangement, compute(arrangement), now)
        done += 1
    return done


def store(arrangement: Arrangement, stats: PaperStats, now: datetime) -> None:
    with unit_of_work():
        row = db.session.get(ItemAnalysis, arrangement.id) or ItemAnalysis(arrangement_id=arrangement.id)
        row.computed_at, row.attempts, row.data = now, stats.attempts, asdict(stats)
        db.session.add(row)


def kept(arrangement: Arrangement) -> ItemAnalysis | None:
    return db.session.get(ItemAnalysis, arrangement.id)

"""Which assessment procedure applies: 简易程序 when any condition of the province's rule set
holds, else 一般程序.

Hunan (the seed, and 医师定期考核管理办法 2007 第十五条 for (1) and (2)); practice years are counted
from the 执业证书 date to the cycle's cut-off date:
(1) ≥ 5 years of practice, a good-conduct record in the cycle and no bad record;
(2) ≥ 12 years of practice and no bad record;
(3) promoted to the next professional title within the cycle;
(4) passed 住院医师规范化培训 within the cycle.
The figures and the set of conditions are per-province data (`Province.procedure_rules`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SIMPLE = "简易程序"
GENERAL = "一般程序"

DEFAULT_RULES = {"good_record_years": 5, "clean_record_years": 12, "promotion": True, "residency": True}


@dataclass(frozen=True)
class Facts:
    certificate_date: date | None
    good_record: bool
    bad_record: bool
    title_date: date | None       # when the current title was obtained
    promoted: bool                # the current title is a promotion (not 未评级)
    residency_passed_on: date | None


@dataclass(frozen=True)
class Condition:
    number: int
    text: str
    holds: bool
    why: str


def practice_years(since: date | None, cutoff: date) -> int:
    """Whole years from `since` to `cutoff`: exactly 5 years on the cut-off day counts as 5."""
    if since is None or since > cutoff:
        return 0
    years = cutoff.year - since.year
    if (cutoff.month, cutoff.day) < (since.month, since.day):
        years -= 1
    return years


def conditions(facts: Facts, period_start: date, period_end: date, cutoff: date, rules: dict | None = None) -> list[Condition]:
    rules = {**DEFAULT_RULES, **(rules or {})}
    years = practice_years(facts.certificate_date, cutoff)
    years_text = f"截至{cutoff:%Y年%m月%d日}执业{years}年" if facts.certificate_date else "未填写执业证书取得时间"
    in_cycle = lambda day: day is not None and period_start <= day <= period_end  # noqa: E731
    good, bad = rules["good_record_years"], rules["clean_record_years"]
    result = [
        Condition(1, f"具有{good}年以上执业经历，且考核周期内有良好行为记录、无不良行为记录",
                  years >= good and facts.good_record and not facts.bad_record,
                  f"{years_text}；{'有' if facts.good_record else '无'}良好行为记录；{'有' if facts.bad_record else '无'}不良行为记录"),
        Condition(2, f"具有{bad}年以上执业经历，且考核周期内无不良行为记录",
                  years >= bad and not facts.bad_record,
                  f"{years_text}；{'有' if facts.bad_record else '无'}不良行为记录"),
    ]
    if rules["promotion"]:
        promoted = facts.promoted and in_cycle(facts.title_date)
        result.append(Condition(3, "在本考核周期内通过晋升上一级专业技术职务考试", promoted,
                                f"职称取得时间{facts.title_date:%Y-%m-%d}" + ("，在本周期内" if promoted else "，不在本周期内")
                                if facts.title_date else "未填写职称取得时间"))
    if rules["residency"]:
        passed = in_cycle(facts.residency_passed_on)
        result.append(Condition(4, "在本考核周期内按规定通过住院医师规范化培训", passed,
                                f"规培合格时间{facts.residency_passed_on:%Y-%m-%d}" + ("，在本周期内" if passed else "，不在本周期内")
                                if facts.residency_passed_on else "未填写规培合格时间"))
    return result


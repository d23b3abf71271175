"""简易程序 conditions at their boundaries (Hunan rules; cut-off 2025-12-31; cycle 2023-01 ~ 2025-12)."""
from __future__ import annotations

from datetime import date

import pytest

from wechat_app.domain.eligibility import Facts, conditions, practice_years

START, END, CUTOFF = date(2023, 1, 1), date(2025, 12, 31), date(2025, 12, 31)


def facts(**kw) -> Facts:
    base = dict(certificate_date=None, good_record=False, bad_record=False, title_date=None, promoted=False,
                residency_passed_on=None)
    return Facts(**{**base, **kw})


def holds(f: Facts, rules=None) -> set[int]:
    return {c.number for c in conditions(f, START, END, CUTOFF, rules) if c.holds}


@pytest.mark.parametrize("since,years", [
    (date(2020, 12, 31), 5), (date(2021, 1, 1), 4), (date(2013, 12, 31), 12), (date(2014, 1, 1), 11),
    (date(2026, 1, 1), 0), (None, 0),
])
def test_practice_years_at_the_cut_off(since, years):
    assert practice_years(since, CUTOFF) == years


def test_exactly_five_years_with_a_good_record():
    assert holds(facts(certificate_date=date(2020, 12, 31), good_record=True)) == {1}
    assert holds(facts(certificate_date=date(2021, 1, 1), good_record=True)) == set()


def test_good_record_with_a_bad_one_does_not_count():
    assert holds(facts(certificate_date=date(2015, 6, 1), good_record=True, bad_record=True)) == set()


def test_exactly_twelve_years_without_bad_record():
    assert holds(facts(certificate_date=date(2013, 12, 31))) == {2}
    assert holds(facts(certificate_date=date(2014, 1, 1))) == set()
    assert holds(facts(certificate_date=date(2010, 1, 1), bad_record=True)) == set()


def test_promotion_inside_and_outside_the_cycle():
    assert holds(facts(title_date=date(2023, 1, 1), promoted=True)) == {3}
    assert holds(facts(title_date=date(2025, 12, 31), promoted=True)) == {3}
    assert holds(facts(title_date=date(2022, 12, 31), promoted=True)) == set()
    assert holds(facts(title_date=date(2024, 6, 1), promoted=False)) == set()  # 未评级 is no promotion


def test_residency_passed_in_the_cycle():
    assert holds(facts(residency_passed_on=date(2024, 7, 1))) == {4}
    assert holds(facts(residency_passed_on=date(2022, 7, 1))) == set()


def test_procedure_and_reasons():
    found = conditions(facts(certificate_date=date(2019, 1, 1)), START, END, CUTOFF)
    assert not any(c.holds for c in found)  # no condition of 简易程序 holds: 一般程序
    assert "截至2025年12月31日执业6年" in found[0].why and "无良好行为记录" in found[0].why
    assert any(c.holds for c in conditions(facts(certificate_date=date(2000, 1, 1)), START, END, CUTOFF))


def test_rules_are_per_province_data():
    other = {"good_record_years": 6, "clean_record_years": 15, "promotion": False, "residency": False}
    f = facts(certificate_date=date(2013, 1, 1), title_date=date(2024, 1, 1), promoted=True)
    assert holds(f) == {2, 3}
    assert holds(f, other) == set()
    assert [c.number for c in conditions(f, START, END, CUTOFF, other)] == [1, 2]

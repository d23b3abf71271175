"""Windows are open on their first and last day and closed one day either side."""
from __future__ import annotations

from datetime import date

import pytest

from wechat_app.domain.cycles import Window, period_label
from wechat_app.models import Cycle

WINDOW = Window("registration", "医师报名", date(2026, 4, 13), date(2026, 5, 6))


@pytest.mark.parametrize("day,state", [
    (date(2026, 4, 12), "未开始"), (date(2026, 4, 13), "进行中"), (date(2026, 5, 6), "进行中"), (date(2026, 5, 7), "已结束"),
])
def test_window_edges(day, state):
    assert WINDOW.state(day).label == state
    assert WINDOW.is_open(day) == (state == "进行中")


def test_unscheduled_window():
    assert Window("test", "测评", None, None).state(date(2026, 1, 1)).label == "未安排"


def test_period_label_as_the_seed_writes_it():
    cycle = Cycle(period_start=date(2023, 1, 1), period_end=date(2025, 12, 31))
    assert period_label(cycle) == "2023年01月 ~ 2025年12月"

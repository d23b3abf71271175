"""Cycles and their windows: which cycle is current, and where today stands in each window."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from wechat_app import clock
from wechat_app.extensions import db
from wechat_app.models import Cycle

WINDOWS = (
    ("registration", "医师报名"),
    ("review", "报名审核"),
    ("exemption", "免考申请"),
    ("exemption_review", "免考审核"),
    ("test", "测评"),
)


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    start: date | None
    end: date | None

    def state(self, today: date) -> str:
        """未开始 / 进行中 / 已结束; a window is open on both its first and its last day."""
        if self.start is None or self.end is None:
            return "未安排"
        if today < self.start:
            return "未开始"
        return "进行中" if today <= self.end else "已结束"

    def is_open(self, today: date | None = None) -> bool:
        return self.state(today or clock.today()) == "进行中"


def current_cycle(province_id: int) -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.province_id == province_id, Cycle.is_current.is_(True)))


def windows(cycle: Cycle) -> list[Window]:
    return [Window(key, name, getattr(cycle, f"{key}_start"), getattr(cycle, f"{key}_end")) for key, name in WINDOWS]


def period_label(cycle: Cycle) -> str:
    """考核周期：2023年01月 ~ 2025年12月, as the seed writes it."""
    return f"{cycle.period_start:%Y}年{cycle.period_start:%m}月 ~ {cycle.period_end:%Y}年{cycle.period_end:%m}月"

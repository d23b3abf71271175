"""Cycles and their windows: which cycle is current, and where today stands in each window."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

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


class WindowState(StrEnum):
    UNSCHEDULED = "unscheduled"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """What the home page shows (the seed's words)."""
        return {"unscheduled": "未安排", "upcoming": "未开始", "open": "进行中", "closed": "已结束"}[self.value]


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    start: date | None
    end: date | None

    def state(self, today: date) -> WindowState:
        """A window is open on both its first and its last day."""
        if self.start is None or self.end is None:
            return WindowState.UNSCHEDULED
        if today < self.start:
            return WindowState.UPCOMING
        return WindowState.OPEN if today <= self.end else WindowState.CLOSED

    def is_open(self, today: date | None = None) -> bool:
        return self.state(today or clock.today()) == WindowState.OPEN


def current_cycle(province_id: int) -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.province_id == province_id, Cycle.is_current.is_(True)))


def windows(cycle: Cycle) -> list[Window]:
    return [Window(key, name, getattr(cycle, f"{key}_start"), getattr(cycle, f"{key}_end")) for key, name in WINDOWS]


def period_label(cycle: Cycle) -> str:
    """考核周期：2023年01月 ~ 2025年12月, as the seed writes it."""
    return f"{cycle.period_start:%Y}年{cycle.period_start:%m}月 ~ {cycle.period_end:%Y}年{cycle.period_end:%m}月"

"""The one clock the application reads, so that every window rule can be tested at its edges.

`now()` is China Standard Time as a naive datetime (all windows in the rules are given in local
dates and times). Tests call `freeze(...)`; development may set APP_NOW to show a given day.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))

_frozen: datetime | None = None


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(CST).replace(tzinfo=None)


def today() -> date:
    return now().date()


def freeze(moment: datetime | None) -> None:
    """Freeze the clock at `moment` (naive, CST); None lets it run again."""
    global _frozen
    _frozen = moment

"""Lists a province runs on, a page at a time: the database counts and returns one page (LIMIT/OFFSET
on an ordered query), never the whole list. One way for every console list (templates/console/_pager.html
draws it).

Counting is what a page of a province's list costs (make bench, lists: 40–80 ms of the page's SQL at
100,000 physicians, the page of 50 itself 2 ms), so a large count — `LIST_COUNT_KEPT_ABOVE` rows or more —
is kept for a minute per query and parameters and shown as 约 (about); a small list is always counted.
The rows themselves are always read afresh."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, func

from wechat_app.extensions import db, kv
from wechat_app.kv import UNAVAILABLE

PER_PAGE = 50
LAST_PAGE = 10_000  # a page number beyond any list, refused rather than turned into a huge OFFSET
COUNT_KEPT_SECONDS = 60


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    number: int
    size: int
    approximate: bool = False  # the total is a count kept from the last minute (see the module's docstring)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The 1-based position of the first row shown (0 for an empty list)."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def around(self, width: int = 2) -> list[int]:
        """The page numbers a pager shows: the first, the last and `width` either side of this one."""
        shown = {1, self.pages, *range(max(1, self.number - width), min(self.pages, self.number + width) + 1)}
        return sorted(shown)


def page_number(text: str | None) -> int:
    """?page= as a number from 1 to LAST_PAGE; anything else is the first page."""
    return int(text) if text and text.isdigit() and 1 <= int(text) <= LAST_PAGE else 1


def paginate(query: Select, number: int, size: int = PER_PAGE, rows_as_tuples: bool = False) -> Page:
    """One page of `query` (which must be ordered) and the total it would return. A page past the end
    shows the last one, so that a list that shrank under a bookmark still shows something."""
    total, approximate = count_of(query)
    number = min(number, max(1, -(-total // size)))
    offset = (number - 1) * size
    if rows_as_tuples:
        return Page(list(db.session.execute(query.limit(size).offset(offset)).all()), total, number, size, approximate)
    return Page(list(db.session.scalars(page_of(query, size, offset)).all()), total, number, size, approximate)


def page_of(query: Select, size: int, offset: int) -> Select:
    """The rows of one page. Past the first, the ids of its rows first, then those rows whole: the rows an
    OFFSET skips are read as their ids alone (an index-only walk where an index has the order), not each
    whole row and its joins — 报名复核's page 300 of 30,000 at 100,000 physicians: 30 → 3 ms of SQL."""
    entity = query.column_descriptions[0]["entity"] if len(query.column_descriptions) == 1 else None
    if not offset or entity is None or "id" not in entity.__table__.c:
        return query.limit(size).offset(offset)
    page_ids = query.with_only_columns(entity.id, maintain_column_froms=True).limit(size).offset(offset)
    return query.where(entity.id.in_(page_ids))


def count_of(query: Select) -> tuple[int, bool]:
    """How many rows `query` returns, and whether that is a count kept from the last minute."""
    # COUNT(*) over the query's own FROM and WHERE: no subquery, and none of the page's eager loads
    # (a joined institution per row), so that counting 100,000 rows is one pass over what matches
    counting = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    above = kept_above()
    if not above:
        return db.session.scalar(counting) or 0, False
    total, kept = kept_for_a_minute(count_key(counting), lambda: str(db.session.scalar(counting) or 0),
                                    lambda value: int(value) >= above)
    return int(total), kept


def kept_above() -> int:
    """The size from which a count (or 概况's funnel) is kept for a minute; 0: never."""
    return int(current_app.config.get("LIST_COUNT_KEPT_ABOVE", 0))


def kept_for_a_minute(key: str, compute: Callable[[], str], large: Callable[[str], bool]) -> tuple[str, bool]:
    """The value kept under `key` if it is `large` (the setting may have moved since it was kept), else
    `compute()`'d and kept when large; True when it is the kept one. A store that is down keeps nothing."""
    try:
        value = kv.get(key)
    except UNAVAILABLE:
        return compute(), False
    if value is not None and large(value):
        return value, True
    value = compute()
    if large(value):
        try:
            kv.set(key, value, COUNT_KEPT_SECONDS)
        except UNAVAILABLE:
            pass
    return value, False


def count_key(counting: Select) -> str:
    """The statement and its parameters, keyed with the app's secret (HMAC): a search's words (a name,
    an ID number's blind index) never stand in the store, nor can a short name be guessed from its hash."""
    compiled = counting.compile(dialect=db.engine.dialect)
    text = f"{compiled}|{sorted(compiled.params.items())!r}"
    secret = str(current_app.secret_key).encode()
    return "list-count:" + hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()

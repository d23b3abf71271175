"""Lists a province runs on, a page at a time: the database counts and returns one page (LIMIT/OFFSET
on an ordered query), never the whole list. One way for every console list (templates/console/_pager.html
draws it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func

from wechat_app.extensions import db

PER_PAGE = 50
LAST_PAGE = 10_000  # a page number beyond any list, refused rather than turned into a huge OFFSET


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    number: int
    size: int

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
    # COUNT(*) over the query's own FROM and WHERE: no subquery, and none of the page's eager loads
    # (a joined institution per row), so that counting 100,000 rows is one pass over what matches
    total = db.session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)) or 0
    number = min(number, max(1, -(-total // size)))
    limited = query.limit(size).offset((number - 1) * size)
    rows = list(db.session.execute(limited).all() if rows_as_tuples else db.session.scalars(limited).all())
    return Page(rows, total, number, size)

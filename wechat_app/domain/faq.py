"""FAQ answers for chat: keyword matching over a per-process snapshot of the FAQ table.

The snapshot is reloaded at most once a minute, so the callback's common path (a text message)
does not query the database; an edited FAQ shows in chat within a minute.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from wechat_app.extensions import db
from wechat_app.models import Faq

RELOAD_SECONDS = 60.0


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str
    keywords: tuple[str, ...]
    sort_order: int


class FaqIndex:
    def __init__(self) -> None:
        self._entries: tuple[FaqEntry, ...] = ()
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def entries(self) -> tuple[FaqEntry, ...]:
        if time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            with self._lock:
                if time.monotonic() - self._loaded_at > RELOAD_SECONDS:
                    self._entries = load_entries()
                    self._loaded_at = time.monotonic()
        return self._entries

    def match(self, text: str) -> FaqEntry | None:
        """The entry whose keywords occur most in `text`; ties go to the lower sort order."""
        needle = text.lower()
        best, best_score = None, 0
        for entry in self.entries():
            score = sum(1 for word in entry.keywords if word in needle)
            if score > best_score:
                best, best_score = entry, score
        return best


def load_entries() -> tuple[FaqEntry, ...]:
    rows = db.session.scalars(select(Faq).order_by(Faq.sort_order, Faq.id)).all()
    entries = tuple(
        FaqEntry(row.question, row.answer, tuple(w.lower() for w in row.keywords.split() if w), row.sort_order)
        for row in rows
    )
    return entries


faq_index = FaqIndex()

"""Content managed as data: FAQ entries (answered in chat and on the portal) and articles."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wechat_app.extensions import Model


class Faq(Model):
    __tablename__ = "faqs"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))  # None: every province
    question: Mapped[str] = mapped_column(String(120))
    answer: Mapped[str] = mapped_column(Text)
    # Space-separated words; a message that contains any of them gets this answer.
    keywords: Mapped[str] = mapped_column(String(400))
    sort_order: Mapped[int] = mapped_column(default=0)


class Article(Model):
    """政策 / 通知 / 手册 entries shown on the portal."""

    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    kind: Mapped[str] = mapped_column(String(10))  # 政策 / 通知 / 手册
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[date]

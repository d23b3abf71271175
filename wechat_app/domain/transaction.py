"""One use case, one transaction: `with unit_of_work():` around what the use case changes, or
`@use_case()` on a function that is one.

It commits at the end and rolls back on any error. A lost race (the version check of a row two
people changed at once, or a unique key two requests claimed at once) becomes the one
`DomainError`, with status 409 and a message for people. Views never commit; GETs never write.

A unit of work opened inside another joins it: the outer one commits or rolls back the whole, so
that a use case made of use cases (the demo goes through submission and review) is one transaction.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db

CONFLICT = "该记录刚被他人修改，请刷新页面后重试。"
OPEN = "unit_of_work_open"  # Session.info key: a unit of work is running on this session


@contextmanager
def unit_of_work(conflict: str = CONFLICT) -> Iterator[None]:
    if db.session.info.get(OPEN):
        yield
        return
    db.session.info[OPEN] = True
    try:
        yield
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise DomainError(conflict, status=409) from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(OPEN, None)


P = ParamSpec("P")
R = TypeVar("R")


def use_case(conflict: str = CONFLICT) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The same as a decorator: the whole function is the unit of work."""
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with unit_of_work(conflict):
                return fn(*args, **kwargs)
        return run
    return decorate


def commit_once() -> bool:
    """Commit a record of something that may arrive twice (WeChat's retry of a push, two workers on one
    event): True, or False — rolled back, nothing recorded — when its unique key says it already was."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True

"""Console fixtures: demo staff by username, a foreign province's records to prove scoping."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from wechat_app.models import Staff


@pytest.fixture
def staff(demo, login_as):
    def sign_in(username: str) -> Staff:
        return login_as(demo.session.scalar(select(Staff).where(Staff.username == username)))
    return sign_in

"""Backup and restore drill: `flask backup create`, then `flask backup restore` into an empty
database and upload directory, after which a physician signs in and sees their registration and
their photo. Personal data stays sealed in the backup."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.common import fresh_database
from tests.conftest import build_config
from tests.helpers import captcha_answer, csrf_token
from wechat_app import create_app
from wechat_app.domain.demo import INITIAL_PASSWORD
from wechat_app.models import Physician, Registration


@pytest.fixture
def empty_database(tmp_path):
    """A URL of a database with nothing in it, of the kind the suite runs on (the bench's helper)."""
    with fresh_database(tmp_path) as url:
        yield url


def test_a_restored_backup_lets_a_physician_sign_in_and_see_their_registration(app, demo, live, tmp_path,
                                                                              empty_database):
    registration = demo.session.scalar(select(Registration).where(Registration.status == "pending_assessor")
                                       .order_by(Registration.id).limit(1))
    physician = registration.physician
    physician.must_change_password = False
    demo.session.commit()
    id_number, name, registration_id = physician.id_number_18, physician.name, registration.id
    photo_id = registration.draft["1"]["photo"][0]

    result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    dump = b"".join(p.read_bytes() for p in (tmp_path / "backup").iterdir())
    assert id_number.encode() not in dump  # sealed in the backup as in the database

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    target = create_app(build_config(live, restored_dir, SQLALCHEMY_DATABASE_URI=empty_database))
    with target.app_context():  # the command runs in the current app context: the target's, not the test's
        result = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        again = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
        assert again.exit_code != 0 and "not empty" in again.output  # never over live data

    client = target.test_client()
    page = client.get("/login")
    answer = captcha_answer(target, client)
    signed_in = client.post("/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                            "id_number": id_number, "password": INITIAL_PASSWORD, "captcha": answer})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[-2000:]
    home = client.get("/m/").get_data(as_text=True)
    assert name in home and "已报名-待考核机构复核" in home
    photo = client.get(f"/m/uploads/{photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and len(photo.data) > 500
    with target.app_context():
        from wechat_app.extensions import db

        assert db.session.get(Registration, registration_id).physician.id_number_18 == id_number
        assert db.session.scalar(select(Physician.id).where(Physician.name == name)) is not None
        db.session.remove()
        db.engine.dispose()

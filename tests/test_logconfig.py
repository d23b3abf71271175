"""Personal data and credentials never reach a log line: redaction at record birth, the access log
format, and the OAuth flow's request lines."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from tests.wechat.test_oauth import browser, start
from wechat_app.logconfig import redact

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.redaction  # a test of the redaction itself
def test_redact_masks_id_numbers_phones_and_secret_parameters():
    line = 'GET /wechat/oauth/callback?code=0a1b2c&state=ff00 id 430103199003070422 old 430103900307042 ' \
           'phone 13812345678 msgid 6947294658829291520'
    cleaned = redact(line)
    for secret in ("0a1b2c", "ff00", "430103199003070422", "430103900307042", "13812345678"):
        assert secret not in cleaned
    assert "code=***" in cleaned and "138****5678" in cleaned
    assert "6947294658829291520" in cleaned  # a 19-digit WeChat MsgId is not an ID number


@pytest.mark.redaction  # a test of the redaction itself
def test_every_logger_is_redacted(app, caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("fetched %s for %s", "/x?access_token=SECRET", "13812345678")
    assert "SECRET" not in caplog.text and "13812345678" not in caplog.text


def test_the_access_log_never_prints_query_strings():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert "%(U)s" in conf.access_log_format
    assert "%(r)s" not in conf.access_log_format and "%(q)s" not in conf.access_log_format
    assert conf.bind.startswith("127.0.0.1:")


@pytest.mark.redaction  # a test of the redaction itself
def test_oauth_codes_and_states_stay_out_of_the_log(live, caplog):
    session = browser(live)
    with caplog.at_level(logging.DEBUG):
        callback = start(session, live)
        session.get(callback)
    code, state = callback.split("code=")[1].split("&")[0], callback.split("state=")[1]
    assert "/wechat/oauth/callback" in caplog.text  # the request was logged …
    assert code not in caplog.text and state not in caplog.text  # … without its secrets


def test_a_database_error_does_not_log_its_parameters(make_app):
    """With redaction off (as everywhere in the suite), the traceback of a failed statement must not
    carry its parameters: hide_parameters is set outside development."""
    from sqlalchemy import text

    from wechat_app.extensions import db

    app = make_app()
    app.add_url_rule("/_boom", "boom", lambda: [db.session.execute(
        text("INSERT INTO provinces (id, code, name, active) VALUES (1, :code, :name, true)"),
        {"code": "x", "name": "430103199003070422"}) for _ in range(2)] and "")
    response = app.test_client().get("/_boom")
    assert response.status_code == 500  # logged with its traceback; the autouse scan reads every line
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"]

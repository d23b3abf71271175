"""Logging to stdout (gunicorn collects it); no file handlers, which break under several workers.

Personal data stays out of logs. Handlers log message types and error codes, never message
bodies, ID numbers, phones, SMS codes or tokens; SQL parameters are hidden outside development
(see `config.py`). As a second line, every log record is redacted when it is made, whichever
logger made it (werkzeug's request lines print query strings, a library may print a URL): OAuth
codes and states, signatures, tokens, and anything shaped like an ID number or a mobile number.
"""
from __future__ import annotations

import logging
import re
import sys

from flask import Flask
from sqlalchemy.exc import DBAPIError

# Query parameters that authenticate something or name someone.
SECRET_PARAMS = re.compile(
    r"(?i)\b(code|state|signature|msg_signature|echostr|nonce|access_token|ticket|openid|id_number|phone"
    r"|password|captcha|secret)=[^&\s\"']*")
# 18-digit (GB 11643) and 15-digit resident ID numbers, mobile numbers; not parts of longer digit runs
# (WeChat MsgIds are 19-20 digits and stay readable).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8,11}([\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    text = SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)
    text = ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2) if len(m.group(0)) in (15, 18)
                         else m.group(0), text)
    return MOBILE.sub(r"\1****\2", text)


REDACTING = {"on": True}  # the suite turns it off to prove that no code path logs personal data at all


class DatabaseFailure(Exception):
    """What the log keeps of a database error: the statement and SQLSTATE, not the message."""


def safe_exc_info(exc: BaseException | None = None) -> tuple:
    """`exc_info` for a log call (the exception being handled, or `exc`). A database error's message
    is left out: PostgreSQL's DETAIL quotes the failing row ("Failing row contains (…)"), which can
    hold an ID number or a phone, and the driver's exception chained to it says the same
    (hide_parameters only covers the parameters)."""
    exc = exc if exc is not None else sys.exc_info()[1]
    if not isinstance(exc, DBAPIError):
        return (type(exc), exc, exc.__traceback__) if exc is not None else (None, None, None)
    sqlstate = getattr(exc.orig, "sqlstate", None) or type(exc.orig).__name__
    kept = DatabaseFailure(f"{type(exc).__name__} (SQLSTATE {sqlstate}) in: {str(exc.statement or '')[:300]}")
    kept.__suppress_context__ = True
    return DatabaseFailure, kept, exc.__traceback__


def install_redaction() -> None:
    """Wrap the record factory once per process: every record's message is redacted at birth."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not REDACTING["on"]:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a caller's format mismatch: keep the record as it is, logging reports it
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line, tracebacks included (an exception's text is formatted
    here, after the record was made)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return redact(line) if REDACTING["on"] else line


SIMULATOR_POLLS = ("/_sim/sms", "/_sim/messages")


def not_a_simulator_poll(record: logging.LogRecord) -> bool:
    """The simulator's page polls for SMS and messages every few seconds: its request lines would
    bury the ones a developer looks for."""
    return not any(f" {path}" in record.getMessage() for path in SIMULATOR_POLLS)


def configure(app: Flask) -> None:
    level = logging.DEBUG if app.debug else logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    install_redaction()
    # wechatpy and urllib3 log request URLs, which carry access tokens.
    logging.getLogger("wechatpy").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("redis").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").addFilter(not_a_simulator_poll)

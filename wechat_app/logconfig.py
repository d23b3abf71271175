"""Logging to stdout (gunicorn collects it); no file handlers, which break under several workers.

Personal data stays out of logs: handlers log message types and error codes, never message
bodies, ID numbers, phones or tokens.
"""
from __future__ import annotations

import logging

from flask import Flask


def configure(app: Flask) -> None:
    level = logging.DEBUG if app.debug else logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    # wechatpy and urllib3 log request URLs, which carry access tokens.
    logging.getLogger("wechatpy").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("redis").setLevel(logging.WARNING)

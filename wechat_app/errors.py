"""Error pages: a clear Chinese message for people, the status code for machines, never a 500 page
with a stack trace. A failed request's transaction is rolled back before the page renders."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.logconfig import safe_exc_info

log = logging.getLogger("wechat_app.errors")

MESSAGES = {
    400: "请求有误，请返回重试。",
    403: "您没有权限访问此页面。",
    404: "页面不存在。",
    405: "不支持此操作。",
    413: "上传的内容过大。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统繁忙，请稍后再试。",
}


def wants_json() -> bool:
    return request.path.startswith(("/_sim/api/", "/wechat/jssdk/")) or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, "请求未能完成。")
    if wants_json():
        return jsonify(error=message), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, "页面已过期，请刷新后重新提交。")

    @app.errorhandler(DomainError)
    def refused(exc: DomainError):
        # A use case said no and the view had nothing better to do with it: its message and status.
        db.session.rollback()
        return render_error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.error("unhandled error on %s", request.path, exc_info=safe_exc_info(exc))
        return render_error(500)

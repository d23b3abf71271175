"""Error pages: a clear Chinese message for people, the status code for machines, never a 500 page
with a stack trace. A failed request's transaction is rolled back before the page renders."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_errors
from werkzeug.exceptions import HTTPException

from wechat_app import kv
from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db, login_manager
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
    503: "系统繁忙，请稍后再试。",
}
# A database that is down, restarting or out of connections; Redis that does not answer. Neither
# is a bug: the person gets 503 and "系统繁忙，请稍后再试", WeChat's clients retry, nothing is half-saved
# (the request's transaction is rolled back).
UNAVAILABLE = (sa_errors.OperationalError, sa_errors.InterfaceError, sa_errors.TimeoutError, *kv.UNAVAILABLE)


def wants_json() -> bool:
    return request.path.startswith(("/_sim/api/", "/wechat/jssdk/")) or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, "请求未能完成。")
    if wants_json():
        return jsonify(error=message), status
    # The console's errors in the console's layout (a desk, not a phone)
    # (4xx only: a 500 may come of a database that is gone, which the console's layout would need)
    template = "console/error.html" if request.path.startswith("/console") and status < 500 else "errors/error.html"
    return render_template(template, status=status, message=message), status


def dropped_connection(exc: Exception) -> bool:
    return isinstance(exc, sa_errors.DBAPIError) and exc.connection_invalidated


def forget_session() -> None:
    """Roll back what the request did; with the database gone even that may fail."""
    try:
        db.session.rollback()
    except UNAVAILABLE:
        db.session.invalidate()
    db.session.remove()


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

    def unavailable(exc: Exception):
        forget_session()
        if dropped_connection(exc) and request.method in ("GET", "HEAD") and not g.get("read_retried"):
            # A pooled connection that died with a database restart: SQLAlchemy has invalidated
            # the pool, so a read run again gets a fresh connection and the person sees nothing.
            g.read_retried = True
            g.pop("_login_user", None)
            try:
                return current_app.preprocess_request() or current_app.dispatch_request()
            except UNAVAILABLE as again:
                forget_session()
                exc = again
        log.warning("service unavailable on %s: %s", request.path, type(exc).__name__)
        g._login_user = login_manager.anonymous_user()  # the page must not load the user from a database that is down
        body, status = render_error(503)
        return body, status, {"Retry-After": "5"}

    for unavailable_kind in UNAVAILABLE:
        app.register_error_handler(unavailable_kind, unavailable)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.error("unhandled error on %s", request.path, exc_info=safe_exc_info(exc))
        return render_error(500)

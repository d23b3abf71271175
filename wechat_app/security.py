"""Security headers for every response. The CSP allows scripts only from our static files and the
WeChat JS-SDK's hosts (no inline scripts or handlers: static/js/common.js does what they did).
HSTS only over https (a browser ignores it over http, and development is http)."""
from __future__ import annotations

from flask import Flask, Response, request

HSTS = "max-age=31536000; includeSubDomains"
CSP = (
    "default-src 'self'; script-src 'self' https://res.wx.qq.com https://res2.wx.qq.com; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def register(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

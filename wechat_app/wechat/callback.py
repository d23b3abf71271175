"""`/wechat`: WeChat's server-to-server callback (URL verification and pushed messages).

The 5-second rule drives everything here: WeChat drops the connection after 5 s and retries
three times in all, and shows the user "该公众号暂时无法提供服务" when no valid answer comes.
So: verify, parse, route, answer; a handler whose retry must not repeat an effect first claims its
reply in one store round trip (router.py says which and why the others need none); side
effects and anything slow run on a thread after the answer, and a handler that needs the database
gets `WECHAT_REPLY_BUDGET` seconds before we answer `success` and send its text later through the
outbox as a customer-service message.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import parse_qs

from flask import Blueprint, Flask, Response, current_app, request

from wechat_app.domain import outbox
from wechat_app.extensions import kv
from wechat_app.kv import UNAVAILABLE as KV_UNAVAILABLE
from wechat_app.links import oauth_entry
from wechat_app.logconfig import safe_exc_info
from wechat_app.wechat.protocol import (
    MAX_BODY_BYTES,
    SUCCESS,
    BadMessage,
    Envelope,
    parse_xml,
    signature_ok,
)
from wechat_app.wechat.router import Context, Handler, Outcome, dedup_key, route

log = logging.getLogger("wechat.callback")

bp = Blueprint("wechat", __name__)

# Longer than WeChat's whole retry window (3 tries within 15 s), short enough to stay small.
DEDUP_TTL_SECONDS = 60


@dataclass(frozen=True)
class CallbackSettings:
    token: str
    envelope: Envelope | None
    context: Context
    reply_budget: float

    @classmethod
    def from_config(cls, config) -> CallbackSettings:
        aes_key = config.get("WECHAT_ENCODING_AES_KEY")
        base = config["PUBLIC_BASE_URL"]
        return cls(
            token=config["WECHAT_TOKEN"],
            envelope=Envelope(config["WECHAT_TOKEN"], aes_key, config["WECHAT_APP_ID"]) if aes_key else None,
            context=Context(
                entry_url=oauth_entry("/m/", base),
                faq_url=oauth_entry("/m/faq", base),
                support_phone=config["SUPPORT_PHONE"],
            ),
            reply_budget=float(config["WECHAT_REPLY_BUDGET"]),
        )


def init_app(app: Flask) -> None:
    """The callback's settings, read once from the config (the hot path reads no config)."""
    app.extensions["wechat_callback"] = CallbackSettings.from_config(app.config)


_executor: ThreadPoolExecutor | None = None


def background() -> ThreadPoolExecutor:
    """Created on first use, so that each gunicorn worker (after fork) gets its own threads."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wechat-bg")
    return _executor


def finish_background() -> None:
    """Wait for the side effects already started (subscribe, VIEW log, late answers): at a worker's
    exit (gunicorn.conf.py), so that they are not lost, and in tests, to know that nothing more
    will happen. The next push starts a new pool."""
    global _executor
    executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)


def in_app(app: Flask, fn: Callable[[], object]) -> Callable[[], object]:
    def run():
        with app.app_context():
            try:
                return fn()
            except Exception:
                log.error("background work for the callback failed", exc_info=safe_exc_info())
                raise
    return run


def settings() -> CallbackSettings:
    return current_app.extensions["wechat_callback"]


@bp.get("/wechat")
def verify() -> Response:
    args = request.args
    if not signature_ok(settings().token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")):
        return Response("invalid signature", 403, mimetype="text/plain")
    return Response(args.get("echostr", ""), mimetype="text/plain")


class PushEndpoint:
    """POST /wechat, served as WSGI middleware in front of Flask.

    A push needs none of Flask's request machinery (sessions, CSRF, rate limits, URL routing),
    and under a registration-day flood that machinery would cost more than the push itself;
    everything else goes on to the Flask app untouched.
    """

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/wechat" or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        try:
            status, body, mimetype = self.respond(environ)
        except Exception:
            # WeChat shows the user an error for anything but a reply.
            log.error("callback failed", exc_info=safe_exc_info())
            status, body, mimetype = 200, SUCCESS, "text/plain"
        data = body.encode()
        start_response(STATUS_LINES[status], [("Content-Type", f"{mimetype}; charset=utf-8"),
                                              ("Content-Length", str(len(data)))])
        return [data]

    def respond(self, environ) -> tuple[int, str, str]:
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return 413, "body too large", "text/plain"
        body = environ["wsgi.input"].read(int(length) if length.isdigit() else MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return 413, "body too large", "text/plain"
        args = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        with self.app.app_context():
            return receive(self.app.extensions["wechat_callback"], args, body)


STATUS_LINES = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden", 413: "413 Payload Too Large"}


def receive(conf: CallbackSettings, args: dict, body: bytes) -> tuple[int, str, str]:
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    if not signature_ok(conf.token, args.get("signature", ""), timestamp, nonce):
        return 403, "invalid signature", "text/plain"
    encrypted = args.get("encrypt_type") == "aes"
    try:
        msg = parse_xml(body)
        if encrypted:
            if conf.envelope is None:
                raise BadMessage("encrypted push but no EncodingAESKey configured")
            msg = parse_xml(conf.envelope.open(msg, args.get("msg_signature", ""), timestamp, nonce))
    except BadMessage as exc:
        log.info("refused a push: %s", exc)
        return 400, "bad request", "text/plain"
    except PermissionError:
        return 403, "invalid signature", "text/plain"
    if not isinstance(msg.get("FromUserName"), str) or not isinstance(msg.get("MsgType"), str):
        return 400, "bad request", "text/plain"
    reply = answer(msg, conf)
    if reply == SUCCESS:
        return 200, SUCCESS, "text/plain"
    return 200, conf.envelope.seal(reply, nonce) if encrypted else reply, "application/xml"


def answer(msg: dict, conf: CallbackSettings) -> str:
    """The reply for `msg`; a retry of a message already answered gets that same reply."""
    handler = route(msg)
    key = dedup_key(msg)
    try:
        outcome = run_handler(handler, msg, conf, key)
    except Exception:
        # Nothing claimed: WeChat's retry may succeed. The user never sees an error page.
        log.error("handler failed for %s", msg.get("MsgType"), exc_info=safe_exc_info())
        return SUCCESS
    try:
        previous = kv.claim(key, outcome.reply, DEDUP_TTL_SECONDS) if handler.claim else None
    except KV_UNAVAILABLE:
        # Redis is down: answer anyway. A reply is a function of the message, so a retry computes
        # the same one again; every effect is keyed in the database (outbox idempotency keys,
        # one follower row per openid), so running it again does nothing twice.
        log.warning("de-dup store unavailable; answering without it")
        previous = None
    if previous is not None:
        return previous
    if outcome.effects:
        app = current_app._get_current_object()
        for effect in outcome.effects:
            background().submit(in_app(app, effect))
    return outcome.reply


def run_handler(handler: Handler, msg: dict, conf: CallbackSettings, key: str) -> Outcome:
    if not handler.needs_db:
        return handler.run(msg, conf.context)
    app = current_app._get_current_object()
    future = background().submit(in_app(app, lambda: handler.run(msg, conf.context)))
    try:
        return future.result(timeout=conf.reply_budget)
    except FutureTimeout:
        openid = msg["FromUserName"]
        log.warning("handler over budget; answering later by customer-service message")
        return Outcome(SUCCESS, (lambda: future.add_done_callback(send_late(app, openid, key)),))


def send_late(app: Flask, openid: str, key: str) -> Callable[[Future], None]:
    def done(future: Future) -> None:
        if future.exception() is not None:
            return
        outcome: Outcome = future.result()
        if outcome.text:
            in_app(app, lambda: outbox.send_custom_text(openid, outcome.text, f"late:{key}"))()
    return done

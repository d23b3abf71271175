"""A fake WeChat API speaking the real protocol, under /_sim/api/ (API) and /_sim/connect/ (OAuth).

wechatpy is pointed here by WECHAT_API_BASE_URL / WECHAT_OAUTH_BASE_URL, so the production code
paths run unchanged. Tokens are checked (a stale token gets 40001), OAuth codes are single-use
with a 5-minute life, and faults can be injected: an error code for the next N calls of a path,
extra fields in the answer, added latency.
"""
from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request

bp = Blueprint("fake_api", __name__, url_prefix="/_sim")

TOKEN_LIFE = 7200
CODE_LIFE = 300


@dataclass
class Fault:
    path: str
    count: int
    errcode: int | None = None
    merge: dict = field(default_factory=dict)
    latency_ms: int = 0
    rate: float = 0.0  # when set: each call fails with this probability, for as long as the fault stays


@dataclass
class FakeWeChat:
    """All the fake's state, in this process (the simulator runs in the development server)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    token: str | None = None
    token_expires: float = 0.0
    ticket: str | None = None
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code → (openid, issued)
    used_codes: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    menu: dict | None = None
    sent: list[dict] = field(default_factory=list)  # template and customer-service messages
    users: dict[str, str] = field(default_factory=dict)  # openid → nickname
    sms: list[dict] = field(default_factory=list)  # what the simulator SMS provider "sent"
    client_msg_ids: dict[tuple, tuple[int, float]] = field(default_factory=dict)  # (openid, id) → (msgid, when)
    msgid_seq: int = 1000

    def count(self, path: str) -> None:
        with self.lock:
            self.calls[path] = self.calls.get(path, 0) + 1

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path != path:
                    continue
                if fault.rate:
                    if random.random() < fault.rate:
                        return fault
                    continue
                if fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    def current_token(self) -> str:
        with self.lock:
            if self.token is None or self.token_expires <= time.time():
                self.token, self.token_expires = secrets.token_urlsafe(48), time.time() + TOKEN_LIFE
            return self.token

    def issue_code(self, openid: str) -> str:
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = (openid, time.time())
        return code


def fake() -> FakeWeChat:
    return current_app.extensions.setdefault("fake_wechat", FakeWeChat())


def error(errcode: int, errmsg: str):
    return jsonify(errcode=errcode, errmsg=errmsg)


def api_call(path: str):
    """Common front of every fake endpoint: count, latency, injected faults, token check."""
    state = fake()
    state.count(path)
    fault = state.take_fault(path)
    if fault and fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault and fault.errcode is not None:
        return error(fault.errcode, f"injected fault {fault.errcode}"), fault
    if path.startswith("cgi-bin/") and path not in ("cgi-bin/token", "cgi-bin/stable_token"):
        if request.args.get("access_token") != state.current_token():
            return error(40001, "invalid credential, access_token is invalid or not latest"), fault
    return None, fault


def answer(payload: dict, fault: Fault | None):
    if fault and fault.merge:
        payload = {**payload, **fault.merge}
    return jsonify(payload)


def check_app() -> bool:
    cfg = current_app.config
    appid = request.args.get("appid") or (request.get_json(silent=True) or {}).get("appid")
    secret = request.args.get("secret") or (request.get_json(silent=True) or {}).get("secret")
    return appid == cfg["WECHAT_APP_ID"] and secret == cfg["WECHAT_APP_SECRET"]


@bp.route("/api/cgi-bin/stable_token", methods=["POST"])
def stable_token():
    refused, fault = api_call("cgi-bin/stable_token")
    if refused:
        return refused
    if not check_app():
        return error(40125, "invalid appsecret")
    state = fake()
    return answer({"access_token": state.current_token(), "expires_in": int(state.token_expires - time.time())}, fault)


@bp.get("/api/cgi-bin/token")
def token():
    refused, fault = api_call("cgi-bin/token")
    if refused:
        return refused
    if not check_app():
        return error(40125, "invalid appsecret")
    state = fake()
    return answer({"access_token": state.current_token(), "expires_in": TOKEN_LIFE}, fault)


@bp.get("/api/sns/oauth2/access_token")
def oauth_access_token():
    refused, fault = api_call("sns/oauth2/access_token")
    if refused:
        return refused
    if not check_app():
        return error(40125, "invalid appsecret")
    state, code = fake(), request.args.get("code", "")
    with state.lock:
        if code in state.used_codes:
            return error(40163, "code been used")
        issued = state.codes.pop(code, None)
        if issued is None:
            return error(40029, "invalid code")
        state.used_codes.add(code)
    openid, at = issued
    if time.time() - at > CODE_LIFE:
        return error(42003, "code expired")
    return answer({"access_token": secrets.token_urlsafe(32), "expires_in": 7200,
                   "refresh_token": secrets.token_urlsafe(32), "openid": openid, "scope": "snsapi_base",
                   "is_snapshotuser": 0}, fault)


def message_body() -> dict | None:
    """A send's JSON, or None for what WeChat refuses with 47001: not JSON, or no recipient. A sender
    killed while writing its request leaves a truncated body; WeChat delivers nothing for it."""
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) and isinstance(body.get("touser"), str) and body["touser"] else None


@bp.post("/api/cgi-bin/message/template/send")
def template_send():
    refused, fault = api_call("cgi-bin/message/template/send")
    if refused:
        return refused
    body = message_body()
    if body is None:
        return error(47001, "data format error")
    state = fake()
    with state.lock:
        # "对于同一个openid + client_msg_id, 只发送一条消息，10分钟有效": a resend is answered, not delivered.
        dedup = (body.get("touser"), body.get("client_msg_id"))
        if dedup[1] and dedup in state.client_msg_ids and time.time() - state.client_msg_ids[dedup][1] < 600:
            return answer({"errcode": 0, "errmsg": "ok", "msgid": state.client_msg_ids[dedup][0]}, fault)
        state.msgid_seq += 1
        msgid = state.msgid_seq
        if dedup[1]:
            state.client_msg_ids[dedup] = (msgid, time.time())
        state.sent.append({"kind": "template", "touser": body.get("touser"), "template_id": body.get("template_id"),
                           "url": body.get("url"), "data": body.get("data"), "msgid": msgid,
                           "client_msg_id": body.get("client_msg_id"), "at": time.time()})
    return answer({"errcode": 0, "errmsg": "ok", "msgid": msgid}, fault)


@bp.post("/api/cgi-bin/message/custom/send")
def custom_send():
    refused, fault = api_call("cgi-bin/message/custom/send")
    if refused:
        return refused
    body = message_body()
    if body is None:
        return error(47001, "data format error")
    state = fake()
    with state.lock:
        state.sent.append({"kind": "custom", "touser": body.get("touser"), "msgtype": body.get("msgtype"),
                           "content": (body.get("text") or {}).get("content"), "at": time.time()})
    return answer({"errcode": 0, "errmsg": "ok"}, fault)


@bp.post("/api/cgi-bin/menu/create")
def menu_create():
    refused, fault = api_call("cgi-bin/menu/create")
    if refused:
        return refused
    fake().menu = request.get_json(force=True, silent=True)
    return answer({"errcode": 0, "errmsg": "ok"}, fault)


@bp.get("/api/cgi-bin/menu/get")
def menu_get():
    refused, fault = api_call("cgi-bin/menu/get")
    if refused:
        return refused
    menu = fake().menu
    if menu is None:
        return error(46003, "menu no exist")
    return answer({"menu": menu}, fault)


@bp.get("/api/cgi-bin/ticket/getticket")
def getticket():
    refused, fault = api_call("cgi-bin/ticket/getticket")
    if refused:
        return refused
    state = fake()
    with state.lock:
        state.ticket = state.ticket or secrets.token_urlsafe(60)
    return answer({"errcode": 0, "errmsg": "ok", "ticket": state.ticket, "expires_in": 7200}, fault)


@bp.get("/connect/oauth2/authorize")
def authorize():
    """WeChat's authorize page. `snsapi_base` is silent: straight back to redirect_uri with a code."""
    if request.args.get("appid") != current_app.config["WECHAT_APP_ID"]:
        return render_template("simulator/authorize_error.html", message="appid 参数错误 (10003)"), 400
    openid = request.cookies.get("sim_openid")
    if not openid:
        return render_template("simulator/authorize_error.html",
                               message="模拟器：请先在 /_sim 选择一个测试用户，再点击菜单进入。"), 400
    code = fake().issue_code(openid)
    query = urlencode({"code": code, "state": request.args.get("state", "")})
    target = request.args.get("redirect_uri", "")
    return redirect(f"{target}{'&' if '?' in target else '?'}{query}")


# --- test controls (fault injection and inspection) -------------------------------------------

@bp.post("/api/_faults")
def add_fault():
    body = request.get_json(force=True, silent=True) or {}
    if not isinstance(body.get("path"), str):
        return jsonify(error="path is required"), 400
    fault = Fault(path=body["path"], count=int(body.get("count", 1)), errcode=body.get("errcode"),
                  merge=body.get("merge") or {}, latency_ms=int(body.get("latency_ms", 0)),
                  rate=float(body.get("rate", 0)))
    state = fake()
    with state.lock:
        state.faults.append(fault)
    return jsonify(ok=True)


@bp.delete("/api/_faults")
def clear_faults():
    state = fake()
    with state.lock:
        state.faults.clear()
    return jsonify(ok=True)


@bp.get("/api/_state")
def inspect_state():
    state = fake()
    with state.lock:
        return jsonify(calls=dict(state.calls), sent=list(state.sent), menu=state.menu)


@bp.get("/api/_stats")
def stats():
    """Counts for load tests: template messages accepted, and how many distinct client_msg_ids."""
    state = fake()
    with state.lock:
        templates = [m for m in state.sent if m["kind"] == "template"]
        seen: dict[tuple, dict] = {}
        twice = []  # a few messages delivered twice, with the first copy: what a load test needs to see why
        for m in templates:
            first = seen.setdefault((m["touser"], m["client_msg_id"]), m)
            if first is not m and len(twice) < 5:
                twice.append({"first": first, "again": m})
        return jsonify(calls=dict(state.calls), templates=len(templates), distinct=len(seen), twice=twice,
                       resends=state.calls.get("cgi-bin/message/template/send", 0) - len(templates))


@bp.post("/api/_reset")
def reset():
    current_app.extensions["fake_wechat"] = FakeWeChat()
    return jsonify(ok=True)


def create_standalone_app() -> Flask:
    """The fake API alone in its own process, for load tests (`make bench`, `make chaos`): the same
    endpoints and state as under the simulator, without the portal's request hooks (sessions,
    database, security headers), which would make the fake, not the sender, the thing measured."""
    import os
    from pathlib import Path

    app = Flask(__name__, template_folder=str(Path(__file__).resolve().parents[2] / "templates_mobile"))
    app.config.update(WECHAT_APP_ID=os.environ["WECHAT_APP_ID"], WECHAT_APP_SECRET=os.environ["WECHAT_APP_SECRET"])
    app.register_blueprint(bp)
    return app

"""WeChat web authorization (网页授权, silent `snsapi_base`): who is this browser's WeChat user?

`state` is a random single-use nonce kept in the signed session cookie, so a callback that did not
start here is refused. The code is exchanged once; the WeChat client sometimes calls the callback
twice with the same code (both requests carrying the cookie from before the first answer), so the
code → openid result is kept for its 5-minute life and a repeat gives the same result instead of
WeChat's 40163 "code been used". That cached result belongs to the browser session that started
the flow: it is keyed by the code *and* this session's state, so someone who sees a victim's code
(a shared link, a proxy log) cannot redeem it in a session of their own.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from urllib.parse import urlsplit

import requests
from flask import Blueprint, current_app, redirect, render_template, request, session
from wechatpy.exceptions import WeChatOAuthException

from wechat_app.auth import remember_openid
from wechat_app.extensions import kv
from wechat_app.kv import UNAVAILABLE as KV_UNAVAILABLE
from wechat_app.wechat.client import wechat

log = logging.getLogger("wechat.oauth")

bp = Blueprint("oauth", __name__, url_prefix="/wechat/oauth")

CODE_TTL_SECONDS = 300
DEFAULT_NEXT = "/m/"


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//evil`, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return DEFAULT_NEXT
    return target


def problem(title: str, detail: str, status: int):
    return render_template("oauth/problem.html", title=title, detail=detail), status


@bp.get("/entry")
def entry():
    state = secrets.token_hex(16)  # WeChat allows [a-zA-Z0-9] up to 128 bytes
    session["oauth_state"] = state
    session["oauth_next"] = safe_next(request.args.get("next"))
    callback = f"{current_app.config['PUBLIC_BASE_URL']}/wechat/oauth/callback"
    return redirect(wechat.oauth(callback, state).authorize_url)


@bp.get("/callback")
def callback():
    code, state = request.args.get("code", ""), request.args.get("state", "")
    fresh, used = matches(state, session.get("oauth_state")), matches(state, session.get("oauth_used_state"))
    if not (fresh or used):
        return problem("授权已失效", "请返回公众号，点击菜单【医师定考】›【定考入口】重新进入。", 400)
    if not code:
        return problem("未获得授权", "您取消了授权，或微信未返回授权码。请返回公众号重新进入。", 400)
    code_key = "oauth:code:" + hashlib.sha256(f"{state}:{code}".encode()).hexdigest()
    openid = remembered(code_key) or (exchange(code) if fresh else None)
    if openid is None:
        return problem("授权码已失效", "授权码只能使用一次且5分钟内有效。请返回公众号重新进入。", 400)
    if isinstance(openid, tuple):
        return problem(*openid)
    remember(code_key, openid)
    session.pop("oauth_state", None)
    session["oauth_used_state"] = state
    remember_openid(openid)
    return redirect(safe_next(session.get("oauth_next")))


# The code → openid cache only spares WeChat a second exchange when a page is reloaded; WeChat
# itself refuses a code used twice. With Redis down, sign-in through OAuth goes on without it.
def remembered(code_key: str) -> str | None:
    try:
        return kv.get(code_key)
    except KV_UNAVAILABLE:
        return None


def remember(code_key: str, openid: str) -> None:
    try:
        kv.set(code_key, openid, CODE_TTL_SECONDS)
    except KV_UNAVAILABLE:
        log.warning("OAuth code cache unavailable")


def matches(state: str, expected: str | None) -> bool:
    """Constant-time comparison with this session's state; ours are ASCII hex, so anything else
    (which `compare_digest` would refuse with a TypeError) is simply not ours."""
    return bool(expected) and state.isascii() and secrets.compare_digest(state, expected)


def exchange(code: str):
    """openid for a fresh code; None when WeChat refuses the code; (title, detail, status) otherwise."""
    oauth = wechat.oauth(f"{current_app.config['PUBLIC_BASE_URL']}/wechat/oauth/callback", "")
    try:
        result = oauth.fetch_access_token(code)
    except WeChatOAuthException as exc:
        if exc.errcode in (40029, 40163, 42003):
            return None
        log.warning("oauth code exchange refused: errcode %s", exc.errcode)
        return ("微信授权失败", "微信暂时无法完成授权，请稍后重试。", 502)
    except requests.RequestException:
        log.warning("oauth code exchange: WeChat unreachable")
        return ("微信服务繁忙", "暂时无法连接微信，请稍后重试。", 502)
    if str(result.get("is_snapshotuser", "0")) == "1":
        # 快照页 virtual users have an openid that is not the real user's: never bind one.
        return ("请在微信中打开", "当前为朋友圈快照页，无法识别您的身份。请点击页面底部“使用完整服务”后重试。", 403)
    return result.get("openid") or None

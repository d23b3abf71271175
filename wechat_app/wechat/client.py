"""The WeChat API client: one per process, tokens shared by every worker, bounded retries.

wechatpy 1.8.18 is used for the HTTP calls and the API surface, with four things fixed
(reference/wechat.md §2.4):
- the access token comes from `stable_token` (normal mode returns the same token while it is
  valid, so workers cannot invalidate each other), not the hard-coded `/cgi-bin/token` URL;
- the token and the jsapi_ticket live in the shared store with its TTL, and a lock makes one
  process refresh while the others wait and re-read (no cold-cache stampede);
- every HTTP call has a timeout (wechatpy's default is none);
- `auto_retry` is off (it recurses without bound on 40001); instead one retry of our own, after
  expiring the cached token only if it is still the one that failed (compare-and-expire).
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field

import requests
from flask import Flask, current_app
from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from wechat_app.kv import Backend

TOKEN_ERRORS = (40001, 40014, 42001)
HTTP_TIMEOUT = (3.05, 5)  # connect, read: well inside a gunicorn worker's 30 s
# Refresh a little before WeChat's expiry (stable_token guarantees ≥ 300 s of overlap).
EXPIRY_MARGIN_SECONDS = 120
REFRESH_BACKOFF_SECONDS = 5


class StoreSession(SessionStorage):
    """wechatpy's storage interface over our key-value store (Redis or process memory)."""

    def __init__(self, store: Backend, prefix: str = "wx") -> None:
        self.store, self.prefix = store, prefix

    def get(self, key, default=None):
        value = self.store.get(f"{self.prefix}:{key}")
        return default if value is None else json.loads(value)

    def set(self, key, value, ttl=None):
        if value is not None:
            self.store.set(f"{self.prefix}:{key}", json.dumps(value), ttl)

    def delete(self, key):
        self.store.delete(f"{self.prefix}:{key}")


class DingkaoClient(WeChatClient):
    def __init__(self, appid: str, secret: str, api_base_url: str, store: Backend, connections: int = 10) -> None:
        super().__init__(appid, secret, session=StoreSession(store), timeout=HTTP_TIMEOUT, auto_retry=False)
        self.store = store
        self.API_BASE_URL = f"{api_base_url}cgi-bin/"
        # requests keeps 10 connections per host; the outbox worker has OUTBOX_SEND_THREADS (32)
        # sends in flight, and every one past the tenth would open a TCP (and TLS) connection and
        # throw it away again ("Connection pool is full, discarding connection").
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, connections))
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)
        # requests reads the proxy settings from the environment on every call (a scan of os.environ,
        # a quarter of a send's CPU in the outbox worker): read them once here instead, for the one
        # host this client calls, so that NO_PROXY still applies to it.
        self._http.trust_env = False
        self._http.proxies.update(requests.utils.get_environ_proxies(self.API_BASE_URL))
        self._http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True

    def fetch_access_token(self) -> dict:
        """POST /cgi-bin/stable_token (normal mode); stores the token with its remaining life."""
        response = self._http.post(
            f"{self.API_BASE_URL}stable_token",
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                  "force_refresh": False},
            timeout=HTTP_TIMEOUT,
        )
        result = self._handle_result(response)
        ttl = max(int(result.get("expires_in", 7200)) - EXPIRY_MARGIN_SECONDS, 60)
        self.session.set(self.access_token_key, result["access_token"], ttl)
        return result

    @property
    def access_token(self) -> str:
        return self._cached(self.access_token_key, self.fetch_access_token)

    def _cached(self, key: str, refresh) -> str:
        value = self.session.get(key)
        if value:
            return value
        failed = f"wx:refresh-failed:{self.appid}:{key}"
        self.refuse_while_failing(failed)
        with self.store.lock(f"wx:refresh:{self.appid}:{key}", timeout=10):
            value = self.session.get(key)  # another process may have refreshed while we waited
            if not value:
                self.refuse_while_failing(failed)  # ... or failed to, while we waited for the lock
                try:
                    refresh()
                except (WeChatClientException, requests.RequestException):
                    # One failed fetch stands for all workers and nodes for a few seconds: when the
                    # token endpoint is down, a fan-out must not turn into a storm of token requests.
                    self.store.set(failed, "1", REFRESH_BACKOFF_SECONDS)
                    raise
                value = self.session.get(key)
        return value

    def refuse_while_failing(self, failed: str) -> None:
        if self.store.get(failed):  # the endpoint just failed: every sender waits, not asks again
            raise WeChatClientException(-1, "token endpoint unavailable; retried later")

    def _request(self, method, url_or_endpoint, **kwargs):
        params = dict(kwargs.pop("params", None) or {})
        data = kwargs.pop("data", None)
        token = params.get("access_token") or self.access_token
        try:
            return super()._request(method, url_or_endpoint, params={**params, "access_token": token},
                                    data=data, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS or "access_token" in params:
                raise
        # The token was refused: expire it only if nobody has replaced it meanwhile, then retry once.
        self.store.delete_if_equals(f"wx:{self.access_token_key}", json.dumps(token))
        return super()._request(method, url_or_endpoint, params={**params, "access_token": self.access_token},
                                data=data, **kwargs)

    def jsapi_ticket(self) -> str:
        key = f"{self.appid}_jsapi_ticket"

        def refresh():
            result = self.jsapi.get_ticket("jsapi")
            ttl = max(int(result.get("expires_in", 7200)) - EXPIRY_MARGIN_SECONDS, 60)
            self.session.set(key, result["ticket"], ttl)

        return self._cached(key, refresh)


class DingkaoOAuth(WeChatOAuth):
    """Built per request: wechatpy keeps per-user state on the instance. Adds the missing timeout."""

    def __init__(self, app_id, secret, redirect_uri, state, api_base_url, oauth_base_url):
        super().__init__(app_id, secret, redirect_uri, scope="snsapi_base", state=state)
        self.API_BASE_URL = api_base_url
        self.OAUTH_BASE_URL = oauth_base_url

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super()._request(method, url_or_endpoint, **kwargs)


@dataclass
class _Holder:
    client: DingkaoClient | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class WeChatExtension:
    """`wechat.client`: the process's client, built on first use (after gunicorn forks)."""

    def init_app(self, app: Flask) -> None:
        app.extensions["wechat"] = _Holder()

    @property
    def client(self) -> DingkaoClient:
        holder: _Holder = current_app.extensions["wechat"]
        if holder.client is None:
            with holder.lock:
                if holder.client is None:
                    cfg = current_app.config
                    holder.client = DingkaoClient(cfg["WECHAT_APP_ID"], cfg["WECHAT_APP_SECRET"],
                                                  cfg["WECHAT_API_BASE_URL"], current_app.extensions["kv"],
                                                  connections=cfg.get("OUTBOX_SEND_THREADS", 10))
        return holder.client

    def oauth(self, redirect_uri: str, state: str) -> DingkaoOAuth:
        cfg = current_app.config
        return DingkaoOAuth(cfg["WECHAT_APP_ID"], cfg["WECHAT_APP_SECRET"], redirect_uri, state,
                            cfg["WECHAT_API_BASE_URL"], cfg["WECHAT_OAUTH_BASE_URL"])

    def jssdk_config(self, url: str) -> dict:
        """wx.config() parameters for a page; the signature covers the URL without its `#...`."""
        client = self.client
        page = url.split("#", 1)[0]
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        signature = client.jsapi.get_jsapi_signature(nonce, client.jsapi_ticket(), timestamp, page)
        return {"appId": client.appid, "timestamp": timestamp, "nonceStr": nonce, "signature": signature}


wechat = WeChatExtension()  # bound by create_app; the one WeChat API client per application

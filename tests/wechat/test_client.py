"""The WeChat API client against the fake API: stable_token, one fetch under a cold-cache
stampede, bounded compare-and-expire retry, jsapi ticket and JS-SDK config, menu sync."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from wechat_app.wechat.client import DingkaoClient, wechat
from wechat_app.wechat.menu import build_menu, menu_problems


def test_token_comes_from_stable_token(app, fake_wechat):
    with app.app_context():
        token = wechat.client.access_token
    assert token == fake_wechat.token
    assert fake_wechat.calls == {"cgi-bin/stable_token": 1}


def test_cold_cache_stampede_of_threads_fetches_once(app, fake_wechat):
    barrier = threading.Barrier(8)
    tokens = []
    config = app.config

    def worker():
        with app.app_context():
            # One client per thread, as if each were a separate worker sharing the store.
            client = DingkaoClient(config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"],
                                   config["WECHAT_API_BASE_URL"], app.extensions["kv"])
            barrier.wait()
            tokens.append(client.access_token)
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 8
    assert fake_wechat.calls["cgi-bin/stable_token"] == 1


def _fetch_in_process(redis_url, api_base, appid, secret, barrier, results):
    from wechat_app.kv import RedisBackend

    client = DingkaoClient(appid, secret, api_base, RedisBackend(redis_url))
    barrier.wait()
    results.put(client.access_token)


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="processes share tokens only through Redis")
def test_cold_cache_stampede_of_processes_fetches_once(app, fake_wechat):
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    config = app.config
    args = (config["REDIS_URL"], config["WECHAT_API_BASE_URL"], config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"],
            barrier, results)
    processes = [context.Process(target=_fetch_in_process, args=args) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(20)
    tokens = {results.get(timeout=5) for _ in processes}
    assert len(tokens) == 1
    assert fake_wechat.calls["cgi-bin/stable_token"] == 1


def test_a_refused_token_is_expired_and_the_call_retried_once(app, fake_wechat, live):
    with app.app_context():
        client = wechat.client
        client.access_token
        requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/menu/get", "errcode": 40001})
        fake_wechat.menu = {"button": []}
        assert client.menu.get() == {"menu": {"button": []}}
    assert fake_wechat.calls["cgi-bin/menu/get"] == 2


def test_retry_is_bounded_when_the_token_keeps_being_refused(app, fake_wechat, live):
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/menu/get", "errcode": 40001, "count": 100})
    with app.app_context():
        with pytest.raises(WeChatClientException) as caught:
            wechat.client.menu.get()
    assert caught.value.errcode == 40001
    assert fake_wechat.calls["cgi-bin/menu/get"] == 2


def test_compare_and_expire_keeps_a_token_another_worker_refreshed(app, fake_wechat):
    with app.app_context():
        client = wechat.client
        client.access_token
        store = app.extensions["kv"]
        key = f"wx:{client.access_token_key}"
        store.set(key, '"newer-token"', 600)
        assert not store.delete_if_equals(key, '"stale-token"')
        assert store.get(key) == '"newer-token"'


def test_other_errors_are_not_retried(app, fake_wechat, live):
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/menu/get", "errcode": 45009})
    with app.app_context():
        with pytest.raises(WeChatClientException):
            wechat.client.menu.get()
    assert fake_wechat.calls["cgi-bin/menu/get"] == 1


def test_jssdk_config_signs_the_page_url_without_fragment(client, live, fake_wechat):
    page = f"{live}/m/?a=1#/step/2"
    config = client.get("/wechat/jssdk/config", query_string={"url": page}).get_json()
    expected = hashlib.sha1(
        f"jsapi_ticket={fake_wechat.ticket}&noncestr={config['nonceStr']}&timestamp={config['timestamp']}"
        f"&url={live}/m/?a=1".encode()).hexdigest()
    assert config["signature"] == expected and config["appId"] == "wxsimulator0000001"
    client.get("/wechat/jssdk/config", query_string={"url": page})
    assert fake_wechat.calls["cgi-bin/ticket/getticket"] == 1  # cached


def test_jssdk_config_refuses_foreign_pages(client):
    response = client.get("/wechat/jssdk/config", query_string={"url": "https://evil.example/"})
    assert response.status_code == 400 and "本站" in response.get_json()["error"]


def test_jssdk_config_when_wechat_is_down(client, live):
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/ticket/getticket", "errcode": -1})
    response = client.get("/wechat/jssdk/config", query_string={"url": f"{live}/m/"})
    assert response.status_code == 503


def test_menu_fits_wechat_limits_and_syncs(app, fake_wechat):
    menu = build_menu(app.config["PUBLIC_BASE_URL"])
    assert menu_problems(menu) == []
    names = [sub["name"] for top in menu["button"] for sub in top["sub_button"]]
    assert names[:4] == ["定考入口", "我的状态", "定考培训", "考核结果"]
    assert names[4:] == ["常见问题", "在线客服", "操作手册"]
    result = app.test_cli_runner().invoke(args=["wechat", "sync-menu"])
    assert result.exit_code == 0, result.output
    assert fake_wechat.menu == menu


def test_menu_limits_are_checked():
    too_long = {"button": [{"name": "医师定考医师定考", "sub_button": [{"type": "click", "name": "x", "key": "k" * 129}]}]}
    assert len(menu_problems(too_long)) == 2


def test_a_failed_token_fetch_holds_back_every_sender_for_a_few_seconds(app, fake_wechat, live):
    """The token endpoint down during a fan-out: one request, then every sender (any thread, worker
    or node sharing the store) is told to retry later instead of asking again."""
    requests.post(f"{live}/_sim/api/_faults", json={"path": "cgi-bin/stable_token", "errcode": -1, "count": 100})
    config, refused = app.config, []

    def sender():  # a thread of a worker, with the other senders waiting on the refresh lock
        with app.app_context():
            client = DingkaoClient(config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"], config["WECHAT_API_BASE_URL"],
                                   app.extensions["kv"])
            try:
                client.access_token
            except WeChatClientException:
                refused.append(1)
    threads = [threading.Thread(target=sender) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 12 and fake_wechat.calls["cgi-bin/stable_token"] == 1
    with app.app_context():
        for _ in range(5):
            with pytest.raises(WeChatClientException):
                wechat.client.access_token
        assert fake_wechat.calls["cgi-bin/stable_token"] == 1
        app.extensions["kv"].delete(f"wx:refresh-failed:{app.config['WECHAT_APP_ID']}:{wechat.client.access_token_key}")
        requests.delete(f"{live}/_sim/api/_faults")  # REFRESH_BACKOFF_SECONDS (5 s) later: the endpoint is back
        assert wechat.client.access_token == fake_wechat.token
    assert fake_wechat.calls["cgi-bin/stable_token"] == 2


def test_proxy_settings_are_read_once_and_no_proxy_still_applies(monkeypatch):
    """The client reads the environment's proxies when it is made, not on every call; NO_PROXY keeps
    its meaning for the API host (a proxy in production, the local fake in tests)."""
    from wechat_app.kv import MemoryBackend

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = DingkaoClient("wx1", "s", "https://api.weixin.qq.com/", MemoryBackend())
    assert proxied._http.proxies.get("https") == "http://proxy.example:3128" and proxied._http.trust_env is False
    monkeypatch.setenv("NO_PROXY", "api.weixin.qq.com")
    direct = DingkaoClient("wx1", "s", "https://api.weixin.qq.com/", MemoryBackend())
    assert "https" not in direct._http.proxies

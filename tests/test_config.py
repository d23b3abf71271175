"""Configuration: production refuses to start without its secrets and never has the simulator."""
from __future__ import annotations

import pytest

from config import ProductionConfig, config_for
from wechat_app import create_app

PRODUCTION_ENV = {
    "SECRET_KEY": "s" * 32, "DATABASE_URL": "sqlite://", "WECHAT_APP_ID": "wx1234567890abcdef",
    "WECHAT_APP_SECRET": "secret", "WECHAT_TOKEN": "token", "PUBLIC_BASE_URL": "https://dk.example.cn",
    "REDIS_URL": "redis://127.0.0.1:1/14", "SMS_PROVIDER": "tests.test_config:NoSms",
    "PII_KEY": "q" * 43, "PII_INDEX_KEY": "r" * 43,
}


class NoSms:
    def __init__(self, config) -> None:
        self.config = config


def test_production_refuses_to_start_without_secrets(monkeypatch):
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig())


def test_production_has_no_simulator_and_secure_cookies(monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    app = create_app(ProductionConfig())
    assert not any(rule.rule.startswith("/_sim") for rule in app.url_map.iter_rules())
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["WECHAT_API_BASE_URL"] == "https://api.weixin.qq.com/"
    assert app.test_client().get("/_sim").status_code == 404


def test_unknown_app_env_is_an_error():
    with pytest.raises(RuntimeError, match="APP_ENV"):
        config_for("staging")


@pytest.mark.parametrize("name, value, complaint", [
    ("SECRET_KEY", "short-secret", "SECRET_KEY of at least 32"), ("REDIS_URL", "", "REDIS_URL"),
    ("SMS_PROVIDER", "", "SMS_PROVIDER"), ("SMS_PROVIDER", "simulator", "SMS_PROVIDER"),
    ("CAPTCHA_FIXED_ANSWER", "ABCD", "CAPTCHA_FIXED_ANSWER"),
])
def test_production_refuses_weak_or_per_process_settings(monkeypatch, name, value, complaint):
    for key, setting in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, setting)
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=complaint):
        create_app(ProductionConfig())


def test_security_headers(client):
    response = client.get("/wechat/oauth/callback")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "res.wx.qq.com" in script_src and "unsafe-inline" not in script_src
    assert "Strict-Transport-Security" not in response.headers  # plain http
    secure = client.get("/m/faq", base_url="https://dk.example.cn")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_carries_an_inline_script_or_handler():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for template in [*root.glob("templates_mobile/**/*.html"), *root.glob("wechat_app/**/templates/**/*.html")]:
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text, template


def test_forwarded_headers_are_believed_only_from_configured_proxies(make_app):
    app = make_app()
    seen = app.test_client().get("/m/faq", headers={"X-Forwarded-For": "6.6.6.6"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert seen.status_code == 200
    with app.test_request_context("/", headers={"X-Forwarded-For": "6.6.6.6"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        from wechat_app.auth import client_ip

        assert client_ip() == "10.0.0.9"  # PROXY_HOPS=0: the header is anyone's to forge

    proxied = make_app(PROXY_HOPS=1)
    calls = []
    proxied.before_request(lambda: calls.append(__import__("flask").request.remote_addr))
    proxied.test_client().get("/m/faq", headers={"X-Forwarded-For": "6.6.6.6, 7.7.7.7"},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert calls == ["7.7.7.7"]  # one hop: the address our own proxy saw


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_a_fixed_captcha_in_development_lets_a_script_sign_in(make_app):
    app = make_app(CAPTCHA_FIXED_ANSWER="abcd")
    client = app.test_client()
    client.get("/m/captcha.png")
    with client.session_transaction() as session:
        captcha_id = session["captcha_id"]
    from wechat_app.domain import verification

    with app.app_context():
        assert verification.check_captcha(captcha_id, "ABCD")


def test_the_simulators_polls_stay_out_of_the_log():
    import logging

    from wechat_app.logconfig import not_a_simulator_poll

    def line(path: str) -> logging.LogRecord:
        return logging.LogRecord("werkzeug", logging.INFO, "", 0, '127.0.0.1 - - [x] "%s" 200 -', (f"GET {path} HTTP/1.1",), None)

    assert not not_a_simulator_poll(line("/_sim/sms?openid=o1")) and not not_a_simulator_poll(line("/_sim/messages"))
    assert not_a_simulator_poll(line("/m/registration/step/1")) and not_a_simulator_poll(line("/_sim/send"))


def test_a_typed_reason_ends_with_one_full_stop():
    from wechat_app import sentence

    assert sentence("照片不清晰") == "照片不清晰。" and sentence("照片不清晰。") == "照片不清晰。" and sentence("") == ""

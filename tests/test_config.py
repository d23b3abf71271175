"""Configuration: production refuses to start without its secrets and never has the simulator."""
from __future__ import annotations

import pytest

from config import ProductionConfig, config_for
from wechat_app import create_app

PRODUCTION_ENV = {
    "SECRET_KEY": "s" * 32, "DATABASE_URL": "sqlite://", "WECHAT_APP_ID": "wx1234567890abcdef",
    "WECHAT_APP_SECRET": "secret", "WECHAT_TOKEN": "token", "PUBLIC_BASE_URL": "https://dk.example.cn",
}


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


def test_security_headers(client):
    response = client.get("/wechat/oauth/callback")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "res.wx.qq.com" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)

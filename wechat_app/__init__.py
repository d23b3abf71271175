"""定考通: the Flask application factory. Read it as the table of contents of the service."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, config_for
from wechat_app.links import oauth_entry

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | None = None) -> Flask:
    load_dotenv(ROOT / ".env")
    config = config or config_for(os.environ.get("APP_ENV", "production"))
    refuse_incomplete(config)
    app = Flask(__name__, template_folder=str(ROOT / "templates_mobile"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    app.config.from_object(config)
    app.jinja_env.finalize = lambda value: "" if value is None else value  # a missing value shows as blank
    app.jinja_env.globals["oauth_entry"] = oauth_entry
    app.jinja_env.filters["sentence"] = sentence
    if config.PROXY_HOPS:  # believe X-Forwarded-* only from the configured proxies (config.py)
        hops = config.PROXY_HOPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # The application's modules are imported when an app is built, not when the package is: importing
    # any `wechat_app.x` (models in a migration, a pure helper in a test) must not load them all.
    from wechat_app import (
        auth,
        cli,
        database,
        errors,
        face,
        inputs,
        logconfig,
        outbox_worker,
        pii,
        security,
        storage,
        verifier_worker,
    )
    from wechat_app.portal import home_cache
    from wechat_app.wechat.callback import PushEndpoint

    app.wsgi_app = PushEndpoint(app, app.wsgi_app)  # POST /wechat, before any of Flask's machinery

    logconfig.configure(app)
    pii.init_app(app)
    register_extensions(app)
    storage.init_app(app)
    face.init_app(app)
    inputs.install_converters(app)
    register_blueprints(app)
    home_cache.init_app(app)
    inputs.register(app)
    database.register(app)
    auth.register(app)
    errors.register(app)
    security.register(app)
    cli.register(app)
    if app.config["OUTBOX_INLINE_WORKER"]:
        outbox_worker.start_inline(app)
        verifier_worker.start_inline(app)
    return app


def sentence(text: str | None) -> str:
    """A reason typed by a person, ended with one 。 however it was typed ("照片不清晰" or "照片不清晰。")."""
    text = (text or "").strip()
    return text if not text or text.endswith(("。", "！", "？", ".", "!", "?")) else text + "。"


def refuse_incomplete(config: Config) -> None:
    """Production refuses to start without its secrets (fail here, not at the first request)."""
    missing = config.missing()
    if missing:
        raise RuntimeError(f"APP_ENV={config.APP_ENV} needs: {', '.join(missing)}")


def register_extensions(app: Flask) -> None:
    from wechat_app import clock, database, models  # noqa: F401  (models: registers them with the metadata)
    from wechat_app.extensions import csrf, db, kv, limiter, migrate
    from wechat_app.wechat import callback
    from wechat_app.wechat.client import wechat

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    kv.init_app(app)
    wechat.init_app(app)
    callback.init_app(app)
    if app.config.get("APP_NOW") and app.config["APP_ENV"] != "production":
        from datetime import datetime

        clock.freeze(datetime.fromisoformat(app.config["APP_NOW"]))


def register_blueprints(app: Flask) -> None:
    from wechat_app import console
    from wechat_app.extensions import csrf, limiter
    from wechat_app.portal import exams, registration, study
    from wechat_app.portal import views as portal
    from wechat_app.wechat import callback, jssdk, oauth

    # WeChat's servers post signed XML, not forms: signature, not CSRF token, authenticates them,
    # and their bursts must never be rate-limited away.
    csrf.exempt(callback.bp)
    limiter.exempt(callback.bp)
    app.register_blueprint(callback.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(jssdk.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(registration.bp)
    app.register_blueprint(exams.bp)
    app.register_blueprint(study.bp)
    app.register_blueprint(console.bp)
    if app.config["SIMULATOR_ENABLED"] and app.config["APP_ENV"] != "production":
        from wechat_app.simulator import fake_api
        from wechat_app.simulator import views as simulator

        for blueprint in (fake_api.bp, simulator.bp):  # development tools speaking JSON, not forms
            csrf.exempt(blueprint)
            limiter.exempt(blueprint)
        app.register_blueprint(fake_api.bp)
        app.register_blueprint(simulator.bp)

"""Configuration classes, read from the environment when `create_app` asks for them.

Nothing here runs at import time beyond defining classes: `config_for(env)` builds a config
object from `os.environ` (after `.env` has been loaded by the factory), so tests can set the
environment before building an app and production fails fast in the factory, not at import.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# The real WeChat hosts; the simulator and the tests point these at /_sim/api/ instead.
WECHAT_API_BASE_URL = "https://api.weixin.qq.com/"
WECHAT_OAUTH_BASE_URL = "https://open.weixin.qq.com/connect/"


# The notices the outbox sends as template messages (template ids from WECHAT_TEMPLATE_<KEY>).
TEMPLATE_KEYS = ("account_notice", "registration_rejected", "registration_approved", "exemption_result",
                 "exam_notice", "exam_reminder", "assessment_result")


class Config:
    APP_ENV = "production"
    TESTING = False
    DEBUG = False
    SIMULATOR_ENABLED = False
    REQUIRED: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.read_services()
        self.read_web()
        self.read_keys()

    def read_services(self) -> None:
        """Where the database, Redis, WeChat and the public site are."""
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY", "")
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL") or self.default_database_url()
        self.REDIS_URL = env("REDIS_URL", "")
        self.WECHAT_APP_ID = env("WECHAT_APP_ID", "")
        self.WECHAT_APP_SECRET = env("WECHAT_APP_SECRET", "")
        self.WECHAT_TOKEN = env("WECHAT_TOKEN", "")
        self.WECHAT_ENCODING_AES_KEY = env("WECHAT_ENCODING_AES_KEY", "")
        self.WECHAT_API_BASE_URL = env("WECHAT_API_BASE_URL", WECHAT_API_BASE_URL)
        self.WECHAT_OAUTH_BASE_URL = env("WECHAT_OAUTH_BASE_URL", WECHAT_OAUTH_BASE_URL)
        self.PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.UPLOAD_DIR = env("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
        self.SUPPORT_PHONE = env("SUPPORT_PHONE", "400-0555-699")
        # Seconds the callback waits for a handler that needs the database before it answers
        # `success` and sends the real answer later as a customer-service message (WeChat's
        # budget is 5 s for the whole round trip, network included).
        self.WECHAT_REPLY_BUDGET = float(env("WECHAT_REPLY_BUDGET", "3.0"))

    def read_web(self) -> None:
        """The engine, the cookies, the limits and the clock."""
        env = os.environ.get
        # No pre-ping (a round trip on every checkout, the largest cost of a page); connections are
        # recycled well before PostgreSQL or a proxy would drop them, and a dropped one is
        # invalidated by SQLAlchemy on its first error.
        # hide_parameters: a database error's message carries the statement's parameters (ID numbers,
        # birth dates) into tracebacks and logs; only a developer's own machine shows them.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800, "hide_parameters": True}
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.MAX_CONTENT_LENGTH = 16 * 1024 * 1024
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis down: each process counts on its own until Redis answers again (fail open, but
        # bounded per process); sign-in itself fails closed on the lockout counters (errors.py).
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # Off only for load tests from one address (make bench); never in production.
        self.RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", "true").lower() != "false"
        # Demo clock: "2026-04-20T10:00:00" freezes the application's clock (development only).
        self.APP_NOW = env("APP_NOW", "")
        self.SMS_PROVIDER = env("SMS_PROVIDER", "")
        self.OUTBOX_INLINE_WORKER = False
        # How many proxies in front of us may be believed about the client's address and scheme
        # (X-Forwarded-For/-Proto/-Host). 0: none, the socket's peer is the client; a header sent by
        # anyone else would let them choose the address that rate limits and the audit log see.
        self.PROXY_HOPS = int(env("PROXY_HOPS", "0") or 0)
        # A console list's total at or above this many rows is kept for a minute and shown as 约 (counting
        # a province's list is most of its page's cost: domain/paging.py); 0 counts every time.
        self.LIST_COUNT_KEPT_ABOVE = int(env("LIST_COUNT_KEPT_ABOVE", "5000") or 0)
        # How a face is checked before a real exam (wechat_app/face.py): dlib on this server, or staff.
        self.FACE_VERIFIER = env("FACE_VERIFIER", "dlib")
        # A real attempt needs a face check; this many refusals send the next one to staff review.
        self.FACE_MAX_TRIES = int(env("FACE_MAX_TRIES", "3") or 3)
        # Checks a second the verifier workers judge together (docs/capacity.md: ~2.5 per core): tells a
        # waiting page when to ask again, so 2,000 pages polling at 09:00 do not crowd out the answers.
        self.FACE_CHECKS_PER_SECOND = float(env("FACE_CHECKS_PER_SECOND", "5") or 5)
        # Face frames of checks and of papers are deleted this many days after their arrangement's window
        # closed (`flask exams prune-faces`; README › Security). Registration photos stay with the registration.
        self.FACE_RETENTION_DAYS = int(env("FACE_RETENTION_DAYS", "90") or 90)
        # The movements a face check may ask for (wechat_app/face.py CHALLENGES), one at random per check.
        self.FACE_CHALLENGES = [name.strip() for name in env("FACE_CHALLENGES", "turn,mouth,blink").split(",")
                                if name.strip()]
        # Development and scripted demos only: every captcha is this text (production refuses to start).
        self.CAPTCHA_FIXED_ANSWER = env("CAPTCHA_FIXED_ANSWER", "")
        # A claimed outbox row is another worker's again after this long (domain/outbox.py): shorter
        # than WeChat's 10-minute client_msg_id window; `make chaos` shortens it to watch a recovery.
        self.OUTBOX_LEASE_SECONDS = int(env("OUTBOX_LEASE_SECONDS", "300") or 300)
        # Deliveries in flight per outbox worker: at WeChat's ~80 ms a message, 32 are ~400 a second.
        self.OUTBOX_SEND_THREADS = int(env("OUTBOX_SEND_THREADS", "32") or 32)
        # 错题本: a question leaves after this many right answers in a row.
        self.WRONG_BOOK_STREAK = int(env("WRONG_BOOK_STREAK", "2") or 2)

    def read_keys(self) -> None:
        """Keys for personal data and the template message ids."""
        env = os.environ.get
        # Keys for personal data at rest (wechat_app/pii.py): comma-separated, the first is current.
        # Development and tests derive fixed keys when these are empty; production requires both.
        self.PII_KEY = env("PII_KEY", "")
        self.PII_INDEX_KEY = env("PII_INDEX_KEY", "")
        # Template message ids, one per notice kind: WECHAT_TEMPLATE_ACCOUNT_NOTICE=..., etc.
        for name, value in os.environ.items():
            if name.startswith("WECHAT_TEMPLATE_"):
                setattr(self, name, value)

    @staticmethod
    def default_database_url() -> str:
        return f"sqlite:///{BASE_DIR / 'instance' / 'dingkao.db'}"

    def missing(self) -> list[str]:
        """What keeps this configuration from starting: unset required settings, and weak ones."""
        return [name for name in self.REQUIRED if not getattr(self, name)]


class DevelopmentConfig(Config):
    APP_ENV = "development"
    DEBUG = True
    SIMULATOR_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        # Development talks to the simulator unless real credentials are given.
        self.SECRET_KEY = self.SECRET_KEY or "dev-secret-not-for-production"
        self.WECHAT_APP_ID = self.WECHAT_APP_ID or "wxsimulator0000001"
        self.WECHAT_APP_SECRET = self.WECHAT_APP_SECRET or "simulator-secret"
        self.WECHAT_TOKEN = self.WECHAT_TOKEN or "simulatortoken"
        if "WECHAT_API_BASE_URL" not in os.environ:
            self.WECHAT_API_BASE_URL = f"{self.PUBLIC_BASE_URL}/_sim/api/"
        if "WECHAT_OAUTH_BASE_URL" not in os.environ:
            self.WECHAT_OAUTH_BASE_URL = f"{self.PUBLIC_BASE_URL}/_sim/connect/"
        self.SMS_PROVIDER = self.SMS_PROVIDER or "simulator"
        self.SQLALCHEMY_ENGINE_OPTIONS = {**self.SQLALCHEMY_ENGINE_OPTIONS, "hide_parameters": False}
        self.OUTBOX_INLINE_WORKER = os.environ.get("OUTBOX_INLINE_WORKER", "1") != "0"
        for key in TEMPLATE_KEYS:
            name = f"WECHAT_TEMPLATE_{key.upper()}"
            setattr(self, name, getattr(self, name, "") or f"sim_tpl_{key}")


class TestingConfig(DevelopmentConfig):
    APP_ENV = "testing"
    TESTING = True
    DEBUG = False

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
        self.REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.WTF_CSRF_ENABLED = True
        self.UPLOAD_DIR = ""  # each test app gets a temporary directory
        self.OUTBOX_INLINE_WORKER = False  # tests drain the outbox themselves
        # The tests' camera clips are made from still portraits, which can be turned (tests/helpers.py
        # turned_face) but cannot open a mouth or blink; those two are judged from landmarks in test_face.
        self.FACE_CHALLENGES = ["turn"]
        self.SQLALCHEMY_ENGINE_OPTIONS = {**self.SQLALCHEMY_ENGINE_OPTIONS, "hide_parameters": True}


class ProductionConfig(Config):
    REQUIRED: tuple[str, ...] = (
        "SECRET_KEY",
        "SQLALCHEMY_DATABASE_URI",
        "WECHAT_APP_ID",
        "WECHAT_APP_SECRET",
        "WECHAT_TOKEN",
        "PUBLIC_BASE_URL",
        "PII_KEY",
        "PII_INDEX_KEY",
    )

    def __init__(self) -> None:
        super().__init__()
        if not os.environ.get("DATABASE_URL"):
            self.SQLALCHEMY_DATABASE_URI = ""
        self.SESSION_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"

    def missing(self) -> list[str]:
        problems = super().missing()
        if self.SECRET_KEY and len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY of at least 32 characters")
        # Several workers with per-process rate limits, lockouts and SMS intervals have no limits.
        if not self.REDIS_URL:
            problems.append("REDIS_URL (rate limits, lockouts and codes shared by all workers)")
        if self.CAPTCHA_FIXED_ANSWER:
            problems.append("no CAPTCHA_FIXED_ANSWER (a development setting: every captcha would be known)")
        # The simulator provider logs nothing but shows codes in /_sim: never in production.
        if self.SMS_PROVIDER in ("", "simulator"):
            problems.append("SMS_PROVIDER (a real gateway, package.module:Class)")
        return problems


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(app_env: str) -> Config:
    """The config object for APP_ENV; an unknown name is an error, not a silent default."""
    try:
        return CONFIGS[app_env]()
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {app_env!r}") from None

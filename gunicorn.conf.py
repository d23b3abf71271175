"""gunicorn settings for production; override any of them with GUNICORN_* environment variables.

Loopback unless told otherwise: the app is meant to sit behind nginx (or another proxy on the same
host), and `PROXY_HOPS` says how many proxies' `X-Forwarded-*` headers to believe. Bind to a public
address only on purpose (GUNICORN_BIND=0.0.0.0:8000, with PROXY_HOPS=0 if nothing is in front).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# The path without its query string (%(U)s, not %(r)s or %(q)s): OAuth codes and states, signatures
# and search terms travel in query strings and must not reach a log line.
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"


def post_worker_init(worker):
    """Move everything loaded at start-up (SQLAlchemy, Jinja, wechatpy...) out of the garbage
    collector's reach: full collections then only scan what requests allocate."""
    import gc

    gc.freeze()


def worker_exit(server, worker):
    """Let the callback's side effects already started finish before the worker goes."""
    from wechat_app.wechat.callback import finish_background

    finish_background()

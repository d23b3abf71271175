"""gunicorn settings for production; override any of them with GUNICORN_* environment variables."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"


def post_worker_init(worker):
    """Move everything loaded at start-up (SQLAlchemy, Jinja, wechatpy...) out of the garbage
    collector's reach: full collections then only scan what requests allocate."""
    import gc

    gc.freeze()

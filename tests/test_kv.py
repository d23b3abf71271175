"""The key-value store's atomic operations, on process memory and (with TEST_REDIS_URL) on Redis."""
from __future__ import annotations

import threading

from wechat_app.extensions import kv


def test_claim_stores_once_and_returns_the_first_value(app):
    with app.app_context():
        assert kv.claim("t:claim", "first", 60) is None
        assert kv.claim("t:claim", "second", 60) == "first"
        assert kv.get("t:claim") == "first"


def test_claim_is_atomic_under_threads(app):
    winners = []
    barrier = threading.Barrier(8)

    def contender(i):
        with app.app_context():
            barrier.wait()
            if kv.claim("t:race", f"v{i}", 60) is None:
                winners.append(i)
    threads = [threading.Thread(target=contender, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_delete_if_equals_and_incr(app):
    with app.app_context():
        kv.set("t:tok", "a", 60)
        assert not kv.delete_if_equals("t:tok", "b") and kv.get("t:tok") == "a"
        assert kv.delete_if_equals("t:tok", "a") and kv.get("t:tok") is None
        assert [kv.incr("t:n", 60) for _ in range(3)] == [1, 2, 3]


def test_ttl_expires(app):
    import time

    with app.app_context():
        kv.set("t:short", "x", 1)
        time.sleep(1.1)
        assert kv.get("t:short") is None

"""A small key-value store: Redis when `REDIS_URL` is set, process memory otherwise.

It serves the callback de-duplication, the WeChat token and ticket cache with its refresh lock,
captcha and SMS codes. Every operation that must be atomic across gunicorn workers is one Redis
round trip (a Lua script where plain commands would need two).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from flask import Flask, current_app
from redis import exceptions as redis_errors

# Returns the value already stored, or stores ARGV[1] with a TTL and returns false: the fallback for
# Redis older than 7, which has no `SET ... NX GET` (one plain command, cheaper for the server).
_CLAIM_LUA = """
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""

_DELETE_IF_EQUALS_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


# Redis did not answer (stopped, restarting, unreachable): what a caller that can go on without the
# store catches, and what errors.py turns into the 503 page for one that cannot.
UNAVAILABLE = (redis_errors.ConnectionError, redis_errors.TimeoutError)


class Backend(Protocol):
    def get(self, key: str) -> str | None: ...
    def get_many(self, keys: list[str]) -> list[str | None]: ...
    def set(self, key: str, value: str, ttl: int | None = None) -> None: ...
    def delete(self, key: str) -> None: ...
    def take(self, key: str) -> str | None: ...
    def claim(self, key: str, value: str, ttl: int) -> str | None: ...
    def delete_if_equals(self, key: str, value: str) -> bool: ...
    def incr(self, key: str, ttl: int) -> int: ...
    def lock(self, name: str, timeout: float) -> contextmanager: ...


class MemoryBackend:
    """One process's store: fine for the embedded default and for tests; not shared by workers."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._mutex = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    def get(self, key: str) -> str | None:
        with self._mutex:
            return self._live(key)

    def get_many(self, keys: list[str]) -> list[str | None]:
        with self._mutex:
            return [self._live(key) for key in keys]

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        with self._mutex:
            self._data[key] = (value, time.monotonic() + ttl if ttl else None)
            if len(self._data) > 100_000:
                self._sweep()

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]

    def delete(self, key: str) -> None:
        with self._mutex:
            self._data.pop(key, None)

    def take(self, key: str) -> str | None:
        """Get and delete in one step: single-use values (captcha answers)."""
        with self._mutex:
            value = self._live(key)
            self._data.pop(key, None)
            return value

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        with self._mutex:
            current = self._live(key)
            if current is not None:
                return current
            self._data[key] = (value, time.monotonic() + ttl)
            if len(self._data) > 100_000:
                self._sweep()
            return None

    def delete_if_equals(self, key: str, value: str) -> bool:
        with self._mutex:
            if self._live(key) == value:
                del self._data[key]
                return True
            return False

    def incr(self, key: str, ttl: int) -> int:
        with self._mutex:
            current = self._live(key)
            count = int(current or 0) + 1
            expires = self._data[key][1] if current is not None else time.monotonic() + ttl
            self._data[key] = (str(count), expires)
            return count

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]:
        with self._mutex:
            lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise TimeoutError(f"lock {name} not acquired in {timeout}s")
        try:
            yield
        finally:
            lock.release()


class RedisBackend:
    """Shared by every worker and machine; Redis is never the source of truth, only a cache."""

    def __init__(self, url: str) -> None:
        import redis  # only where REDIS_URL is set; the embedded default never loads the client

        self.redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2,
                                          socket_connect_timeout=2)
        self._claim = self.redis.register_script(_CLAIM_LUA)
        self._delete_if_equals = self.redis.register_script(_DELETE_IF_EQUALS_LUA)
        self._set_nx_get = True  # until the server says it does not know it

    def get(self, key: str) -> str | None:
        return self.redis.get(key)

    def get_many(self, keys: list[str]) -> list[str | None]:
        return self.redis.mget(keys)

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        self.redis.set(key, value, ex=ttl)

    def delete(self, key: str) -> None:
        self.redis.delete(key)

    def take(self, key: str) -> str | None:
        pipe = self.redis.pipeline(transaction=True)  # MULTI: GET and DEL as one, on any version
        pipe.get(key)
        pipe.delete(key)
        value, _ = pipe.execute()
        return value

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        if self._set_nx_get:
            try:
                return self.redis.set(key, value, nx=True, get=True, ex=ttl)
            except redis_errors.ResponseError:
                self._set_nx_get = False
        return self._claim(keys=[key], args=[value, ttl]) or None

    def delete_if_equals(self, key: str, value: str) -> bool:
        return bool(self._delete_if_equals(keys=[key], args=[value]))

    def incr(self, key: str, ttl: int) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl, nx=True)
        count, _ = pipe.execute()
        return int(count)

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]:
        # redis-py's Lock: SET NX PX with a random token, released by a compare-and-delete script.
        with self.redis.lock(f"lock:{name}", timeout=timeout, blocking_timeout=timeout):
            yield


class KeyValueStore:
    """The extension object: unbound until `init_app`, then it forwards to the app's backend."""

    def init_app(self, app: Flask) -> None:
        url = app.config.get("REDIS_URL")
        app.extensions["kv"] = RedisBackend(url) if url else MemoryBackend()

    @property
    def backend(self) -> Backend:
        return current_app.extensions["kv"]

    def __getattr__(self, name: str):
        return getattr(current_app.extensions["kv"], name)

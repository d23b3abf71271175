"""Personal data at rest: ID numbers and phone numbers are stored encrypted (AES-256-GCM), and ID
numbers are found through a keyed blind index (HMAC-SHA-256), so that a dump of the database or of
a backup reveals none of them without the keys, which live only in the environment.

- `PII_KEY`: comma-separated keys (32 random bytes each, URL-safe base64). The first encrypts; all
  decrypt, so a new key is put first and `flask pii rotate` re-encrypts every value under it before
  the old one is removed. Each ciphertext names its key by a short id.
- `PII_INDEX_KEY`: the same for the blind index. Lookups try every listed key, so rotation works
  the same way (`flask pii rotate` recomputes the index under the first).
- Each value is bound to its purpose (the column it belongs to) as associated data: a ciphertext
  copied into another column does not decrypt.
- Uploaded pictures (registration photos and certificates; the face frames of checks and papers,
  biometric data under PIPL art. 28) are files sealed the same way (`seal_bytes`).

Development and tests derive fixed keys when none are set; production refuses to start without both.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "pii1"
# What development and tests use when no keys are set (production refuses to start without keys).
DEVELOPMENT_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"dingkaotong-development-pii-key").digest()).decode()
DEVELOPMENT_INDEX_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"dingkaotong-development-pii-index").digest()).decode()


class PiiKeyError(RuntimeError):
    """A PII key that is not 32 bytes of URL-safe base64."""


@dataclass(frozen=True)
class Keyring:
    ciphers: tuple[tuple[str, AESGCM], ...]  # (key id, cipher); the first encrypts
    index_keys: tuple[bytes, ...]  # the first indexes new values

    @classmethod
    def from_settings(cls, pii_key: str, index_key: str) -> Keyring:
        keys = parse(pii_key or DEVELOPMENT_KEY)
        index = parse(index_key or DEVELOPMENT_INDEX_KEY)
        return cls(tuple((key_id(k), AESGCM(k)) for k in keys), tuple(index))


def parse(setting: str) -> list[bytes]:
    keys = []
    for part in (setting or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            key = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise PiiKeyError("PII_KEY / PII_INDEX_KEY: each key must be 32 random bytes in URL-safe base64 "
                            "(python -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())')")
        keys.append(key)
    return keys


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"kid:" + key).hexdigest()[:8]


_keyring: Keyring | None = None


def init_app(app) -> None:
    global _keyring
    _keyring = Keyring.from_settings(app.config.get("PII_KEY", ""), app.config.get("PII_INDEX_KEY", ""))


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("pii.init_app() has not run: personal data cannot be read or written")
    return _keyring


def seal(text: str, purpose: str) -> str:
    kid, cipher = keyring().ciphers[0]
    nonce = os.urandom(12)
    sealed = cipher.encrypt(nonce, text.encode(), purpose.encode())
    return f"{PREFIX}:{kid}:" + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(token: str, purpose: str) -> str:
    prefix, kid, body = token.split(":", 2)
    if prefix != PREFIX:
        raise ValueError("not a sealed value")
    cipher = dict(keyring().ciphers).get(kid)
    if cipher is None:
        raise RuntimeError(f"PII key {kid} is not configured (was it removed before `flask pii rotate`?)")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return cipher.decrypt(raw[:12], raw[12:], purpose.encode()).decode()


BYTES_PREFIX = b"pii1:"


def seal_bytes(data: bytes, purpose: str) -> bytes:
    """A file sealed like a value: the prefix, the key id, the nonce, the ciphertext (AES-256-GCM)."""
    kid, cipher = keyring().ciphers[0]
    nonce = os.urandom(12)
    return BYTES_PREFIX + kid.encode() + nonce + cipher.encrypt(nonce, data, purpose.encode())


def unseal_bytes(blob: bytes, purpose: str) -> bytes:
    """The file as it was before `seal_bytes`; a file that was never sealed (stored before sealing
    began) is returned as it is — `flask pii rotate` seals those."""
    if not blob.startswith(BYTES_PREFIX):
        return blob
    start = len(BYTES_PREFIX)
    kid, nonce, body = blob[start:start + 8].decode(), blob[start + 8:start + 20], blob[start + 20:]
    cipher = dict(keyring().ciphers).get(kid)
    if cipher is None:
        raise RuntimeError(f"PII key {kid} is not configured (was it removed before `flask pii rotate`?)")
    return cipher.decrypt(nonce, body, purpose.encode())


def sealed_key_id(blob: bytes) -> str | None:
    """The key a sealed file is under, or None for a file that is not sealed."""
    return blob[len(BYTES_PREFIX):len(BYTES_PREFIX) + 8].decode() if blob.startswith(BYTES_PREFIX) else None


def is_sealed(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX + ":")


def current_key_id() -> str:
    return keyring().ciphers[0][0]


def blind_indexes(value: str, purpose: str) -> list[str]:
    """The index of `value` under every configured index key, the current one first: equal values,
    equal indexes; a lookup during an index-key rotation tries them all."""
    return [_index(key, value, purpose) for key in keyring().index_keys]


def _index(key: bytes, value: str, purpose: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

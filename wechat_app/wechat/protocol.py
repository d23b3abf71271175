"""The callback's wire format: signatures, AES envelopes, parsing and rendering of XML.

Parsing is deliberately light (defusedxml over expat, ~20 µs) instead of wechatpy's
`parse_message` (~47 µs, and it knows no `subscribe_msg_*` events in 1.8.18): the callback must
answer within WeChat's 5 s budget under a registration-day flood. DTDs and entities are refused
outright, so neither XXE nor entity expansion can happen.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

MAX_BODY_BYTES = 1024 * 1024


class BadMessage(ValueError):
    """The body is not a message we can read: answered with 400, never a 500."""


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_ok(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    expected = sha1_signature(token, timestamp, nonce)
    return hmac.compare_digest(expected, signature.encode("ascii", "replace").decode().lower())


def parse_xml(body: bytes) -> dict:
    """XML → dict of the root's children; nested elements become dicts (lists when repeated)."""
    if not body or not body.strip():
        raise BadMessage("empty body")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, UnicodeError, ValueError) as exc:
        raise BadMessage(f"unreadable XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    return _children(root)


def _children(element: Element) -> dict:
    result: dict = {}
    for child in element:
        value = _children(child) if len(child) else (child.text or "")
        if child.tag in result:
            existing = result[child.tag]
            result[child.tag] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            result[child.tag] = value
    return result


@dataclass(frozen=True)
class Envelope:
    """Decrypts pushes and encrypts replies for compatible and safe modes (wechatpy's AES code)."""

    token: str
    encoding_aes_key: str
    app_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_crypto", WeChatCrypto(self.token, self.encoding_aes_key, self.app_id))

    def open(self, outer: dict, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        encrypt = outer.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise BadMessage("no Encrypt element")
        expected = sha1_signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise PermissionError("msg_signature mismatch")
        try:
            plain = PrpCrypto(self._crypto.key).decrypt(encrypt, self.app_id)
        except InvalidAppIdException:
            raise PermissionError("message for another app id") from None
        except Exception:  # bad base64, bad padding, truncated block: all malformed input
            raise BadMessage("cannot decrypt") from None
        return plain if isinstance(plain, bytes) else plain.encode()

    def seal(self, xml: str, nonce: str, timestamp: str | None = None) -> str:
        return self._crypto.encrypt_message(xml, nonce, timestamp or str(int(time.time())))


# XML 1.0 forbids most control characters; a reply carrying one would be refused by WeChat.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    """A CDATA section for any text: `]]>` is split across two sections so it cannot close early."""
    text = _INVALID_XML_CHARS.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text(to_user: str, from_user: str, content: str) -> str:
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def render_transfer(to_user: str, from_user: str) -> str:
    """Hands the conversation to WeChat customer service (多客服)."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>"
    )


SUCCESS = "success"  # WeChat's "received, no reply": no retry, nothing shown to the user

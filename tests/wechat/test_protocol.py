"""The wire format against WeChat's official test vectors (reference/wechat.md §1.3, §1.5)."""
from __future__ import annotations

import pytest
from wechatpy.crypto.base import BasePrpCrypto

from wechat_app.wechat.protocol import BadMessage, Envelope, cdata, parse_xml, render_text, sha1_signature, signature_ok

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

VECTOR_C = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
    "</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8"
    "KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8"
    "T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77"
    "TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMy"
    "VWQLCzpu9GhglF2PE=]]></Encrypt></xml>"
)

VECTOR_D_ENCRYPT = (
    "mfBCs65c67CeJw22u4VT2TD73q5H06+ocrAIxswCaeZ/d/Lw0msSZFHY0teqgSYiI1zR2gD2DKrB3TIrmX/liNSDrGqS8jSI/WPeKB5VPr7Ezr7gomZAyGC"
    "wJSgT1TRFWPfONGJMxuj2nk4faTuspAuVIFQ6SHwZuJBZC7mcJp7Cgr9cUhATQWDbOPaE7ukZBTV2YqyzH+UI2AK+J1S47cE79k1RX8t0hcTz/O0hlK8DGX"
    "KnvYv88qKQcI7z4iaajqHfRVZKBNyOODabs+It+ZfM3dWTeFcPgDbGtIEnpt/EDtuuA/zMvtkaKdHdswPnVZQ+xdwbYr3ldGvfT8HlEYEgkgKaThxTFobVl"
    "wzu2ZkXCjicbP3xdr15Iq48ObgzPpqYuZ3IEoyggZDKClquk0u0orMck4GTF/XyE8yGzc4="
)


def test_plaintext_signature_official_vector():
    assert sha1_signature("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert signature_ok("AAAAA", "899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656")
    assert not signature_ok("AAAAA", "899cf89e464efb63f54ddac96b0a0a235f53aa79", "1714037059", "486452656")
    assert not signature_ok("AAAAA", "签名", "1714037059", "486452656")


def test_vector_a_encrypts_byte_exact(monkeypatch):
    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda self: "aaaabbbbccccdddd")
    sealed = parse_xml(Envelope("pamtest", KEY, "wxb11529c136998cb6").seal("我是中文abcd123", "nonce", "1409304348").encode())
    assert sealed["Encrypt"] == (
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )


def test_vector_c_decrypts_official_sample():
    envelope = Envelope("spamtest", KEY, "wx2c2769f8efd9abc2")
    plain = envelope.open(parse_xml(VECTOR_C.encode()), "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669",
                          "1320562132")
    message = parse_xml(plain)
    assert message["Content"] == "abcdteT"
    assert message["MsgId"] == "6054768590064713728"


def test_vector_d_decrypts_official_sample():
    envelope = Envelope("spamtest", KEY, "wx2c2769f8efd9abc2")
    plain = envelope.open({"Encrypt": VECTOR_D_ENCRYPT}, "003fee52ecc56afb46c00b5c7721be87860ce785", "1410349438",
                          "298025754")
    assert parse_xml(plain)["ToUserName"] == "gh_10f6c3c3ac5a"


def test_wrong_msg_signature_is_refused():
    envelope = Envelope("spamtest", KEY, "wx2c2769f8efd9abc2")
    with pytest.raises(PermissionError):
        envelope.open({"Encrypt": VECTOR_D_ENCRYPT}, "0" * 40, "1410349438", "298025754")


def test_other_app_id_is_refused():
    envelope = Envelope("spamtest", KEY, "wxSOMEONEELSE00000")
    with pytest.raises(PermissionError):
        envelope.open({"Encrypt": VECTOR_D_ENCRYPT}, "003fee52ecc56afb46c00b5c7721be87860ce785", "1410349438",
                      "298025754")


def test_jssdk_official_vector(app):
    from wechat_app.wechat.client import wechat

    with app.app_context():
        signature = wechat.client.jsapi.get_jsapi_signature(
            "Wm3WZYTPz0wzccnW",
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            1414587457, "http://mp.weixin.qq.com?params=value")
    assert signature == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


@pytest.mark.parametrize("body", [
    b"", b"   ", b"<xml><a>", b"not xml", b"<root><a>1</a></root>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>',
    b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><c>&b;</c></xml>',
    b'<?xml version="1.0" encoding="utf-8"?><xml><a>\xff\xfe</a></xml>',
])
def test_parse_refuses_bad_input(body):
    with pytest.raises(BadMessage):
        parse_xml(body)


def test_cdata_survives_its_terminator_and_control_characters():
    xml = render_text("o1", "gh", "a]]>b<c>&\x01d")
    assert parse_xml(xml.encode())["Content"] == "a]]>b<c>&d"
    assert cdata("]]>]]>").count("<![CDATA[") == 3

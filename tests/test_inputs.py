"""Hostile input stops at the door (wechat_app/inputs.py): bounded ids, no control characters."""
from __future__ import annotations

import pytest

from wechat_app.inputs import MAX_ID, parse_count, parse_id


def test_ids_beyond_the_database_integer_are_a_404(client):
    assert client.get(f"/m/articles/{MAX_ID + 1}").status_code == 404
    assert client.get("/m/articles/99999999999999999999").status_code == 404


@pytest.mark.parametrize("path", ["/login", "/m/forgot", "/console/login", "/m/bind"])
def test_nul_bytes_are_refused_before_sign_in(client, path):
    assert client.post(path, data={"id_number": "4301\x00", "username": "a\x00", "password": "x"}).status_code == 400
    assert client.get(path, query_string={"next": "/m/\x00"}).status_code == 400
    assert client.get(path + "%00").status_code in (400, 404)


def test_line_breaks_and_tabs_in_free_text_are_fine():
    from wechat_app.inputs import has_control_characters

    assert not has_control_characters("第一行\r\n第二行\t")
    assert has_control_characters("a\x00b") and has_control_characters("\x1b[31m") and has_control_characters("\x7f")


def test_parse_id_and_count():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7
    for bad in (None, "", "0", "-1", "²", "１２", "1e3", str(MAX_ID + 1), "9" * 30):
        assert parse_id(bad) is None, bad
    assert parse_count("0") == 0 and parse_count("x") is None

"""The one way to build the WeChat OAuth entry link (定考入口 and every link that must come back
through OAuth): `/wechat/oauth/entry?next=<path>`, with `next` quoted. Absolute when a base URL
is given (menus, replies, template messages, QR codes), relative otherwise (redirects, pages)."""
from __future__ import annotations

from urllib.parse import quote

ENTRY_PATH = "/wechat/oauth/entry"


def oauth_entry(next_path: str = "/m/", base_url: str = "") -> str:
    return f"{base_url}{ENTRY_PATH}?next={quote(next_path, safe='/')}"

"""The custom menu, defined in code and pushed with `flask wechat sync-menu` (quota: 1000/day).

WeChat limits: at most 3 top-level buttons of ≤ 16 bytes, 5 sub-buttons each of ≤ 60 bytes, keys
≤ 128 bytes, URLs ≤ 1024 bytes (UTF-8 bytes, so a Chinese character counts 3).
"""
from __future__ import annotations

from wechat_app.links import oauth_entry
from wechat_app.wechat.router import KEY_FAQ, KEY_MY_STATUS, KEY_SUPPORT


def build_menu(base_url: str) -> dict:
    return {
        "button": [
            {
                "name": "医师定考",
                "sub_button": [
                    {"type": "view", "name": "定考入口", "url": oauth_entry("/m/", base_url)},
                    {"type": "click", "name": "我的状态", "key": KEY_MY_STATUS},
                    {"type": "view", "name": "定考培训", "url": oauth_entry("/m/study", base_url)},
                    {"type": "view", "name": "考核结果", "url": oauth_entry("/m/results", base_url)},
                ],
            },
            {
                "name": "服务",
                "sub_button": [
                    {"type": "click", "name": "常见问题", "key": KEY_FAQ},
                    {"type": "click", "name": "在线客服", "key": KEY_SUPPORT},
                    {"type": "view", "name": "操作手册", "url": oauth_entry("/m/articles?kind=手册", base_url)},
                ],
            },
        ]
    }


def menu_problems(menu: dict) -> list[str]:
    """Every way `menu` breaks WeChat's limits (empty when it is fine)."""
    problems = []
    buttons = menu.get("button", [])
    if not 1 <= len(buttons) <= 3:
        problems.append("1 to 3 top-level buttons")
    for top in buttons:
        if len(top["name"].encode()) > 16:
            problems.append(f"top-level name too long: {top['name']}")
        subs = top.get("sub_button", [])
        if len(subs) > 5:
            problems.append(f"more than 5 sub-buttons under {top['name']}")
        for sub in subs:
            if len(sub["name"].encode()) > 60:
                problems.append(f"sub-button name too long: {sub['name']}")
            if sub["type"] == "click" and len(sub["key"].encode()) > 128:
                problems.append(f"key too long: {sub['key']}")
            if sub["type"] == "view" and len(sub["url"].encode()) > 1024:
                problems.append(f"url too long: {sub['name']}")
    return problems

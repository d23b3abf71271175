"""Every link the menu, the home tiles and the templates point to resolves to a page of ours.

Every page is built; a page that is not yet would be named here, and the test would say so; a
new dead link anywhere fails."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from wechat_app.links import ENTRY_PATH
from wechat_app.models import Registration
from wechat_app.wechat.menu import build_menu

ROOT = Path(__file__).resolve().parent.parent
NOT_BUILT_YET: dict[str, str] = {}
HREF = re.compile(r'(?:href|action|src)="(/[^"{}]*)"')


def page_path(link: str) -> str:
    """The page a link leads to: OAuth entry links lead to their `next`."""
    parts = urlsplit(link)
    if parts.path == ENTRY_PATH:
        return urlsplit(parse_qs(parts.query)["next"][0]).path
    return parts.path


def unresolved(app, links) -> set[str]:
    adapter = app.url_map.bind("localhost")
    missing = set()
    for link in links:
        path = page_path(link)
        try:
            adapter.match(path, method="GET")
        except MethodNotAllowed:
            adapter.match(path, method="POST")
        except NotFound:
            missing.add(path)
    return missing


def test_menu_links_resolve(app):
    views = [sub["url"] for top in build_menu("https://dk.example.cn")["button"] for sub in top["sub_button"]
             if sub["type"] == "view"]
    assert unresolved(app, views) <= set(NOT_BUILT_YET)


def test_template_links_resolve(app):
    links = [m for template in [*ROOT.glob("templates_mobile/**/*.html"), *ROOT.glob("wechat_app/**/templates/**/*.html")]
             for m in HREF.findall(template.read_text(encoding="utf-8"))]
    assert links and unresolved(app, links) == set()


@pytest.mark.parametrize("status", ["open", "pending_institution", "pending_assessor", "awaiting_test", "passed",
                                    "failed", "makeup"])
def test_home_tiles_resolve_and_only_the_unbuilt_pages_are_missing(app, db, demo, client, login_as, status):
    registration = db.session.scalar(select(Registration).where(Registration.status == status).limit(1))
    registration.physician.must_change_password = False
    db.session.commit()
    login_as(registration.physician)
    page = client.get("/m/").get_data(as_text=True)
    tiles = re.findall(r'<a class="tool[^"]*" href="([^"]+)"', page)
    assert len(tiles) >= 7
    for tile in tiles:  # and each answers, in this state, with a page (or a way to one), never a 404
        if page_path(tile) not in NOT_BUILT_YET:
            assert client.get(page_path(tile)).status_code in (200, 302, 403), (status, tile)
    missing = unresolved(app, tiles) | unresolved(app, [sub["url"] for top in build_menu("")["button"]
                                                        for sub in top["sub_button"] if sub["type"] == "view"])
    assert missing == set(NOT_BUILT_YET), missing

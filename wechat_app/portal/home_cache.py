"""The home page (/m/) of a signed-in physician, kept rendered in the key-value store.

Tens of thousands of physicians open /m/ on the first morning of a window, and it changes only when
their own records change. What it shows comes from these tables alone: the physician (name,
institution, session generation), their registration (status, procedure, rejection) and its 免考
application — per physician — and the cycle, the institution, the province and the arrangements (the
测评 window is the physician's own papers') — for everyone. So:

- a version per physician (`home:v:<id>`) and a global generation (`home:gen`) are bumped after every
  commit that wrote one of those rows (a session listener: the state machine, the console, the
  worker and the CLI all write through the ORM, and none of them writes those tables in bulk);
- a page is stored with the versions read *before* its data was read, the session generation and
  the date it was rendered for; a later request uses it only if all four still match, in one round
  trip (MGET). A commit between the read and the store leaves the page tagged with the old version,
  so it is never used: the bump happens after the commit, never before.

Anything else on the page makes it uncacheable: a flashed message (it is shown once). A page whose
session generation no longer matches is not served: the account ended its sessions. Redis down:
no cache (pages are rendered as before); a bump lost to an outage is bounded by the page's TTL.
"""
from __future__ import annotations

import logging

from flask import Flask, g, has_app_context, session
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from wechat_app import clock
from wechat_app.extensions import kv
from wechat_app.kv import UNAVAILABLE as KV_UNAVAILABLE
from wechat_app.models import Arrangement, Cycle, Exemption, Institution, Physician, Province, Registration
from wechat_app.models.registration import CHANGED_IN_BULK

log = logging.getLogger("portal.home_cache")

PAGE_TTL = 300  # bounds what a version bump lost to a Redis outage could leave stale
VERSION_TTL = 7 * 24 * 3600
GLOBAL_KEY = "home:gen"
SEPARATOR = "\x1f"
# An arrangement's dates are the 测评 window of the physicians it is for: a change re-renders everyone's.
EVERYONE = (Arrangement, Cycle, Institution, Province)


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", collect):
        event.listen(Session, "after_flush", collect)
        event.listen(Session, "after_commit", bump)
        event.listen(Session, "after_rollback", forget)


# --- the cached page ------------------------------------------------------------------------------

def lookup() -> str | None:
    """The stored page for this request's physician session, if it is still right."""
    g.pop("home_page_tag", None)
    user_id, generation = session.get("_user_id", ""), session.get("sv")
    if not user_id.startswith("p:") or generation is None or "_flashes" in session:
        return None
    physician_id = user_id[2:]
    try:
        everyone, mine, page = kv.get_many([GLOBAL_KEY, version_key(physician_id), page_key(physician_id)])
    except KV_UNAVAILABLE:
        return None
    tag = SEPARATOR.join((everyone or "0", mine or "0", str(generation), clock.today().isoformat()))
    g.home_page_tag = (physician_id, tag)
    if page is not None and page.startswith(tag + SEPARATOR):
        return page[len(tag) + 1:]
    return None


def store(physician: Physician, html: str) -> None:
    """Keep the page just rendered, tagged with what `lookup` read before the data was."""
    physician_id, tag = g.pop("home_page_tag", (None, ""))
    if physician_id != str(physician.id) or session.get("sv") != physician.session_version or "_flashes" in session:
        return
    try:
        kv.set(page_key(physician_id), f"{tag}{SEPARATOR}{html}", PAGE_TTL)
    except KV_UNAVAILABLE:
        pass


def page_key(physician_id: str) -> str:
    return f"home:page:{physician_id}"


def version_key(physician_id: int | str) -> str:
    return f"home:v:{physician_id}"


# --- invalidation: after every commit that wrote what the page shows ------------------------------

def collect(db_session: Session, _flush_context) -> None:
    stale: set[int] = db_session.info.setdefault("home_stale", set())
    exemptions = set()
    for row in (*db_session.new, *db_session.dirty, *db_session.deleted):
        if isinstance(row, Physician):
            stale.add(row.id)
        elif isinstance(row, Registration):
            stale.add(row.physician_id)
        elif isinstance(row, Exemption):
            exemptions.add(row.registration_id)
        elif isinstance(row, EVERYONE):
            db_session.info["home_everyone"] = True
    if exemptions:
        stale.update(db_session.connection().execute(
            select(Registration.physician_id).where(Registration.id.in_(exemptions))).scalars())


def bump(db_session: Session) -> None:
    stale, everyone = db_session.info.pop("home_stale", set()), db_session.info.pop("home_everyone", False)
    stale |= db_session.info.pop(CHANGED_IN_BULK, set())
    if not (stale or everyone) or not has_app_context():
        return
    try:
        if everyone:
            kv.incr(GLOBAL_KEY, VERSION_TTL)
        for physician_id in stale:
            kv.incr(version_key(physician_id), VERSION_TTL)
    except KV_UNAVAILABLE:
        log.warning("home page versions not bumped: the key-value store did not answer")


def forget(db_session: Session) -> None:
    db_session.info.pop("home_stale", None)
    db_session.info.pop(CHANGED_IN_BULK, None)
    db_session.info.pop("home_everyone", None)

"""Who is signed in: Flask-Login for physicians (and, with the console, staff), and where an
anonymous visitor is sent: WeChat OAuth inside WeChat, the bind page once WeChat said who they
are, the desktop login page otherwise."""
from __future__ import annotations

from functools import wraps

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wechat_app.domain import home
from wechat_app.extensions import db, login_manager
from wechat_app.links import oauth_entry
from wechat_app.models import Physician, Staff, WeChatUser


def in_wechat() -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def client_ip() -> str | None:
    return request.remote_addr


# What survives a sign-in: who WeChat says this browser is, and the chosen province. Everything
# else (CSRF token, captcha, OAuth and reset state) is dropped, so nothing planted before the
# sign-in carries over into the signed-in session.
KEPT_AT_SIGN_IN = ("openid", "province_id")
# The pages that edit the registration's draft: they read it (and the province's 简易程序 rules) with the
# physician (domain/home.physician_for_pages).
DRAFT_PAGES = frozenset({"registration.step"})


def register(app: Flask) -> None:
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        user = load_account(user_id)
        if user is None or session.get("sv") != user.session_version:
            return None  # signed out, or the account ended its sessions since (domain/sessions.py)
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        return redirect(sign_in_url(request.full_path.rstrip("?")))


def load_account(user_id: str) -> Physician | Staff | None:
    kind, _, key = user_id.partition(":")
    if not (key.isdigit() and len(key) < 10):
        return None
    if kind == "s":
        return db.session.get(Staff, int(key))
    if kind == "p":
        if request.method in ("GET", "HEAD"):  # a page: nearly every one reads the registration
            return home.physician_for_pages(int(key), with_draft=request.endpoint in DRAFT_PAGES)
        # A post (an answer of the paper, a save) reads what it needs itself; every page shows the institution.
        return db.session.scalar(select(Physician).options(joinedload(Physician.institution))
                                 .where(Physician.id == int(key)))
    return None


def sign_in(user: Physician | Staff) -> None:
    """Start a fresh session for `user` (a new CSRF token, nothing carried over but KEPT_AT_SIGN_IN),
    stamped with the account's session generation. An openid in the session is from now on trusted
    to sign this physician in again only at this generation (see `openid_still_trusted`)."""
    user = getattr(user, "_get_current_object", lambda: user)()  # current_user is a proxy
    kept = {key: session[key] for key in KEPT_AT_SIGN_IN if key in session}
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches this request's token in g: the new one starts now
    session.update(kept)
    login_user(user)
    session["sv"] = user.session_version
    if "openid" in kept and isinstance(user, Physician):
        session["openid_sv"] = user.session_version


def sign_out() -> None:
    logout_user()
    session.clear()


def remember_openid(openid: str) -> None:
    """After OAuth: who WeChat says this browser is, with the generation of the physician bound to
    that openid at this moment (see `openid_still_trusted`)."""
    session["openid"] = openid
    session["openid_sv"] = db.session.scalar(
        select(Physician.session_version).join(WeChatUser, WeChatUser.physician_id == Physician.id)
        .where(WeChatUser.openid == openid))


def openid_still_trusted(physician: Physician) -> bool:
    """A session's openid signs its bound physician in again only if no sign-out, reset or other
    session-ending event happened since the session got it: a copied cookie cannot outlive them."""
    return session.get("openid_sv") == physician.session_version


def sign_in_url(next_path: str) -> str:
    if session.get("openid"):
        return url_for("portal.bind", next=next_path)
    if in_wechat():
        return oauth_entry(next_path)
    return url_for("portal.login", next=next_path)


def signed_in_physician() -> bool:
    """A physician's session (a staff session in the same browser is not one)."""
    return current_user.is_authenticated and isinstance(current_user._get_current_object(), Physician)


def bound_physician() -> Physician | None:
    """The physician bound to the openid WeChat gave this session, while that is still trusted."""
    openid = session.get("openid")
    if not openid:
        return None
    physician = db.session.scalar(select(Physician).join(WeChatUser, WeChatUser.physician_id == Physician.id)
                                  .where(WeChatUser.openid == openid))
    return physician if physician is not None and openid_still_trusted(physician) else None


def physician_required(view):
    """Signed-in physician whose first-login setup is done (the seed forces the password change
    and phone binding before anything else). A menu link (定考培训, 考核结果) comes through OAuth
    straight to its page: a bound openid signs its physician in there, as 定考入口 does on /m/."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not signed_in_physician():
            physician = bound_physician()
            if physician is None:
                return login_manager.unauthorized()
            sign_in(physician)
        if current_user.must_change_password:  # and back here afterwards: a menu link keeps its page
            return redirect(url_for("portal.setup", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped

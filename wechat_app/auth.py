"""Who is signed in: Flask-Login for physicians (and, with the console, staff), and where an
anonymous visitor is sent: WeChat OAuth inside WeChat, the bind page once WeChat said who they
are, the desktop login page otherwise."""
from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wechat_app.extensions import db, login_manager
from wechat_app.models import Physician, Staff


def in_wechat() -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def client_ip() -> str | None:
    return request.remote_addr


def register(app: Flask) -> None:
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        kind, _, key = user_id.partition(":")
        if kind == "s" and key.isdigit():
            return db.session.get(Staff, int(key))
        if kind == "p" and key.isdigit():
            # Every portal page shows the institution: load it in the same query.
            return db.session.scalar(select(Physician).options(joinedload(Physician.institution))
                                     .where(Physician.id == int(key)))
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        return redirect(sign_in_url(request.full_path.rstrip("?")))


def sign_in_url(next_path: str) -> str:
    if session.get("openid"):
        return url_for("portal.bind", next=next_path)
    if in_wechat():
        return f"/wechat/oauth/entry?next={quote(next_path, safe='/')}"
    return url_for("portal.login", next=next_path)


def physician_required(view):
    """Signed-in physician whose first-login setup is done (the seed forces the password change
    and phone binding before anything else)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not isinstance(current_user, Physician):
            return login_manager.unauthorized()
        if current_user.must_change_password:
            return redirect(url_for("portal.setup"))
        return view(*args, **kwargs)
    return wrapped

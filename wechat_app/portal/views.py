"""The physician portal's landing page. Sign-in, binding and the home page (考核安排) are built on
this by the portal issue; for now the page shows who WeChat says this browser is."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, session
from sqlalchemy import select

from wechat_app.extensions import db
from wechat_app.models import WeChatUser

bp = Blueprint("portal", __name__, url_prefix="/m")


@bp.get("/")
def index():
    openid = session.get("openid")
    if not openid:
        return redirect("/wechat/oauth/entry?next=/m/")
    follower = db.session.scalar(select(WeChatUser).where(WeChatUser.openid == openid))
    physician = follower.physician if follower else None
    return render_template("portal/index.html", physician=physician)

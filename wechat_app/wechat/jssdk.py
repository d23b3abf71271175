"""`/wechat/jssdk/config`: the wx.config() parameters for one of our own H5 pages."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request
from wechatpy.exceptions import WeChatClientException

from wechat_app.wechat.client import wechat

log = logging.getLogger("wechat.jssdk")

bp = Blueprint("jssdk", __name__, url_prefix="/wechat/jssdk")


@bp.get("/config")
def config():
    url = request.args.get("url", "")
    ours = urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc
    if not url or urlsplit(url).netloc != ours:
        return jsonify(error="url 必须是本站页面地址"), 400
    try:
        return jsonify(wechat.jssdk_config(url))
    except (WeChatClientException, OSError):
        log.warning("jsapi ticket unavailable")
        return jsonify(error="微信服务暂时不可用"), 503

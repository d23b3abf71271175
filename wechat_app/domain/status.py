"""A bound physician's status in the current cycle, as one short text (the 我的状态 button)."""
from __future__ import annotations

from sqlalchemy import select

from wechat_app.domain.cycles import period_label
from wechat_app.domain.home import current_cycle_and_registration
from wechat_app.domain.registration import label
from wechat_app.extensions import db
from wechat_app.models import WeChatUser


def status_text(openid: str, entry_url: str) -> str | None:
    """None when this openid is not bound to a physician."""
    user = db.session.scalar(select(WeChatUser).where(WeChatUser.openid == openid))
    if user is None or user.physician is None:
        return None
    physician = user.physician
    cycle, registration = current_cycle_and_registration(physician)
    if cycle is None:
        return f"{physician.name}，您好。当前没有进行中的考核周期。"
    lines = [
        f"{physician.name}，您好",
        f"主要执业机构：{physician.institution.name if physician.institution else '未登记'}",
        f"考核周期：{period_label(cycle)}",
    ]
    if registration is not None and registration.procedure:
        lines.append(f"您本周期执行：{registration.procedure}")
    lines.append(f"当前任务：{label(registration.status if registration else None)}")
    lines.append(f'<a href="{entry_url}">进入定考入口</a>')
    return "\n".join(lines)

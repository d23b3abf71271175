"""The message router: one table from (MsgType, Event, EventKey) to a handler.

A handler returns an `Outcome`: the reply (text, transfer, or `success`) and the side effects to
run after the answer. WeChat retries a push it got no answer to in time; what a retry may do:
- most replies are a pure function of the message (FAQ keywords, help, menu texts): a retry simply
  computes the same reply again, and their effects are idempotent in the database (an event row
  keyed by the push's de-dup key, a follower's flag set again, a delivery report written again);
- a handler marked `claim` (subscribe, 我的状态, anything that queues a message) claims its reply
  in Redis first, so a retry gets the first reply and runs no effect twice.
Handlers marked `needs_db` run on a worker thread under the reply budget; the rest answer from
process memory.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wechat_app.domain import followers, status
from wechat_app.domain.faq import faq_index
from wechat_app.wechat.protocol import SUCCESS, render_text, render_transfer

Effect = Callable[[], object]


@dataclass(frozen=True)
class Outcome:
    reply: str
    effects: tuple[Effect, ...] = ()
    text: str | None = None  # the plain text of a text reply, for sending it later instead


@dataclass(frozen=True)
class Context:
    """What handlers may know about the deployment: links they put in replies."""

    entry_url: str
    faq_url: str
    support_phone: str


@dataclass(frozen=True)
class Handler:
    run: Callable[[dict, Context], Outcome]
    needs_db: bool = False
    claim: bool = False  # a retry must get the first reply and repeat no effect (see the docstring)


# Menu keys (see menu.py); WeChat sends them back as EventKey of CLICK events.
KEY_FAQ = "FAQ"
KEY_SUPPORT = "SUPPORT"
KEY_MY_STATUS = "MY_STATUS"

TRANSFER_WORDS = ("人工客服", "转人工", "在线客服")
TRANSFER_EXACT = {"客服", "人工"}


def text_reply(msg: dict, content: str, *effects: Effect) -> Outcome:
    return Outcome(render_text(msg.get("FromUserName", ""), msg.get("ToUserName", ""), content), effects, content)


def help_text(ctx: Context) -> str:
    return (
        "您好，这里是定考通。\n"
        "· 报名、学习、考试：点击菜单【医师定考】›【定考入口】\n"
        "· 发送问题关键词（如：密码、报名、科室、手机号）获取解答\n"
        "· 发送“人工客服”转接在线客服\n"
        f'<a href="{ctx.entry_url}">进入定考入口</a>'
    )


def on_subscribe(msg: dict, ctx: Context) -> Outcome:
    openid = msg.get("FromUserName", "")
    key = msg.get("EventKey") or ""
    scene = key[len("qrscene_"):] if isinstance(key, str) and key.startswith("qrscene_") else None
    welcome = (
        "欢迎关注定考通！医师定期考核的报名、审核进度、学习和考试都可以在这里完成。\n"
        f'首次使用请<a href="{ctx.entry_url}">进入定考入口</a>，用证件号码和密码（初始密码666666）绑定账号。\n'
        "有疑问可直接发送问题关键词，或发送“人工客服”。"
    )
    return text_reply(msg, welcome, lambda: followers.record_subscribe(openid, scene))


def on_unsubscribe(msg: dict, ctx: Context) -> Outcome:
    openid = msg.get("FromUserName", "")
    return Outcome(SUCCESS, (lambda: followers.record_unsubscribe(openid),))


def on_scan(msg: dict, ctx: Context) -> Outcome:
    openid, scene = msg.get("FromUserName", ""), str(msg.get("EventKey") or "")
    key = dedup_key(msg)
    return Outcome(SUCCESS, (lambda: followers.log_event(openid, "SCAN", {"scene": scene[:64]}, key),))


def on_view(msg: dict, ctx: Context) -> Outcome:
    openid, url = msg.get("FromUserName", ""), str(msg.get("EventKey") or "")
    key = dedup_key(msg)
    return Outcome(SUCCESS, (lambda: followers.log_event(openid, "VIEW", {"url": url[:500]}, key),))


def on_template_finish(msg: dict, ctx: Context) -> Outcome:
    # The event carries `MsgID` (capital D), unlike messages' `MsgId` (Senparc #2605).
    msgid, result = str(msg.get("MsgID") or ""), str(msg.get("Status") or "")
    return Outcome(SUCCESS, (lambda: followers.record_template_delivery(msgid, result),))


def on_subscribe_msg_event(msg: dict, ctx: Context) -> Outcome:
    openid, event = msg.get("FromUserName", ""), str(msg.get("Event") or "")
    detail = {k: v for k, v in msg.items() if k not in ("ToUserName", "FromUserName", "MsgType", "Event")}
    key = dedup_key(msg)
    return Outcome(SUCCESS, (lambda: followers.log_event(openid, event, detail, key),))


def on_click_faq(msg: dict, ctx: Context) -> Outcome:
    questions = [entry.question for entry in faq_index.entries()[:8]]
    listing = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
    return text_reply(msg, f"常见问题：\n{listing}\n\n发送问题关键词获取解答，或查看<a href=\"{ctx.faq_url}\">全部常见问题</a>。")


def on_click_support(msg: dict, ctx: Context) -> Outcome:
    return text_reply(
        msg,
        f"在线客服：直接发送“人工客服”，客服人员会在工作时间内回复您。\n技术咨询电话：{ctx.support_phone}",
    )


def on_click_my_status(msg: dict, ctx: Context) -> Outcome:
    summary = status.status_text(msg.get("FromUserName", ""), ctx.entry_url)
    if summary is None:
        summary = f'您还没有绑定医师账号。请<a href="{ctx.entry_url}">进入定考入口</a>，用证件号码和密码绑定后再查看状态。'
    return text_reply(msg, summary)


def on_text(msg: dict, ctx: Context) -> Outcome:
    content = str(msg.get("Content") or "").strip()
    if content in TRANSFER_EXACT or any(word in content for word in TRANSFER_WORDS):
        return Outcome(render_transfer(msg.get("FromUserName", ""), msg.get("ToUserName", "")))
    entry = faq_index.match(content) if content else None
    if entry is None:
        return text_reply(msg, help_text(ctx))
    return text_reply(msg, f"{entry.question}\n{entry.answer}\n\n更多：<a href=\"{ctx.faq_url}\">常见问题</a>")


def on_other(msg: dict, ctx: Context) -> Outcome:
    return Outcome(SUCCESS)


ROUTES: dict[tuple[str, str, str], Handler] = {
    ("event", "subscribe", ""): Handler(on_subscribe, claim=True),
    ("event", "unsubscribe", ""): Handler(on_unsubscribe),
    ("event", "scan", ""): Handler(on_scan),
    ("event", "view", ""): Handler(on_view),
    ("event", "templatesendjobfinish", ""): Handler(on_template_finish),
    ("event", "subscribe_msg_popup_event", ""): Handler(on_subscribe_msg_event),
    ("event", "subscribe_msg_change_event", ""): Handler(on_subscribe_msg_event),
    ("event", "subscribe_msg_sent_event", ""): Handler(on_subscribe_msg_event),
    ("event", "click", KEY_FAQ): Handler(on_click_faq),
    ("event", "click", KEY_SUPPORT): Handler(on_click_support),
    ("event", "click", KEY_MY_STATUS): Handler(on_click_my_status, needs_db=True, claim=True),
    ("text", "", ""): Handler(on_text),
}

FALLBACK = Handler(on_other)


def route(msg: dict) -> Handler:
    msg_type = str(msg.get("MsgType") or "").lower()
    if msg_type != "event":
        return ROUTES.get((msg_type, "", ""), FALLBACK)
    event = str(msg.get("Event") or "").lower()
    key = msg.get("EventKey") if event == "click" else ""
    return ROUTES.get((msg_type, event, key if isinstance(key, str) else ""), ROUTES.get((msg_type, event, ""), FALLBACK))


def dedup_key(msg: dict) -> str:
    """MsgId for messages; for events FromUserName+CreateTime+Event+EventKey (+MsgID): CreateTime
    alone has one-second resolution and would merge distinct events (WxJava #3445)."""
    msg_id = msg.get("MsgId")
    if msg_id:
        return f"wx:seen:m:{msg_id}"
    parts = (msg.get("FromUserName"), msg.get("CreateTime"), msg.get("Event"), msg.get("EventKey"), msg.get("MsgID"))
    return "wx:seen:e:" + "|".join(str(p) if isinstance(p, str) else "" for p in parts)

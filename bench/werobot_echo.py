"""The callback's second baseline in `make bench` (issue 13): WeRoBot's echo robot, the way its
documentation starts — a text message is answered with its own content. It checks the signature
and parses the XML, as ours does, but has no de-duplication, no routing table and no FAQ."""
from __future__ import annotations

import os

import werobot

robot = werobot.WeRoBot(token=os.environ["WECHAT_TOKEN"], enable_session=False)


@robot.text
def echo(message):
    return message.content


app = robot.wsgi

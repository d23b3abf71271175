"""定考培训's forms: a video's position, and one practice answer."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from wechat_app.forms import Form, option_keys


class PositionForm(Form):
    """A lesson page's heartbeat: where the video is, and whether it is playing (a pause, the end or
    leaving the page stops the clock of 学时)."""

    position = IntegerField(validators=[Optional(), NumberRange(0, 24 * 3600)])
    playing = BooleanField()


class PracticeForm(Form):
    choice = option_keys()

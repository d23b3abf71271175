"""定考培训's forms: a video's position, and one practice answer."""
from __future__ import annotations

from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from wechat_app.forms import Form, option_keys


class PositionForm(Form):
    position = IntegerField(validators=[Optional(), NumberRange(0, 24 * 3600)])


class PracticeForm(Form):
    choice = option_keys()
